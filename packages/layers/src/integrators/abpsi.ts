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

/**
 * The bases abPSI can augment (see ABPSIOptions.side).
 * @example new ABPSI(model, { optimizer, tol: 0.01, side: ABPSI_SIDES[1] })   // 'input'
 */
export const ABPSI_SIDES = ['output', 'input'] as const;

/**
 * The passes abPSI can step the dense layers from (see ABPSIOptions.denseStep).
 * @example new ABPSI(model, { optimizer, tol: 0.01, denseStep: ABPSI_DENSE_STEPS[1] })   // 'first'
 */
export const ABPSI_DENSE_STEPS = ['second', 'first'] as const;

export interface ABPSIOptions extends AdaptiveOptions {
  /**
   * Which basis is augmented, so the side G is projected on: 'output' (U; the default,
   * W₁ = W₀ − λ ÛÛᵀG) or 'input' (V; W₁ = W₀ − λ G V̂V̂ᵀ). The abPSI MNIST reference code
   * writes y = x·W and augments its first factor, which is our 'input' side.
   */
  side?: (typeof ABPSI_SIDES)[number];
  /**
   * Which pass steps the dense layers (the factorized layers' biases always step from the
   * second): 'second' (the default: both passes see every weight at its value before the step)
   * or 'first' (the abPSI MNIST reference code: the dense layers step right after the first
   * pass, so the second pass sees them updated).
   */
  denseStep?: (typeof ABPSI_DENSE_STEPS)[number];
}

/**
 * Per mini-batch (side 'output'; 'input' swaps the roles of U and V, K and L):
 *   1. K-step at rank r: K₁ = U₀S₀ − λ G V₀;
 *   2. augment the output basis, Û = orth([U₀ | K₁]), and correct backward: S̃ = ÛᵀU₀S₀, so
 *      Û (V₀S̃ᵀ)ᵀ = W₀ with no gradient evaluation;
 *   3. L-step at rank 2r from L₀ = V₀S̃ᵀ: L₁ = L₀ − λ Gᵀ Û; biases and dense layers step from
 *      the same pass (the dense layers from the first with `denseStep: 'first'`);
 *   4. (V̂, R) = qr(L₁), Ŝ = Rᵀ, so W = Û Ŝ V̂ᵀ = W₀ − λ Û Ûᵀ G;
 *   5. truncate by θ.
 * The paper leaves the side to the implementation; the reference code projects on the input
 * side because it writes y = x W (`side: 'input'`).
 * @example new ABPSI(model, { optimizer: new SGD({ lr: 0.01 }), tol: 0.01 })
 */
export class ABPSI extends FactorizedIntegrator {
  readonly name = 'ABPSI';

  constructor(model: Module, override readonly options: ABPSIOptions) {
    super(model, options);
    checkAdaptive(this.name, options);
    if (options.side !== undefined && !ABPSI_SIDES.includes(options.side)) {
      throw new Error(`ABPSI: side must be 'output' or 'input', got '${String(options.side)}'`);
    }
    if (options.denseStep !== undefined && !ABPSI_DENSE_STEPS.includes(options.denseStep)) {
      throw new Error(`ABPSI: denseStep must be 'second' or 'first', got ` +
        `'${String(options.denseStep)}'`);
    }
  }

  async step(lossFn: () => Tensor): Promise<StepResult> {
    const parts = matrixParts(this.name, this.model);
    const before = parts.layers.map((l) => l.ranks);
    // a: the augmented basis (0 = U, output side); b: the other one.
    const a = this.options.side === 'input' ? 1 : 0, b = 1 - a;
    // With denseStep 'first', the dense layers (not the factorized layers' biases) step early.
    const own = this.options.denseStep === 'first'
      ? new Set(parts.layers.flatMap((l) => l.parameters())) : null;
    const early = own ? parts.others.filter((v) => !own.has(v)) : [];
    const late = own ? parts.others.filter((v) => own.has(v)) : parts.others;

    // 1. K-step on basis a (the dense layers too, with denseStep 'first').
    const k = await this.kStep(lossFn, parts, a, { others: early });

    // 2. Augmented basis and backward correction (W unchanged).
    this.rebaseAll(parts, k.next.map((K1) => [K1!]), (layer, [K1]) => {
      const old = layer.bases[a];
      const Uh = linalg.orth(concat([old, K1], 1));   // old first, as in augmentation
      const core = changeBasis(layer.core, [{ axis: a, from: old, to: Uh }]);
      return { core, bases: layer.bases.map((B, i) => (i === a ? Uh : B)) };
    });

    // 3. L-step on basis b at the augmented rank, with the biases and dense layers.
    const l = await this.kStep(lossFn, parts, b, { others: late });

    // 4. The new core from the QR of L₁ (L = V Sᵀ, so Ŝ = Rᵀ; on the input side K = U S, Ŝ = R).
    this.rebaseAll(parts, l.next.map((L1) => [L1!]), (layer, [L1]) => {
      const { q, r } = linalg.qr(L1);
      return { core: b === 1 ? transpose(r) : r,
        bases: layer.bases.map((B, i) => (i === b ? q : B)) };
    });

    // 5. Truncate.
    this.truncate(parts, this.options, before);
    return { loss: k.loss, ranks: ranksOf(parts) };
  }
}
