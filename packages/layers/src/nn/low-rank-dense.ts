/** LowRankDense: a Dense layer whose weight W (out×in) lives on the low-rank manifold. */
import { add, type FloatDType, matmul, type Tensor } from '@dlrt/core';
import type { Dense } from './dense.js';
import {
  factorsFromDense, LowRankLayer, type LowRankInit, type LowRankOptions,
} from './low-rank-layer.js';

/**
 * y = x·Wᵀ + b with W = U S Vᵀ, computed as ((x V) Sᵀ) Uᵀ: r(n + m) + r² multiply-adds per row
 * instead of n·m.
 * @example const fc = new LowRankDense(784, 500, { rank: 32, seed: 1 });
 *          const fc2 = LowRankDense.fromDense(dense, { rank: 32 });   // truncated SVD
 */
export class LowRankDense extends LowRankLayer {
  /**
   * @param inFeatures the input width m.
   * @param outFeatures the output width n.
   * @param init starting factors and bias instead of drawn ones (the caller keeps them).
   */
  constructor(readonly inFeatures: number, readonly outFeatures: number, o: LowRankOptions,
    init?: LowRankInit) {
    super('LowRankDense', outFeatures, inFeatures, o, init);
  }

  /** The rank-r truncated SVD of a trained Dense layer (its bias is copied). */
  static fromDense(dense: Dense, o: Omit<LowRankOptions, 'rng' | 'seed' | 'dtype'>):
    LowRankDense {
    const f = factorsFromDense('LowRankDense', dense.weight, o.rank);
    const layer = new LowRankDense(dense.inFeatures, dense.outFeatures,
      { ...o, dtype: dense.weight.dtype as FloatDType }, { ...f, bias: dense.bias });
    for (const x of [f.U, f.S, f.V]) x.dispose();
    return layer;
  }

  protected apply(x: Tensor, left: Tensor, right: Tensor): Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures) {
      throw new Error(`LowRankDense(${this.inFeatures}→${this.outFeatures}): input [${x.shape}] ` +
        `must end in ${this.inFeatures}`);
    }
    return matmul(matmul(x, right), left, { transposeB: true });
  }

  protected applyDense(x: Tensor, W: Tensor): Tensor {
    return matmul(x, W, { transposeB: true });
  }

  protected addBias(y: Tensor): Tensor {
    return this.bias ? add(y, this.bias) : y;
  }
}
