/**
 * ParallelBUG: the parallel rank-adaptive integrator of Ceruti, Kusch & Lubich
 * (papers/matrix-methods.md §1.3 B3); with explicit Euler substeps it is GeoLoRA's update (§6.2).
 */
import { concat, dispose, linalg, matmul, neg, slice, type Tensor, tidy, zeros } from '@dlrt/core';
import type { Module } from '../nn/module.js';
import type { Integrator, StepResult } from './integrator.js';
import {
  type AdaptiveOptions, checkAdaptive, Coefficients, gradientPass, lowRankParts, ranksOf,
  rebase, stepAll, truncateAll,
} from './low-rank-steps.js';

export type ParallelBUGOptions = AdaptiveOptions;

/**
 * Per mini-batch, K, L and S all start from W₀ = U₀ S₀ V₀ᵀ, so one pass serves them all:
 *   1. one forward/backward in the tangent form (LowRankForm 'tangent') gives G V₀, Gᵀ U₀ and
 *      U₀ᵀ G V₀ without inverting S: K₁ = K₀ − λ G V₀, L₁ = L₀ − λ Gᵀ U₀, S̄ = S₀ − λ U₀ᵀ G V₀;
 *      biases and dense layers step from the same pass;
 *   2. Ũ = the columns of orth([U₀ | K₁]) after the first r (orthogonal to U₀), Ṽ likewise;
 *   3. augmented core [[S̄, L₁ᵀṼ], [ŨᵀK₁, 0]] in the bases [U₀ | Ũ], [V₀ | Ṽ];
 *   4. truncate by θ.
 * @example new ParallelBUG(model, { optimizer: new SGD({ lr: 0.05 }), tol: 0.1 })
 */
export class ParallelBUG implements Integrator {
  readonly name = 'ParallelBUG';
  private readonly coefficients = new Coefficients();

  constructor(readonly model: Module, readonly options: ParallelBUGOptions) {
    checkAdaptive(this.name, options);
  }

  async step(lossFn: () => Tensor): Promise<StepResult> {
    const parts = lowRankParts(this.model);
    const { layers, others } = parts;
    const opt = this.options.optimizer;
    const ranks = layers.map((l) => l.rank);

    // 1. One pass: ∇_K = G V₀, ∇_L = Gᵀ U₀, and ∇_S = −U₀ᵀ G V₀ in the tangent form.
    const K = layers.map((l) => this.coefficients.K(l, tidy(() => matmul(l.U, l.S))));
    const L = layers.map((l) =>
      this.coefficients.L(l, tidy(() => matmul(l.V, l.S, { transposeB: true }))));
    const S = layers.map((l) => l.S);
    const n = layers.length;
    const { loss, grads } = await gradientPass(this.name, lossFn, parts,
      layers.map((_, i) => ({ kind: 'tangent', K: K[i], L: L[i] })), [...K, ...L, ...S, ...others]);
    const K1 = K.map((k, i) => tidy(() => opt.update(k, grads[i])));
    const L1 = L.map((l, i) => tidy(() => opt.update(l, grads[n + i])));
    const sGrads = grads.slice(2 * n, 3 * n).map((g) => tidy(() => neg(g)));
    stepAll(opt, [...S, ...others], [...sGrads, ...grads.slice(3 * n)]);
    dispose(grads.slice(0, 3 * n));

    // 2–3. New directions orthogonal to the old bases, and the augmented core.
    layers.forEach((layer, i) => {
      const next = tidy(() => {
        const r = layer.U.shape[1];
        const q = layer.V.shape[1];
        const Ut = trailing(linalg.orth(concat([layer.U, K1[i]], 1)), r);
        const Vt = trailing(linalg.orth(concat([layer.V, L1[i]], 1)), q);
        const top = concat([layer.S, matmul(L1[i], Vt, { transposeA: true })], 1);
        const bottom = concat([matmul(Ut, K1[i], { transposeA: true }),
          zeros([Ut.shape[1], Vt.shape[1]], layer.S.dtype)], 1);
        return { U: concat([layer.U, Ut], 1), S: concat([top, bottom], 0),
          V: concat([layer.V, Vt], 1) };
      });
      rebase(layer, next, opt, this.coefficients);
      dispose([next.U, next.S, next.V, K1[i], L1[i]]);
    });

    // 4. Truncate.
    truncateAll(parts, this.options, this.coefficients, ranks);
    return { loss, ranks: ranksOf(parts) };
  }
}

/** The columns of q after the first r (empty when q has only r). */
function trailing(q: Tensor, r: number): Tensor {
  return slice(q, [0, r], [q.shape[0], q.shape[1] - r]);
}
