/**
 * FixedRankBUG: DLRT at a fixed rank, the "unconventional" basis-update & Galerkin integrator
 * of Ceruti & Lubich (papers/matrix-methods.md §1.3 B1; the fixed-rank mode of §3.2, KLS).
 */
import { dispose, linalg, matmul, type Tensor, tidy } from '@dlrt/core';
import type { Module } from '../nn/module.js';
import type { Integrator, StepResult } from './integrator.js';
import {
  Coefficients, gradientPass, kAndLSteps, type LowRankIntegratorOptions, lowRankParts,
  ranksOf, rebase, stepAll,
} from './low-rank-steps.js';

export type FixedRankBUGOptions = LowRankIntegratorOptions;

/**
 * Per mini-batch:
 *   1. K-step and L-step from the same W₀: K₁ = K₀ − λ∇_K ℓ, L₁ = L₀ − λ∇_L ℓ;
 *   2. new bases U₁ = orth(K₁), V₁ = orth(L₁); S̃ = (U₁ᵀU₀) S₀ (V₀ᵀV₁);
 *   3. Galerkin S-step, forward in time: S₁ = S̃ − λ U₁ᵀ G(U₁ S̃ V₁ᵀ) V₁, with the biases
 *      and dense layers.
 * No truncation: every rank stays as it started. Exact when the trajectory has rank r (§10.1).
 * @example new FixedRankBUG(model, { optimizer: new SGD({ lr: 0.05 }) })
 */
export class FixedRankBUG implements Integrator {
  readonly name = 'FixedRankBUG';
  private readonly coefficients = new Coefficients();

  constructor(readonly model: Module, readonly options: FixedRankBUGOptions) {}

  async step(lossFn: () => Tensor): Promise<StepResult> {
    const parts = lowRankParts(this.model);
    const { layers, others } = parts;
    const opt = this.options.optimizer;

    // 1. K- and L-steps (both at W₀).
    const { loss, K1, L1 } = await kAndLSteps(this.name, lossFn, parts, opt, this.coefficients);

    // 2. The new bases and the old coefficients written in them.
    layers.forEach((layer, i) => {
      const next = tidy(() => {
        const U1 = linalg.orth(K1[i]);
        const V1 = linalg.orth(L1[i]);
        const M = matmul(U1, layer.U, { transposeA: true });
        const N = matmul(layer.V, V1, { transposeA: true });
        return { U: U1, S: matmul(matmul(M, layer.S), N), V: V1 };
      });
      rebase(layer, next, opt, this.coefficients);
      dispose([next.U, next.S, next.V, K1[i], L1[i]]);
    });

    // 3. S-step in the new bases, with the biases and dense layers.
    const vars = [...layers.map((x) => x.S), ...others];
    const s = await gradientPass(this.name, lossFn, parts, null, vars);
    stepAll(opt, vars, s.grads);
    return { loss, ranks: ranksOf(parts) };
  }
}
