/**
 * ABPSI: the augmented backward-corrected projector-splitting integrator of Kusch,
 * Schotthöfer & Walter (papers/matrix-methods.md §5).
 */
import { concat, dispose, linalg, matmul, type Tensor, tidy, transpose } from '@dlrt/core';
import type { Module } from '../nn/module.js';
import type { Integrator, StepResult } from './integrator.js';
import {
  type AdaptiveOptions, checkAdaptive, Coefficients, coefficientStep, lowRankParts, ranksOf,
  rebase, stepAll, truncateAll,
} from './low-rank-steps.js';

export type ABPSIOptions = AdaptiveOptions;

/**
 * Per mini-batch:
 *   1. K-step at rank r: K₁ = U₀S₀ − λ G V₀;
 *   2. augment the output basis, Û = orth([U₀ | K₁]), and correct backward: S̃ = ÛᵀU₀S₀, so
 *      Û (V₀S̃ᵀ)ᵀ = W₀ with no gradient evaluation;
 *   3. L-step at rank 2r from L₀ = V₀S̃ᵀ: L₁ = L₀ − λ Gᵀ Û; biases and dense layers step from
 *      the same pass;
 *   4. (V̂, R) = qr(L₁), Ŝ = Rᵀ, so W = Û Ŝ V̂ᵀ = W₀ − λ Û Ûᵀ G;
 *   5. truncate by θ.
 * The update projects G on the output side only (the reference code projects on its input
 * side because it writes y = x W; §5.1 leaves the side to the implementation).
 * @example new ABPSI(model, { optimizer: new SGD({ lr: 0.01 }), tol: 0.01 })
 */
export class ABPSI implements Integrator {
  readonly name = 'ABPSI';
  private readonly coefficients = new Coefficients();

  constructor(readonly model: Module, readonly options: ABPSIOptions) {
    checkAdaptive(this.name, options);
  }

  async step(lossFn: () => Tensor): Promise<StepResult> {
    const parts = lowRankParts(this.model);
    const { layers, others } = parts;
    const opt = this.options.optimizer;
    const ranks = layers.map((l) => l.rank);

    // 1. K-step.
    const k = await coefficientStep('K', this.name, lossFn, parts, opt, this.coefficients);

    // 2. Augmented output basis and backward correction (W unchanged).
    layers.forEach((layer, i) => {
      const next = tidy(() => {
        const Uh = linalg.orth(concat([layer.U, k.next[i]], 1));   // old first, as augmentFactors
        return { U: Uh, S: matmul(matmul(Uh, layer.U, { transposeA: true }), layer.S), V: layer.V };
      });
      rebase(layer, next, opt, this.coefficients);
      dispose([next.U, next.S, k.next[i]]);
    });

    // 3. L-step at the augmented rank (L₀ = V₀S̃ᵀ is what coefficientStep starts from).
    const l = await coefficientStep('L', this.name, lossFn, parts, opt, this.coefficients, others);
    stepAll(opt, others, l.extra);

    // 4. Ŝ = Rᵀ from the QR of L₁.
    layers.forEach((layer, i) => {
      const next = tidy(() => {
        const { q, r } = linalg.qr(l.next[i]);
        return { U: layer.U, S: transpose(r), V: q };
      });
      rebase(layer, next, opt, this.coefficients);
      dispose([next.S, next.V, l.next[i]]);
    });

    // 5. Truncate.
    truncateAll(parts, this.options, this.coefficients, ranks);
    return { loss: k.loss, ranks: ranksOf(parts) };
  }
}
