/**
 * LoRA (Hu et al., "LoRA: Low-Rank Adaptation of Large Language Models", ICLR 2022): a frozen
 * layer with weight W₀ plus a trainable low-rank update, W = W₀ + (α/r)·B·A, initialized as
 * peft does: A Kaiming-uniform (U(±1/√fan_in)), B = 0, so the adapted layer starts as the base.
 * A Conv2d is adapted through its unfolded kernel (out × in·kh·kw): A is r filters of the base's
 * size and stride, B a 1×1 convolution.
 */
import {
  add, conv2d, type FloatDType, matmul, mul, reshape, type Tensor, type Variable, zeros,
} from '@dlrt/core';
import { Conv2d } from '../nn/conv2d.js';
import { Dense } from '../nn/dense.js';
import { initRng, type InitOptions, uniformFanIn } from '../nn/init.js';
import { Module } from '../nn/module.js';

/** The layers an adapter can wrap. */
export type AdaptableLayer = Dense | Conv2d;

/** Options of `LoRA`: rank, α and the draw of A (`seed` or `rng`). */
export interface LoRAOptions extends Pick<InitOptions, 'rng' | 'seed'> {
  /** r ≥ 1, at most min(out, fan_in). */
  rank: number;
  /** α > 0; the update is scaled by α/r (default α = r: scale 1). */
  alpha?: number;
}

/** The base's outputs and fan-in (in, or in·kh·kw for a convolution). */
export function layerShape(kind: string, base: AdaptableLayer): { out: number; fanIn: number } {
  if (base instanceof Dense) return { out: base.outFeatures, fanIn: base.inFeatures };
  if (base instanceof Conv2d) {
    const [, c, kh, kw] = base.weight.shape;
    return { out: base.outChannels, fanIn: c * kh * kw };
  }
  throw new Error(`${kind}: can adapt a Dense or a Conv2d, got ${(base as Module)
    .constructor.name}`);
}

/**
 * The checked rank and α of an additive adapter on `base` (1 ≤ r ≤ min(out, fan_in), α > 0,
 * default r) and its scale α/r.
 */
export function adapterScale(kind: string, base: AdaptableLayer, o: { rank: number;
  alpha?: number }): { out: number; fanIn: number; scale: number } {
  const { out, fanIn } = layerShape(kind, base);
  if (!Number.isInteger(o.rank) || o.rank < 1 || o.rank > Math.min(out, fanIn)) {
    throw new Error(`${kind}: rank ${o.rank} is outside [1, min(${out}, ${fanIn})]`);
  }
  const alpha = o.alpha ?? o.rank;
  if (!(alpha > 0) || !Number.isFinite(alpha)) {
    throw new Error(`${kind}: alpha must be a finite number > 0, got ${alpha}`);
  }
  return { out, fanIn, scale: alpha / o.rank };
}

/**
 * A Dense or Conv2d W₀ (frozen) + (α/r)·B·A; B starts at 0. Throws unless
 * 1 ≤ rank ≤ min(out, fan_in) and α is finite and > 0.
 * @example const fc = new LoRA(new Dense(784, 500, { seed: 1 }), { rank: 8, alpha: 16, seed: 2 })
 */
export class LoRA extends Module {
  /** A, the down-projection (r × fan_in), parameter 'A'. */
  readonly A: Variable;
  /** B, the up-projection (out × r), parameter 'B'. */
  readonly B: Variable;
  /** α/r. */
  readonly scale: number;
  /** r, the rank of the update. */
  readonly rank: number;

  /**
   * @param base The wrapped layer (child 'base'); its parameters are frozen.
   * @param o The rank, α and the draw.
   */
  constructor(readonly base: AdaptableLayer, o: LoRAOptions) {
    super();
    const { out, fanIn, scale } = adapterScale('LoRA', base, o);
    this.rank = o.rank;
    this.scale = scale;
    const dtype = base.weight.dtype as FloatDType;
    this.addModule('base', base);
    base.freeze();
    this.A = this.addParameter('A', uniformFanIn([o.rank, fanIn], fanIn, initRng('LoRA', o),
      dtype));
    this.B = this.addParameter('B', zeros([out, o.rank], dtype));
  }

  forward(x: Tensor): Tensor {
    const base = this.base;
    if (base instanceof Dense) {
      return add(base.forward(x), mul(matmul(matmul(x, this.A, { transposeB: true }), this.B,
        { transposeB: true }), this.scale));
    }
    const [, c, kh, kw] = base.weight.shape;
    const h = conv2d(x, reshape(this.A, [this.rank, c, kh, kw]), base.options);
    const delta = conv2d(h, reshape(this.B, [base.outChannels, this.rank, 1, 1]));
    return add(base.forward(x), mul(delta, this.scale));
  }

  /** (α/r)·B·A in the base weight's shape (the caller owns it). */
  delta(): Tensor {
    return reshape(mul(matmul(this.B, this.A), this.scale), this.base.weight.shape);
  }
}
