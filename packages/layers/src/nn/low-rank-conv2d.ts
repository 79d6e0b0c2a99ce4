/**
 * LowRankConv2d: a Conv2d whose kernel, unfolded to W (out × in·kh·kw) as im2col reads it,
 * lives on the low-rank manifold, as DLRT's convolutions (Schotthöfer et al., NeurIPS 2022).
 */
import {
  add, conv2d, type Conv2dOptions, type FloatDType, type Pair, reshape, type Tensor, transpose,
} from '@dlrt/core';
import type { Conv2d } from './conv2d.js';
import {
  factorsFromDense, LowRankLayer, type LowRankInit, type LowRankOptions,
} from './low-rank-layer.js';

/** LowRankOptions with the convolution's stride, padding and dilation. */
export interface LowRankConv2dOptions extends LowRankOptions, Conv2dOptions {}

function pair(p: Pair): [number, number] {
  return typeof p === 'number' ? [p, p] : [p[0], p[1]];
}

/**
 * im2col(x)·W ᵀ = (im2col(x)·V)·(U S)ᵀ: a convolution with the r filters Vᵀ (a k×k conv,
 * in → r channels) followed by a 1×1 convolution with U S (r → out channels). Both run on
 * the backend's conv2d, so its im2col and GEMM do the work.
 * @example new LowRankConv2d(20, 50, 5, { rank: 25, seed: 1 })   // [N,20,12,12] → [N,50,8,8]
 */
export class LowRankConv2d extends LowRankLayer {
  /** [kh, kw]. */
  readonly kernelSize: [number, number];
  private readonly conv: Conv2dOptions;

  /**
   * @param inChannels input channels C_in (W has C_in·kh·kw columns).
   * @param outChannels output channels C_out (W's rows).
   * @param kernelSize kh = kw, or [kh, kw].
   * @param init starting factors and bias instead of drawn ones (the caller keeps them).
   */
  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Pair,
    o: LowRankConv2dOptions, init?: LowRankInit) {
    const [kh, kw] = pair(kernelSize);
    super('LowRankConv2d', outChannels, inChannels * kh * kw, o, init);
    if (!Number.isInteger(kh) || !Number.isInteger(kw) || kh < 1 || kw < 1) {
      throw new Error(`LowRankConv2d: kernelSize ${kernelSize} must be positive integers`);
    }
    this.kernelSize = [kh, kw];
    this.conv = { stride: o.stride, padding: o.padding, dilation: o.dilation };
  }

  /** The rank-r truncated SVD of a trained Conv2d's unfolded kernel (its bias is copied). */
  static fromConv2d(layer: Conv2d, o: Omit<LowRankConv2dOptions, 'rng' | 'seed' | 'dtype'>):
    LowRankConv2d {
    const [out, inC, kh, kw] = layer.weight.shape;
    const W = reshape(layer.weight, [out, inC * kh * kw]);
    const f = factorsFromDense('LowRankConv2d', W, o.rank);
    W.dispose();
    const conv = layer.options;
    const lr = new LowRankConv2d(inC, out, [kh, kw], { ...conv, ...o,
      dtype: layer.weight.dtype as FloatDType }, { ...f, bias: layer.bias });
    for (const x of [f.U, f.S, f.V]) x.dispose();
    return lr;
  }

  protected apply(x: Tensor, left: Tensor, right: Tensor): Tensor {
    const k = right.shape[1];
    const [kh, kw] = this.kernelSize;
    const filters = reshape(transpose(right), [k, this.inChannels, kh, kw]);
    const h = conv2d(x, filters, this.conv);
    return conv2d(h, reshape(left, [this.outChannels, k, 1, 1]));
  }

  protected applyDense(x: Tensor, W: Tensor): Tensor {
    return conv2d(x, reshape(W, [this.outChannels, this.inChannels, ...this.kernelSize]),
      this.conv);
  }

  protected addBias(y: Tensor): Tensor {
    return this.bias ? add(y, reshape(this.bias, [1, this.outChannels, 1, 1])) : y;
  }
}
