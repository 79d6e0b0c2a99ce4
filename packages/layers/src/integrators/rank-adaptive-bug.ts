/**
 * RankAdaptiveBUG: the rank-adaptive DLRT step of Schotthöfer et al. 2022, i.e. the augmented
 * basis-update & Galerkin integrator (papers/matrix-methods.md §3.2, B2 in §1.3). With
 * `passes: 2` it is the single-basis-backprop variant (§4): one pass gives both basis
 * gradients, which span the same augmented bases.
 */
import { augmentFactors, dispose, type Tensor } from '@dlrt/core';
import type { Module } from '../nn/module.js';
import type { Integrator, StepResult } from './integrator.js';
import {
  type AdaptiveOptions, checkAdaptive, Coefficients, gradientPass, kAndLSteps, lowRankParts,
  ranksOf, rebase, stepAll, truncateAll,
} from './low-rank-steps.js';

export interface RankAdaptiveBUGOptions extends AdaptiveOptions {
  /** 3 (default): K-, L- and S-passes as in the paper; 2: one basis pass, then the S-pass. */
  passes?: 2 | 3;
}

/**
 * Per mini-batch, over all low-rank layers at once:
 *   1. K-step and L-step from the same W₀: K₁ = K₀ − λ∇_K ℓ, L₁ = L₀ − λ∇_L ℓ;
 *   2. augment: Û = orth([U₀ | K₁]), V̂ = orth([V₀ | L₁]), S̃ = (ÛᵀU₀) S₀ (V₀ᵀV̂)  (W unchanged);
 *   3. S-step at the augmented rank: Ŝ = S̃ − λ Ûᵀ G V̂; biases and dense layers step too;
 *   4. truncate Ŝ by θ.
 * @example new RankAdaptiveBUG(model, { optimizer: new SGD({ lr: 0.05 }), tol: 0.11 })
 */
export class RankAdaptiveBUG implements Integrator {
  readonly name: string;
  readonly passes: 2 | 3;
  private readonly coefficients = new Coefficients();

  constructor(readonly model: Module, readonly options: RankAdaptiveBUGOptions) {
    this.passes = options.passes ?? 3;
    this.name = this.passes === 3 ? 'RankAdaptiveBUG' : 'RankAdaptiveBUG(2 passes)';
    if (this.passes !== 2 && this.passes !== 3) {
      throw new Error(`RankAdaptiveBUG: passes must be 2 or 3, got ${options.passes}`);
    }
    checkAdaptive(this.name, options);
  }

  async step(lossFn: () => Tensor): Promise<StepResult> {
    const parts = lowRankParts(this.model);
    const { layers, others } = parts;
    const opt = this.options.optimizer;
    const ranks = layers.map((l) => l.rank);

    // 1–2. New directions for the bases, then the augmented bases.
    const { loss, directions } = this.passes === 3
      ? await this.kAndL(lossFn)
      : await this.basisGradients(lossFn);
    layers.forEach((layer, i) => {
      const next = augmentFactors(layer, directions[i][0], directions[i][1]);
      rebase(layer, next, opt, this.coefficients);
      dispose([next.U, next.S, next.V, directions[i]]);
    });

    // 3. S-step in the augmented bases, with the biases and dense layers.
    const vars = [...layers.map((l) => l.S), ...others];
    const s = await gradientPass(this.name, lossFn, parts, null, vars);
    stepAll(opt, vars, s.grads);

    // 4. Truncate.
    truncateAll(parts, this.options, this.coefficients, ranks);
    return { loss, ranks: ranksOf(parts) };
  }

  /** The paper's K- and L-passes: the directions are K₁ and L₁. */
  private async kAndL(lossFn: () => Tensor):
    Promise<{ loss: number; directions: [Tensor, Tensor][] }> {
    const { loss, K1, L1 } = await kAndLSteps(this.name, lossFn, lowRankParts(this.model),
      this.options.optimizer, this.coefficients);
    return { loss, directions: K1.map((k, i) => [k, L1[i]]) };
  }

  /** §4: one pass at W = U S Vᵀ; ∇_U = G V Sᵀ and ∇_V = Gᵀ U S span the same new directions. */
  private async basisGradients(lossFn: () => Tensor):
    Promise<{ loss: number; directions: [Tensor, Tensor][] }> {
    const parts = lowRankParts(this.model);
    const sources = parts.layers.flatMap((l) => [l.U, l.V]);
    const { loss, grads } = await gradientPass(this.name, lossFn, parts, null, sources);
    return { loss, directions: parts.layers.map((_, i) => [grads[2 * i], grads[2 * i + 1]]) };
  }
}
