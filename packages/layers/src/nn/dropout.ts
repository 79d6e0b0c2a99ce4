/** Dropout (Srivastava et al. 2014) with its own seeded generator. */
import { cast, less, mul, rand, type Rng, type Tensor } from '@dlrt/core';
import { type InitOptions, initRng } from './init.js';
import { Module } from './module.js';

/**
 * In training mode each entry is zeroed with probability p and the rest scaled by 1/(1 − p)
 * (inverted dropout); in eval mode it is the identity. The masks come from the layer's
 * generator, so a seed fixes them and a run replays exactly.
 * @example new Dropout(0.1, { seed: 3 })
 */
export class Dropout extends Module {
  private readonly rng: Rng;

  /** @param p the probability of zeroing an entry, in [0, 1) (else the constructor throws). */
  constructor(readonly p: number, o: Pick<InitOptions, 'rng' | 'seed'> = {}) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) {
      throw new Error(`Dropout: p must be in [0, 1), got ${String(p)}`);
    }
    this.rng = initRng('Dropout', o);
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    const kept = cast(less(rand(x.shape, { rng: this.rng, dtype: x.dtype }), 1 - this.p), x.dtype);
    return mul(x, mul(kept, 1 / (1 - this.p)));
  }
}
