/** Dense (fully connected) layer: y = x·Wᵀ + b with W stored [out, in] as in PyTorch. */
import { add, matmul, type Tensor, type Variable } from '@dlrt/core';
import { initBias, type InitOptions, initRng, initWeight } from './init.js';
import { Module } from './module.js';

export interface DenseOptions extends InitOptions {
  /** Add a bias (default true). */
  bias?: boolean;
}

/**
 * y = x·Wᵀ + b over the last axis of x (any leading axes). W is drawn by `o.init` (default
 * 'uniform', PyTorch's U(±1/√in)) from `o.rng` or `o.seed`, one of which is required.
 * `forward` throws when x's last axis is not `inFeatures`.
 * @example const fc = new Dense(784, 10, { seed: 1 }); fc.forward(x)   // x [N, 784] → [N, 10]
 */
export class Dense extends Module {
  /** W [outFeatures, inFeatures]. */
  readonly weight: Variable;
  /** b [outFeatures], or null with `bias: false`. */
  readonly bias: Variable | null;

  /**
   * @param inFeatures the input width m (a positive integer).
   * @param outFeatures the output width n (a positive integer).
   */
  constructor(readonly inFeatures: number, readonly outFeatures: number, o: DenseOptions = {}) {
    super();
    for (const [k, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`Dense: ${k} must be a positive integer, got ${v}`);
    }
    const rng = initRng('Dense', o);
    this.weight = this.addParameter('weight',
      initWeight('Dense', [outFeatures, inFeatures], inFeatures, rng, o));
    this.bias = o.bias === false ? null
      : this.addParameter('bias', initBias('Dense', [outFeatures], inFeatures, rng, o));
  }

  forward(x: Tensor): Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures) {
      throw new Error(`Dense(${this.inFeatures}→${this.outFeatures}): input [${x.shape}] must end ` +
        `in ${this.inFeatures}`);
    }
    const y = matmul(x, this.weight, { transposeB: true });
    return this.bias ? add(y, this.bias) : y;
  }
}
