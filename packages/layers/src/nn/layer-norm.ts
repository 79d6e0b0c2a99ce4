/** LayerNorm (Ba, Kiros & Hinton 2016): each row normalized over its last dimension. */
import { add, type FloatDType, mean, mul, ones, sqrt, square, sub, type Tensor, type Variable, zeros } from '@dlrt/core';
import { Module } from './module.js';

/** LayerNorm's ε, affine switch and parameter dtype. */
export interface LayerNormOptions {
  /** Added to the variance before the square root (default 1e-5, PyTorch's). */
  eps?: number;
  /** Learn a scale γ and a shift β (default true; γ = 1, β = 0 at the start). */
  affine?: boolean;
  /** The dtype of γ and β (default 'float32'). */
  dtype?: FloatDType;
}

/**
 * y = (x − mean(x)) / √(var(x) + ε) · γ + β over the last dimension, var the biased variance.
 * @example new LayerNorm(64)   // x [B, N, 64] → [B, N, 64]
 */
export class LayerNorm extends Module {
  /** ε, added to the variance. */
  readonly eps: number;
  /** γ [features], or null with `affine: false`. */
  readonly weight: Variable | null;
  /** β [features], or null with `affine: false`. */
  readonly bias: Variable | null;

  /** @param features the size of the normalized last dimension. */
  constructor(readonly features: number, o: LayerNormOptions = {}) {
    super();
    if (!Number.isInteger(features) || features < 1) {
      throw new Error(`LayerNorm: features must be a positive integer, got ${features}`);
    }
    this.eps = o.eps ?? 1e-5;
    if (!(this.eps > 0)) throw new Error(`LayerNorm: eps must be positive, got ${o.eps}`);
    const dtype = o.dtype ?? 'float32';
    const affine = o.affine ?? true;
    this.weight = affine ? this.addParameter('weight', ones([features], dtype)) : null;
    this.bias = affine ? this.addParameter('bias', zeros([features], dtype)) : null;
  }

  forward(x: Tensor): Tensor {
    if (x.shape[x.rank - 1] !== this.features) {
      throw new Error(`LayerNorm(${this.features}): input [${x.shape}] must end in ` +
        `${this.features}`);
    }
    const centered = sub(x, mean(x, -1, true));
    const y = centered.div(sqrt(add(mean(square(centered), -1, true), this.eps)));
    return this.weight && this.bias ? add(mul(y, this.weight), this.bias) : y;
  }
}
