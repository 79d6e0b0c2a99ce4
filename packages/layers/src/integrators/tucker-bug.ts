/**
 * TuckerBUG: TDLRT's training step (Zangrando, Schotthöfer, Ceruti, Kusch & Tudisco,
 * "Geometry-aware training of factorized layers in tensor Tucker format", NeurIPS 2024,
 * Algorithm 1), the rank-adaptive basis-update & Galerkin integrator for Tucker tensors of
 * Ceruti, Kusch & Lubich (BIT Numer. Math. 2022) with one explicit Euler step per substep.
 * Two gradient evaluations per step, as the paper counts them: one pass gives every mode's
 * K-step, a second the core's Galerkin step. Matrix layers (d = 2) and dense layers in the same
 * model are stepped in the same two passes.
 */
import { dispose, linalg, type Tensor, tidy } from '@dlrt/core';
import type { FactorForm } from '../nn/factorized-layer.js';
import type { Module } from '../nn/module.js';
import { FactorizedIntegrator, reducedDirection } from './factorized-integrator.js';
import type { StepResult } from './integrator.js';
import { type AdaptiveOptions, checkAdaptive, type LowRankIntegratorOptions } from './options.js';
import { type FactorizedParts, factorizedParts, ranksOf } from './parts.js';

/**
 * Rank-adaptive (default): augment every basis and truncate by τ (`tol`, with the truncation
 * options); `rank: 'fixed'`: the fixed-rank variant, Uᵢ¹ = orth(Kᵢ¹) at the same ranks, no
 * truncation.
 */
export type TuckerBUGOptions = ((AdaptiveOptions & {
  /** Rank-adaptive (the default): augment every basis, then truncate by `tol`. */
  rank?: 'adaptive';
  /**
   * n ≥ 2: the augmented-BUG schedule of the authors' later code (RobustDLRT), in cycles of n
   * steps instead of the full step: augment every basis (one pass, no optimizer step), then
   * n − 1 steps of the cores, biases and dense layers in the augmented bases, then truncate.
   * Truncation then acts on a core that has trained for n − 1 steps, not on a fresh draw.
   */
  localSteps?: number;
}) | (LowRankIntegratorOptions & {
  /** Fixed rank: Uᵢ¹ = orth(Kᵢ¹) at the same ranks, no truncation. */
  rank: 'fixed';
})) & {
  /**
   * 2 (default): the paper's two gradient evaluations. 1: one pass in the `weight` form gives
   * 𝒢 = ∇_𝒲 ℓ, and the K-steps and the Galerkin step both take their gradients from it; the
   * same step, since augmentation leaves 𝒲 unchanged and the loss is evaluated on the same
   * mini-batch. It forms 𝒢 at the dense size, so it suits convolution kernels; the fixed-rank
   * variant moves 𝒲, so it needs 2.
   */
  passes?: 1 | 2;
};

/**
 * Per mini-batch, for every factorized layer (a Tucker kernel 𝒞 ×ᵢ Uᵢ; a matrix U S Vᵀ):
 *   1. K-steps of all modes from one pass at 𝒲₀: 𝒦ᵢ¹ = 𝒦ᵢ − λ Mat_i(𝒢 ×ⱼ Uⱼᵀ) (j ≠ i), reduced
 *      to rᵢ columns by Qᵢ of Mat_i(𝒞)ᵀ = QᵢRᵢ (Kᵢ = UᵢRᵢᵀ: the paper's Theorem 1);
 *   2. augment: Ûᵢ = orth([Uᵢ | Kᵢ¹]), 𝒞̃ = 𝒞 ×ᵢ ÛᵢᵀUᵢ (𝒲 unchanged); fixed rank: Uᵢ¹ = orth(Kᵢ¹);
 *   3. Galerkin step in the new bases: 𝒞 ← 𝒞̃ − λ 𝒢̃ ×ᵢ Ûᵢᵀ, with the biases and dense layers;
 *   4. truncate: per mode, the SVD of Mat_i(𝒞) keeps the smallest rank whose tail is below
 *      τ‖σ‖₂, within [rMin, rMax] (adaptive only).
 * The optimizer's state of 𝒞 and 𝒦ᵢ follows each change of basis (`FactorizedLayer.rebase`).
 * @example new TuckerBUG(model, { optimizer: new SGD({ lr: 0.05 }), tol: 0.1 })
 */
