/** Embedding: a table of learned vectors looked up by integer ids. */
import { gather, randn, type Tensor, type Variable } from '@dlrt/core';
import { type InitOptions, initRng } from './init.js';
import { Module } from './module.js';

/**
 * ids (int32, any shape) ↦ the rows of a [count, dim] table, drawn N(0, 1) as PyTorch does;
 * the gradient adds up over repeated ids.
 * @example new Embedding(96, 64, { seed: 1 }).forward(ids)   // ids [B, N] → [B, N, 64]
 */
export class Embedding extends Module {
  /** The table [count, dim]. */
  readonly weight: Variable;

  /**
   * @param count the number of ids (rows); `forward` throws on an id outside [0, count).
   * @param dim the vector width.
   */
  constructor(readonly count: number, readonly dim: number, o: InitOptions = {}) {
    super();
    for (const [k, v] of Object.entries({ count, dim })) {
      if (!Number.isInteger(v) || v < 1) {
        throw new Error(`Embedding: ${k} must be a positive integer, got ${v}`);
      }
    }
    this.weight = this.addParameter('weight', randn([count, dim],
      { rng: initRng('Embedding', o), dtype: o.dtype ?? 'float32' }));
  }

  forward(ids: Tensor): Tensor {
    if (ids.dtype !== 'int32') {
      throw new Error(`Embedding(${this.count}, ${this.dim}): ids must be int32, got ${ids.dtype}`);
    }
    const data = ids.dataSync();
    for (const id of data) {
      if (!(id >= 0 && id < this.count)) {
        throw new Error(`Embedding(${this.count}, ${this.dim}): id ${id} is outside ` +
          `[0, ${this.count})`);
      }
    }
    return gather(this.weight, ids, 0);
  }
}
