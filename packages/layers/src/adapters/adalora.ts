/**
 * AdaLoRA (Zhang et al., "Adaptive Budget Allocation for Parameter-Efficient Fine-Tuning",
 * ICLR 2023): a frozen layer W₀ plus an update in SVD form, W = W₀ + (α/r)·P·diag(λ)·Q, as
 * peft builds it: P (out × r) and Q (r × fan_in) drawn from N(0, 0.02²), λ = 0, so the adapted
 * layer starts as the base. The `AdaLoRAStep` integrator trains it and prunes triplets
 * (Pᵢ, λᵢ, Qᵢ) by importance down to a budget; a pruned triplet has λᵢ = 0. A Conv2d is
 * adapted through its unfolded kernel: Q as r filters, λ per channel, P as a 1×1 convolution.
 */
import {
  add, conv2d, type FloatDType, matmul, mul, randn, reshape, type Tensor, type Variable, zeros,
} from '@dlrt/core';
import { Dense } from '../nn/dense.js';
import { initRng, type InitOptions } from '../nn/init.js';
import { Module } from '../nn/module.js';
import { type AdaptableLayer, adapterScale } from './lora.js';

/** Options of `AdaLoRA`: the initial rank, α and the draw of P and Q (`seed` or `rng`). */
export interface AdaLoRAOptions extends Pick<InitOptions, 'rng' | 'seed'> {
  /** The initial rank (peft's init_r): triplets before pruning. */
  rank: number;
  /** α > 0; the update is scaled by α/r (default α = r). */
  alpha?: number;
}

/**
 * A Dense or Conv2d W₀ (frozen) + (α/r)·P·diag(λ)·Q; λ starts at 0. Throws unless
 * 1 ≤ rank ≤ min(out, fan_in) and α is finite and > 0.
 * @example new AdaLoRA(new Dense(784, 500, { seed: 1 }), { rank: 12, seed: 2 })
 */
export class AdaLoRA extends Module {
  /** P, the left singular vectors (out × r), parameter 'P'. */
  readonly P: Variable;
  /** λ, one value per triplet. */
  readonly E: Variable;
  /** Q, the right singular vectors (r × fan_in), parameter 'Q'. */
  readonly Q: Variable;
  /** α/r. */
  readonly scale: number;
  /** Triplets (the initial rank). */
  readonly triplets: number;

  /**
   * @param base The wrapped layer (child 'base'); its parameters are frozen.
   * @param o The initial rank, α and the draw.
   */
  constructor(readonly base: AdaptableLayer, o: AdaLoRAOptions) {
    super();
    const { out, fanIn, scale } = adapterScale('AdaLoRA', base, o);
    this.triplets = o.rank;
    this.scale = scale;
    const dtype = base.weight.dtype as FloatDType;
    const rng = initRng('AdaLoRA', o);
    this.addModule('base', base);
    base.freeze();
    this.Q = this.addParameter('Q', randn([o.rank, fanIn], { rng, std: 0.02, dtype }));
    this.E = this.addParameter('E', zeros([o.rank], dtype));
    this.P = this.addParameter('P', randn([out, o.rank], { rng, std: 0.02, dtype }));
  }

  /** Triplets in use: those with λᵢ ≠ 0. */
  get rank(): number {
    return Array.from(this.E.dataSync()).filter((v) => v !== 0).length;
  }

  forward(x: Tensor): Tensor {
    const base = this.base, r = this.triplets;
    if (base instanceof Dense) {
      const h = mul(matmul(x, this.Q, { transposeB: true }), this.E);
      return add(base.forward(x), mul(matmul(h, this.P, { transposeB: true }), this.scale));
    }
    const [, c, kh, kw] = base.weight.shape;
    const h = mul(conv2d(x, reshape(this.Q, [r, c, kh, kw]), base.options),
      reshape(this.E, [1, r, 1, 1]));
    const delta = conv2d(h, reshape(this.P, [base.outChannels, r, 1, 1]));
    return add(base.forward(x), mul(delta, this.scale));
  }

  /** (α/r)·P·diag(λ)·Q in the base weight's shape (the caller owns it). */
  delta(): Tensor {
    return reshape(mul(matmul(mul(this.P, this.E), this.Q), this.scale), this.base.weight.shape);
  }
}
