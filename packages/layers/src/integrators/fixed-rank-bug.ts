/**
 * FixedRankBUG: DLRT at a fixed rank, the "unconventional" basis-update & Galerkin integrator
 * of Ceruti & Lubich ("An unconventional robust integrator for dynamical low-rank
 * approximation", BIT Numer. Math. 2022), the fixed-rank mode of Schotthöfer et al.
 * (NeurIPS 2022). On a Tucker core it is TDLRT's fixed-rank variant.
 */
import { linalg, type Tensor } from '@dlrt/core';
import type { Module } from '../nn/module.js';
import { FactorizedIntegrator } from './factorized-integrator.js';
import type { StepResult } from './integrator.js';
import type { LowRankIntegratorOptions } from './options.js';
import { factorizedParts, ranksOf } from './parts.js';

/** Options of `FixedRankBUG`: the inner optimizer alone (no truncation). */
export type FixedRankBUGOptions = LowRankIntegratorOptions;

/**
 * Per mini-batch:
 *   1. K-step and L-step from the same W₀: K₁ = K₀ − λ∇_K ℓ, L₁ = L₀ − λ∇_L ℓ;
 *   2. new bases U₁ = orth(K₁), V₁ = orth(L₁); S̃ = (U₁ᵀU₀) S₀ (V₀ᵀV₁);
 *   3. Galerkin S-step, forward in time: S₁ = S̃ − λ U₁ᵀ G(U₁ S̃ V₁ᵀ) V₁, with the biases
 *      and dense layers.
 * No truncation: every rank stays as it started. Exact when the trajectory has rank r.
 * @example new FixedRankBUG(model, { optimizer: new SGD({ lr: 0.05 }) })
 */
export class FixedRankBUG extends FactorizedIntegrator {
  readonly name = 'FixedRankBUG';

  constructor(model: Module, options: FixedRankBUGOptions) {
    super(model, options);
  }

  async step(lossFn: () => Tensor): Promise<StepResult> {
    const parts = factorizedParts(this.model);

    // 1. K- and L-steps (both at W₀).
    const { loss, directions } = await this.kSteps(lossFn, parts);

    // 2. The new bases and the old coefficients written in them.
    this.rebaseAll(parts, directions, (layer, K1) =>
      layer.withBases(K1.map((k) => linalg.orth(k))));

    // 3. S-step in the new bases, with the biases and dense layers.
    await this.coreStep(lossFn, parts);
    return { loss, ranks: ranksOf(parts) };
  }
}
