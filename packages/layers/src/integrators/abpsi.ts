/**
 * ABPSI: the augmented backward-corrected projector-splitting integrator of Kusch, Schotthöfer
 * & Walter ("An augmented backward-corrected projector splitting integrator for dynamical
 * low-rank training", arXiv 2502.03006; SIAM J. Math. Data Sci. 2026). Matrix layers only.
 */
import { changeBasis, concat, linalg, type Tensor, transpose } from '@dlrt/core';
import type { Module } from '../nn/module.js';
import { FactorizedIntegrator } from './factorized-integrator.js';
import type { StepResult } from './integrator.js';
import { type AdaptiveOptions, checkAdaptive } from './options.js';
import { matrixParts, ranksOf } from './parts.js';

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
 * side because it writes y = x W; the paper leaves the side to the implementation).
 * @example new ABPSI(model, { optimizer: new SGD({ lr: 0.01 }), tol: 0.01 })
 */
export class ABPSI extends FactorizedIntegrator {
  readonly name = 'ABPSI';

  constructor(model: Module, override readonly options: ABPSIOptions) {
    super(model, options);
    checkAdaptive(this.name, options);
  }

  async step(lossFn: () => Tensor): Promise<StepResult> {
    const parts = matrixParts(this.name, this.model);
    const before = parts.layers.map((l) => l.ranks);

    // 1. K-step.
    const k = await this.kStep(lossFn, parts, 0);

    // 2. Augmented output basis and backward correction (W unchanged).
    this.rebaseAll(parts, k.next.map((K1) => [K1!]), (layer, [K1]) => {
      const [U, V] = layer.bases;
      const Uh = linalg.orth(concat([U, K1], 1));   // old first, as in augmentation
      return { core: changeBasis(layer.core, [{ axis: 0, from: U, to: Uh }]), bases: [Uh, V] };
    });

    // 3. L-step at the augmented rank (L₀ = V₀S̃ᵀ), with the biases and dense layers.
    const l = await this.kStep(lossFn, parts, 1, { others: true });

    // 4. Ŝ = Rᵀ from the QR of L₁.
    this.rebaseAll(parts, l.next.map((L1) => [L1!]), (layer, [L1]) => {
      const { q, r } = linalg.qr(L1);
      return { core: transpose(r), bases: [layer.bases[0], q] };
    });

    // 5. Truncate.
    this.truncate(parts, this.options, before);
    return { loss: k.loss, ranks: ranksOf(parts) };
  }
}