export class TuckerBUG extends FactorizedIntegrator {
  readonly name: string;
  /** 'adaptive' (augment and truncate) or 'fixed' (the ranks stay). */
  readonly rank: 'adaptive' | 'fixed';
  /** Gradient passes per step: 2 (the paper's) or 1 (both from the weight gradient 𝒢). */
  readonly passes: 1 | 2;
  /** Steps per augment–train–truncate cycle (`localSteps`), or 0 for the paper's step. */
  readonly localSteps: number;
  /** Steps taken, for the phase of the local-steps cycle. */
  private steps = 0;
  /** Each layer's ranks when the cycle began (the T-2022 rule keeps them without a break). */
  private cycleStart: (readonly number[])[] = [];

  constructor(model: Module, override readonly options: TuckerBUGOptions) {
    super(model, options);
    this.rank = options.rank ?? 'adaptive';
    this.passes = options.passes ?? 2;
    this.localSteps = options.rank === 'fixed' ? 0 : options.localSteps ?? 0;
    const variant = [this.passes === 1 ? '1 pass' : '',
      this.localSteps ? `cycles of ${this.localSteps}` : ''].filter(Boolean).join(', ');
    this.name = this.rank === 'fixed' ? 'TuckerBUG(fixed rank)'
      : variant ? `TuckerBUG(${variant})` : 'TuckerBUG';
    if (this.rank !== 'adaptive' && this.rank !== 'fixed') {
      throw new Error(`TuckerBUG: rank must be 'adaptive' or 'fixed', got '${String(options.rank)}'`);
    }
    if (this.passes !== 1 && this.passes !== 2) {
      throw new Error(`TuckerBUG: passes must be 1 or 2, got ${String(options.passes)}`);
    }
    if (this.passes === 1 && this.rank === 'fixed') {
      throw new Error('TuckerBUG: passes 1 needs the rank-adaptive step (the fixed-rank ' +
        'variant moves 𝒲 before its Galerkin step)');
    }
    if (options.rank !== 'fixed') {
      checkAdaptive(this.name, options);
      const n = options.localSteps;
      if (n !== undefined && !(Number.isInteger(n) && n >= 2)) {
        throw new Error(`TuckerBUG: localSteps must be an integer ≥ 2, got ${String(n)}`);
      }
    } else if ((options as { localSteps?: unknown }).localSteps !== undefined) {
      throw new Error('TuckerBUG: localSteps needs the rank-adaptive step (rank: \'fixed\' ' +
        'never augments)');
    }
  }

  async step(lossFn: () => Tensor): Promise<StepResult> {
    if (this.localSteps) return this.cycleStep(lossFn);
    const parts = factorizedParts(this.model);
    const before = parts.layers.map((l) => l.ranks);

    // 1. Every mode's K-step from one pass (with passes 1, the pass that gives 𝒢 itself).
    const once = this.passes === 1 ? await this.weightPass(lossFn, parts) : null;
    const { loss, K1 } = once ?? await this.kStepsFromOnePass(lossFn, parts);

    // 2. Augmented bases (the old basis first), or new ones at the same ranks.
    if (this.rank === 'adaptive') this.augment(parts, K1);
    else this.rebaseAll(parts, K1, (layer, K) => layer.withBases(K.map((k) => linalg.orth(k))));

    // 3. The core's Galerkin step, with the biases and dense layers (from 𝒢 with passes 1).
    if (once) this.coreStepFrom(once.G, once.othersGrads, parts);
    else await this.coreStep(lossFn, parts);

    // 4. Truncate every mode by τ.
    const o = this.options;
    if (o.rank !== 'fixed') this.truncate(parts, o, before);
    return { loss, ranks: ranksOf(parts) };
  }

