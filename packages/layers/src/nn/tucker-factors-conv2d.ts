/**
 * TuckerFactorsConv2d: the baseline TDLRT is measured against (Zangrando et al., NeurIPS 2024,
 * Fig. 1's "Tucker"): the same Tucker kernel 𝒞 ×ᵢ Uᵢ, with the core and every factor an
 * ordinary trainable parameter stepped by the optimizer at fixed ranks, as tensorly-torch's
 * FactorizedConv trains it. Nothing keeps the factors orthonormal.
 */
import { clone, type Conv2dOptions, type Pair, type Tensor, type Variable } from '@dlrt/core';
import type { LayerParameterCounts } from './factorized-layer.js';
import { Module } from './module.js';
import {
  TuckerConv2d, type TuckerConv2dOptions, tuckerConv, type TuckerConvLayout, type TuckerPath,
} from './tucker-conv2d.js';

/**
 * A Tucker convolution whose core and factors are all ordinary trainable parameters, at fixed
 * ranks; it takes TuckerConv2dOptions and convolves as `tuckerConv` does.
 * @example new TuckerFactorsConv2d(32, 64, 3, { ranks: [16, 8], padding: 1, seed: 1 })
 */
export class TuckerFactorsConv2d extends Module implements TuckerConvLayout {
  /** 𝒞, the core (kernel shape with each factorized mode at its rank), parameter 'core'. */
  readonly core: Variable;
  /** Uᵢ [nᵢ, rᵢ] per mode of `modes`, parameters 'U0', 'U1', …; not kept orthonormal. */
  readonly factors: readonly Variable[];
  readonly bias: Variable | null;
  readonly modes: readonly number[];
  readonly kernelSize: readonly [number, number];
  readonly options: Conv2dOptions;
  readonly path: TuckerPath;

  /** Draws exactly what `new TuckerConv2d(…)` with the same options draws. */
  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Pair,
    o: TuckerConv2dOptions = {}) {
    super();
    const twin = new TuckerConv2d(inChannels, outChannels, kernelSize, o);
    try {
      this.modes = twin.modes;
      this.kernelSize = twin.kernelSize;
      this.options = twin.options;
      this.path = twin.path;
      this.core = this.addParameter('core', clone(twin.core));
      this.factors = twin.bases.map((u, i) => this.addParameter(`U${this.modes[i]}`, clone(u)));
      this.bias = twin.bias ? this.addParameter('bias', clone(twin.bias)) : null;
    } finally {
      twin.dispose();
    }
  }

  /** The current ranks (fixed). */
  get ranks(): number[] {
    return this.factors.map((u) => u.shape[1]);
  }

  /** Scalars stored (core, factors, bias) and what the dense kernel and bias would store. */
  parameterCounts(): LayerParameterCounts {
    const [kh, kw] = this.kernelSize;
    return { factored: this.numParameters(),
      dense: this.outChannels * this.inChannels * kh * kw + (this.bias?.size ?? 0) };
  }

  forward(x: Tensor): Tensor {
    return tuckerConv(x, this.core, this.factors, this);
  }
}
