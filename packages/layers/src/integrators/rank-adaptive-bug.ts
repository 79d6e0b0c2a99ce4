/**
 * RankAdaptiveBUG: the rank-adaptive DLRT step of Schotthöfer, Zangrando, Kusch, Ceruti &
 * Tudisco ("Low-rank lottery tickets", NeurIPS 2022), i.e. the augmented
 * basis-update & Galerkin integrator of Ceruti, Kusch & Lubich (BIT Numer. Math. 2022). On a
 * Tucker core it is TDLRT's step (Zangrando et al., NeurIPS 2024, Algorithm 1). With
 * `passes: 2` it is the single-basis-backprop variant of Schotthöfer, Yang & Schnake (arXiv
 * 2505.08022, Algorithm 1): one pass gives every basis gradient ∇_Uᵢ ℓ, which spans the same
 * augmented bases while the core is invertible.
 */
import type { Tensor } from '@dlrt/core';
import type { Module } from '../nn/module.js';
import { FactorizedIntegrator } from './factorized-integrator.js';
import type { StepResult } from './integrator.js';
import { type AdaptiveOptions, checkAdaptive } from './options.js';
import { type FactorizedParts, factorizedParts, ranksOf } from './parts.js';

export interface RankAdaptiveBUGOptions extends AdaptiveOptions {
  /**
   * 3 (default): a K-pass per basis (K, then L) and the S-pass, as in the paper; 2: one basis
   * pass, then the S-pass.
   */
  passes?: 2 | 3;
}

/**
 * Per mini-batch, over all factorized layers at once (matrix names; Tucker: per basis Uᵢ):
 *   1. K-step and L-step from the same W₀: K₁ = K₀ − λ∇_K ℓ, L₁ = L₀ − λ∇_L ℓ;
 *   2. augment: Û = orth([U₀ | K₁]), V̂ = orth([V₀ | L₁]), S̃ = (ÛᵀU₀) S₀ (V₀ᵀV̂)  (W unchanged);
 *   3. S-step at the augmented rank: Ŝ = S̃ − λ Ûᵀ G V̂; biases and dense layers step too;
 *   4. truncate Ŝ by θ.
 * @example new RankAdaptiveBUG(model, { optimizer: new SGD({ lr: 0.05 }), tol: 0.11 })
 */
export class RankAdaptiveBUG extends FactorizedIntegrator {
  readonly name: string;
  /** 3: K-, L- and S-passes; 2: one basis-gradient pass and the S-pass. */
  readonly passes: 2 | 3;

  constructor(model: Module, override readonly options: RankAdaptiveBUGOptions) {
    super(model, options);
    this.passes = options.passes ?? 3;
    this.name = this.passes === 3 ? 'RankAdaptiveBUG' : 'RankAdaptiveBUG(2 passes)';
    if (this.passes !== 2 && this.passes !== 3) {
      throw new Error(`RankAdaptiveBUG: passes must be 2 or 3, got ${options.passes}`);
    }
    checkAdaptive(this.name, options);
  }

  async step(lossFn: () => Tensor): Promise<StepResult> {
    const parts = factorizedParts(this.model);
    const before = parts.layers.map((l) => l.ranks);

    // 1. New directions for the bases: K₁ and L₁ (or, with 2 passes, ∇_U ℓ and ∇_V ℓ).
    const { loss, directions } = this.passes === 3 ? await this.kSteps(lossFn, parts)
      : await this.basisGradients(lossFn, parts);

    // 2. Augment: Û = orth([U₀ | K₁]), V̂ = orth([V₀ | L₁]), S̃ = (ÛᵀU₀) S₀ (V₀ᵀV̂).
    this.augment(parts, directions);

    // 3. S-step in the augmented bases, with the biases and dense layers.
    await this.coreStep(lossFn, parts);

    // 4. Truncate.
    this.truncate(parts, this.options, before);
    return { loss, ranks: ranksOf(parts) };
  }

  /** One pass at W₀ = U S Vᵀ: ∇_U ℓ = G V Sᵀ and ∇_V ℓ = Gᵀ U S span the K₁, L₁ directions. */
  private async basisGradients(lossFn: () => Tensor, parts: FactorizedParts):
    Promise<{ loss: number; directions: Tensor[][] }> {
    const bases = parts.layers.map((l) => l.bases);
    const { loss, grads } = await this.pass(lossFn, parts, null, bases.flat());
    let n = 0;
    return { loss, directions: bases.map((b) => b.map(() => grads[n++])) };
  }
}
