/** Position information added to token vectors: learned, or Vaswani et al.'s sinusoids. */
import { add, type FloatDType, randn, slice, type Tensor, tensor, type Variable } from '@dlrt/core';
import { type InitOptions, initRng } from './init.js';
import { Module } from './module.js';

/** Checks x [..., N, dim] against a table of `maxLen` positions; returns N. */
function sequenceLength(kind: string, x: Tensor, maxLen: number, dim: number): number {
  const [n, d] = x.shape.slice(-2);
  if (x.rank < 2 || d !== dim) {
    throw new Error(`${kind}: input [${x.shape}] must be [..., N, ${dim}]`);
  }
  if (n > maxLen) {
    throw new Error(`${kind}: sequence length ${n} is longer than its ${maxLen} positions`);
  }
  return n;
}

/**
 * x [..., N, dim] ↦ x + P[:N], P a learned [maxLen, dim] table drawn N(0, 0.02²) (GPT-2's).
 * @example new LearnedPositions(64, 32, { seed: 1 })
 */
export class LearnedPositions extends Module {
  /** P [maxLen, dim]. */
  readonly weight: Variable;

  /**
   * @param maxLen the positions the table holds; a longer input is an error.
   * @param dim the token width.
   */
  constructor(readonly maxLen: number, readonly dim: number, o: InitOptions = {}) {
    super();
    for (const [k, v] of Object.entries({ maxLen, dim })) {
      if (!Number.isInteger(v) || v < 1) {
        throw new Error(`LearnedPositions: ${k} must be a positive integer, got ${v}`);
      }
    }
    this.weight = this.addParameter('weight', randn([maxLen, dim],
      { rng: initRng('LearnedPositions', o), std: 0.02, dtype: o.dtype ?? 'float32' }));
  }

  forward(x: Tensor): Tensor {
    const n = sequenceLength('LearnedPositions', x, this.maxLen, this.dim);
    return add(x, slice(this.weight, [0, 0], [n, this.dim]));
  }
}

/**
 * The sinusoidal table of Vaswani et al. (2017), P[pos, 2i] = sin(pos / 10000^{2i/dim}) and
 * P[pos, 2i + 1] = cos(pos / 10000^{2i/dim}), as a [maxLen, dim] tensor (computed in float64).
 * @example sinusoidalTable(128, 64)   // [128, 64], float32
 */
export function sinusoidalTable(maxLen: number, dim: number, dtype: FloatDType = 'float32'):
  Tensor {
  const data = new Float64Array(maxLen * dim);
  for (let pos = 0; pos < maxLen; pos++) {
    for (let j = 0; j < dim; j++) {
      const angle = pos / 10000 ** ((2 * Math.floor(j / 2)) / dim);
      data[pos * dim + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return tensor(dtype === 'float64' ? data : Float32Array.from(data), [maxLen, dim], dtype);
}

/**
 * x [..., N, dim] ↦ x + P[:N] with the fixed sinusoidal table (no parameters).
 * @example new SinusoidalPositions(128, 64).forward(x)   // x [B, N ≤ 128, 64]
 */
export class SinusoidalPositions extends Module {
  private readonly table: Tensor;

  /**
   * @param maxLen the positions the table holds; a longer input is an error.
   * @param dim the token width.
   */
  constructor(readonly maxLen: number, readonly dim: number, o: { dtype?: FloatDType } = {}) {
    super();
    for (const [k, v] of Object.entries({ maxLen, dim })) {
      if (!Number.isInteger(v) || v < 1) {
        throw new Error(`SinusoidalPositions: ${k} must be a positive integer, got ${v}`);
      }
    }
    this.table = sinusoidalTable(maxLen, dim, o.dtype);
  }

  forward(x: Tensor): Tensor {
    const n = sequenceLength('SinusoidalPositions', x, this.maxLen, this.dim);
    return add(x, slice(this.table, [0, 0], [n, this.dim]));
  }

  override dispose(): void {
    this.table.dispose();
    super.dispose();
  }
}
