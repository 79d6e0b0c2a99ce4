/** Conv2d layer over NCHW input, filters [out, in, kh, kw] as in PyTorch. */
import { add, conv2d, type Conv2dOptions, type Pair, reshape, type Tensor, type Variable } from '@dlrt/core';
import { initBias, type InitOptions, initRng, initWeight } from './init.js';
import { Module } from './module.js';

/** Conv2d's options: the convolution's geometry, the bias and the weight init. */
export interface Conv2dLayerOptions extends InitOptions {
  /** Step between windows, one number or `[sh, sw]`; default 1. */
  stride?: Pair;
  /** Zero padding on each side, one number or `[ph, pw]`; default 0. */
  padding?: Pair;
  /** Spacing between kernel taps, one number or `[dh, dw]`; default 1. */
  dilation?: Pair;
  /** Add a bias (default true). */
  bias?: boolean;
}

/**
 * A 2-d convolution, x [N, in, H, W] → [N, out, H', W'], with the bias added per output
 * channel. Weight and bias are drawn by `o.init` (default 'uniform', fan-in in·kh·kw) from
 * `o.rng` or `o.seed`.
 * @example new Conv2d(1, 20, 5, { seed: 1 })   // x [N,1,28,28] → [N,20,24,24]
 */
export class Conv2d extends Module {
  /** The filters [out, in, kh, kw]. */
  readonly weight: Variable;
  /** [out], or null with `bias: false`. */
  readonly bias: Variable | null;
  /** The convolution's stride, padding and dilation. */
  readonly options: Conv2dOptions;

  /**
   * @param inChannels input channels C_in.
   * @param outChannels output channels (filters) C_out.
   * @param kernelSize kh = kw, or [kh, kw].
   */
  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Pair,
    o: Conv2dLayerOptions = {}) {
    super();
    const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    for (const [k, v] of Object.entries({ inChannels, outChannels, kh, kw })) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`Conv2d: ${k} must be a positive integer, got ${v}`);
    }
    const rng = initRng('Conv2d', o);
    const fanIn = inChannels * kh * kw;
    this.options = { stride: o.stride, padding: o.padding, dilation: o.dilation };
    this.weight = this.addParameter('weight',
      initWeight('Conv2d', [outChannels, inChannels, kh, kw], fanIn, rng, o));
    this.bias = o.bias === false ? null
      : this.addParameter('bias', initBias('Conv2d', [outChannels], fanIn, rng, o));
  }

  forward(x: Tensor): Tensor {
    const y = conv2d(x, this.weight, this.options);
    return this.bias ? add(y, reshape(this.bias, [1, this.outChannels, 1, 1])) : y;
  }
}