  /**
   * One step of the local-steps cycle (RobustDLRT's `Conv2dLowRankLayerAugBUG` trainer:
   * Schotthöfer, Yang & Schnake, arXiv:2505.08022, reference code `ScSteffen/RobustDLRT`).
   * Its augmenting directions are the K-steps' of `step`: their span with Uᵢ is that of
   * [Uᵢ | ∂ℓ/∂Uᵢ] when Mat_i(𝒞) has full rank. The authors count the cycle's
   * phase within each epoch and take one core step and truncate at its first batch; here the
   * count runs on across epochs.
   */
  private async cycleStep(lossFn: () => Tensor): Promise<StepResult> {
    const parts = factorizedParts(this.model);
    const phase = this.steps++ % this.localSteps;
    let loss: number;
    if (phase === 0) {
      // 1. Augment every basis by its K-step direction; nothing else moves.
      this.cycleStart = parts.layers.map((l) => l.ranks);
      const once = this.passes === 1 ? await this.weightPass(lossFn, parts) : null;
      if (once) dispose([...once.G, ...once.othersGrads]);
      const { loss: l, K1 } = once ?? await this.kStepsFromOnePass(lossFn, parts);
      this.augment(parts, K1);
      loss = l;
    } else {
      // 2. A Galerkin step of the cores, with the biases and dense layers.
      loss = await this.coreStep(lossFn, parts);
    }
    // 3. Truncate every mode by τ at the end of the cycle.
    if (phase === this.localSteps - 1) {
      this.truncate(parts, this.options as AdaptiveOptions, this.cycleStart);
    }
    return { loss, ranks: ranksOf(parts) };
  }

  /**
   * One pass in the weight form: 𝒢 = ∇_𝒲 ℓ per layer (the caller's), the K-steps from it
   * (𝒦ᵢ¹ = 𝒦ᵢ − λ Mat_i(𝒢 ×ⱼ Uⱼᵀ), reduced to rᵢ directions) and the other parameters'
   * gradients, which are stepped with the cores.
   */
  private async weightPass(lossFn: () => Tensor, parts: FactorizedParts):
    Promise<{ loss: number; K1: Tensor[][]; G: Tensor[]; othersGrads: Tensor[] }> {
    const W = parts.layers.map((l) => l.denseWeight());
    const forms: FactorForm[] = W.map((w) => ({ kind: 'weight', W: w }));
    try {
      const { loss, grads } = await this.pass(lossFn, parts, forms, [...W, ...parts.others]);
      const G = grads.slice(0, W.length);
      const K1 = parts.layers.map((l, j) => l.bases.map((_, i) => {
        const K = this.coefficients.refresh(l, i);
        const k1 = tidy(() => this.optimizer.update(K, l.kGradient(i, G[j])));
        return reducedDirection(l, i, k1);
      }));
      return { loss, K1, G, othersGrads: grads.slice(W.length) };
    } finally {
      dispose(W);
    }
  }

  /** The Galerkin step from 𝒢 in the augmented bases: 𝒞 ← 𝒞̃ − λ 𝒢 ×ᵢ Ûᵢᵀ, with the others. */
  private coreStepFrom(G: readonly Tensor[], othersGrads: readonly Tensor[],
    parts: FactorizedParts): void {
    const coreGrads = parts.layers.map((l, j) => l.coreGradient(G[j]));
    dispose([...G]);
    this.stepAll([...parts.layers.map((l) => l.core), ...parts.others],
      [...coreGrads, ...othersGrads]);
  }

  /**
   * One pass in the tangent form 𝒲 = Σᵢ 𝒲(𝒦ᵢ) − (d − 1) 𝒲(𝒞), which equals 𝒲₀ and whose
   * gradient in each 𝒦ᵢ is the K-step's Mat_i(𝒢 ×ⱼ Uⱼᵀ): 𝒦ᵢ¹ per layer and mode, reduced to
   * rᵢ directions (the caller's). The cores, biases and dense layers do not move here.
   */
  private async kStepsFromOnePass(lossFn: () => Tensor, parts: FactorizedParts):
    Promise<{ loss: number; K1: Tensor[][] }> {
    const K = parts.layers.map((l) => l.bases.map((_, i) => this.coefficients.refresh(l, i)));
    const forms: FactorForm[] = K.map((Ks) => ({ kind: 'tangent', K: Ks }));
    const { loss, grads } = await this.pass(lossFn, parts, forms, K.flat());
    let n = 0;
    const K1 = K.map((Ks) => Ks.map((k) => tidy(() => this.optimizer.update(k, grads[n++]))));
    dispose(grads);
    return { loss, K1: parts.layers.map((l, j) => K1[j].map((k, i) =>
      reducedDirection(l, i, k))) };
  }
}
