/**
 * GeoLoRA: the parallel integrator with one backward pass, of Schotthöfer, Zangrando, Ceruti,
 * Tudisco & Kusch ("GeoLoRA: Geometric integration for parameter efficient fine-tuning",
 * ICLR 2025), Algorithm 1 as the authors' code runs it. Matrix layers only.
 */
import {
  diag, dispose, eye, linalg, matmul, type Tensor, tidy, transpose,
} from '@dlrt/core';
import type { FactorizedLayer } from '../nn/factorized-layer.js';
import type { Module } from '../nn/module.js';
import { FactorizedIntegrator } from './factorized-integrator.js';
import type { StepResult } from './integrator.js';
import {
  checkAdaptive, type LowRankIntegratorOptions, rankBounds, type TruncationOptions,
} from './options.js';
import { parallelAugmented } from './parallel-bug.js';
import { type FactorizedParts, matrixParts, ranksOf } from './parts.js';

/** GeoLoRA's options: a tolerance θ per layer, or one rank budget for all of them. */
export interface GeoLoRAOptions extends LowRankIntegratorOptions, Partial<TruncationOptions> {
  /**
   * Coefficient-only steps after each augmenting step (default 0): a cycle is one GeoLoRA
   * step at rank 2r, then `coefficientSteps` S-steps (one pass each, core, biases and dense
   * layers), then the truncation. 0 truncates in every step.
   */
  coefficientSteps?: number;
  /**
   * A global rank budget B in place of `tol`: the truncation keeps the B largest singular
   * values of all layers together, each layer within [rMin, its maximum rank].
   */
  rankBudget?: number;
}

/**
 * Per cycle:
 *   1. one forward/backward in the factors form W = U S Vᵀ gives ∇_U = G V Sᵀ, ∇_V = Gᵀ U S
 *      and ∇_S = Uᵀ G V, with the biases' and dense layers' gradients;
 *   2. the K and L directions dK = ∇_U S⁻ᵀ = G V and dL = ∇_V S⁻¹ = Gᵀ U, with S⁻¹ the identity
 *      while S = 0 (then ∇_U = ∇_V = 0, and the directions are 0); K₁ = U S − λ dK,
 *      L₁ = V Sᵀ − λ dL, S̄ = S − λ ∇_S, biases and dense layers from the same pass;
 *   3. parallel augmentation: Ũ ⟂ U from orth([U | K₁]), Ṽ ⟂ V from orth([V | L₁]), and the
 *      2r×2r core [[S̄, L₁ᵀṼ], [ŨᵀK₁, 0]] (ParallelBUG's four blocks);
 *   4. `coefficientSteps` S-steps at rank 2r;
 *   5. truncate by θ per layer, or to the global budget B.
 * The authors' code keeps S⁻¹ from its last truncation (Σ⁻¹, diagonal); here it is the
 * pseudo-inverse of the current core, the same matrix after a truncation, and also defined
 * for a starting core that is not diagonal. Unlike the authors' code, the optimizer's state
 * follows every change of basis, as in every integrator here.
 * @example new GeoLoRA(model, { optimizer: new SGD({ lr: 0.01 }), tol: 0.1 })
 */
export class GeoLoRA extends FactorizedIntegrator {
  readonly name = 'GeoLoRA';
  private steps = 0;
  /** Each layer's ranks when the cycle began (the T-2022 rule keeps them without a break). */
  private cycleStart: (readonly number[])[] = [];

  constructor(model: Module, override readonly options: GeoLoRAOptions) {
    super(model, options as GeoLoRAOptions & { tol: number });
    checkGeoLoRA(this.name, options);
  }

  async step(lossFn: () => Tensor): Promise<StepResult> {
    const parts = matrixParts(this.name, this.model);
    const c = this.options.coefficientSteps ?? 0;
    const phase = this.steps % (c + 1);
    let loss: number;
    if (phase === 0) {
      this.cycleStart = parts.layers.map((l) => l.ranks);
      // 1–2. One pass in the factors form; K₁, L₁, S̄, biases and dense layers from it.
      const stepped = await this.geometricStep(lossFn, parts);
      loss = stepped.loss;
      // 3. Parallel augmentation to rank 2r.
      this.rebaseAll(parts, stepped.K1.map((k, i) => [k, stepped.L1[i]]),
        (layer, [K1, L1]) => parallelAugmented(layer, K1, L1));
    } else {
      // 4. A coefficient step at rank 2r.
      loss = await this.coreStep(lossFn, parts);
    }
    this.steps++;
    // 5. Truncate at the end of the cycle.
    if (phase === c) this.truncateCycle(parts);
    return { loss, ranks: ranksOf(parts) };
  }

  /**
   * The pass at W₀ = U S Vᵀ: returns K₁ = U S − λ ∇_U S⁻ᵀ and L₁ = V Sᵀ − λ ∇_V S⁻¹ (the
   * optimizer's steps of the K and L coefficients; the caller's), and steps the cores, biases
   * and dense layers in place.
   */
  private async geometricStep(lossFn: () => Tensor, parts: FactorizedParts):
    Promise<{ loss: number; K1: Tensor[]; L1: Tensor[] }> {
    const { layers, others } = parts;
    const n = layers.length;
    const U = layers.map((l) => l.bases[0]), V = layers.map((l) => l.bases[1]);
    const S = layers.map((l) => l.core);
    const { loss, grads } = await this.pass(lossFn, parts, null, [...U, ...V, ...S, ...others]);
    const K1: Tensor[] = [], L1: Tensor[] = [];
    layers.forEach((layer, i) => {
      const K = this.coefficients.refresh(layer, 0), L = this.coefficients.refresh(layer, 1);
      const Sinv = coreInverse(layer.core);
      K1.push(tidy(() => this.optimizer.update(K, matmul(grads[i], Sinv, { transposeB: true }))));
      L1.push(tidy(() => this.optimizer.update(L, matmul(grads[n + i], Sinv))));
      Sinv.dispose();
    });
    dispose(grads.slice(0, 2 * n));
    this.stepAll([...S, ...others], grads.slice(2 * n));
    return { loss, K1, L1 };
  }

  /** Truncates every layer by θ, or all of them together to the rank budget. */
  private truncateCycle(parts: FactorizedParts): void {
    const B = this.options.rankBudget;
    if (B === undefined) {
      this.truncate(parts, this.options as TruncationOptions, this.cycleStart);
      return;
    }
    const ranks = budgetRanks(this.name, parts, B, this.options);
    parts.layers.forEach((layer, i) => {
      const rule = { kind: 'rank', rank: ranks[i] } as const;
      const next = layer.truncated([rule, rule]);
      layer.rebase(next, { optimizer: this.optimizer, coefficients: this.coefficients.of(layer) });
    });
  }
}

/**
 * S⁻¹ for the K and L directions: the identity while S = 0 (the authors' stand-in at
 * initialization), else the pseudo-inverse V Σ⁺ Uᵀ, with singular values at or below
 * r·ε·σ₁ treated as 0 (their directions carry no gradient: ∇_U = G V Sᵀ). After a
 * truncation S is diagonal, and its pseudo-inverse is read off the diagonal, as the
 * authors' code keeps Σ⁻¹.
 */
function coreInverse(S: Tensor): Tensor {
  return tidy(() => {
    const r = S.shape[0];
    const eps = S.dtype === 'float64' ? 2 ** -52 : 2 ** -23;
    const s = S.dataSync();
    let big = 0, offDiagonal = false;
    for (let i = 0; i < s.length; i++) {
      big = Math.max(big, Math.abs(s[i]));
      if (s[i] !== 0 && Math.floor(i / r) !== i % r) offDiagonal = true;
    }
    if (big === 0) return eye(r, r, S.dtype);
    const pinv = (x: number, sigma1: number) => (Math.abs(x) > r * eps * sigma1 ? 1 / x : 0);
    if (!offDiagonal) return diag(Array.from({ length: r }, (_, i) => pinv(s[i * r + i], big)),
      S.dtype);
    const { u, s: sv, v } = linalg.svd(S);
    const sigma = sv.dataSync();
    const inv = diag(Array.from(sigma, (x) => pinv(x, sigma[0])), S.dtype);
    return matmul(matmul(v, inv), transpose(u));
  });
}

/**
 * Each layer's rank under the global budget B: every layer keeps its floor (rMin, capped by
 * its maximum rank), and the rest of B goes to the largest remaining singular values of all
 * cores together (ties to the earlier layer), each layer up to its maximum rank. Fewer than B
 * are kept only when the cores hold fewer. A budget below the floors' sum is an error.
 */
export function budgetRanks(name: string, parts: FactorizedParts, B: number,
  o: { rMin?: number }): number[] {
  const sigmas = parts.layers.map((l) => tidy(() => Array.from(linalg.svd(l.core).s.dataSync())));
  const bounds = parts.layers.map((l: FactorizedLayer, i) => {
    const { rMin, rMax } = rankBounds(o, l);
    return { lo: Math.min(rMin, sigmas[i].length), hi: Math.min(rMax, sigmas[i].length) };
  });
  const floor = bounds.reduce((t, b) => t + b.lo, 0);
  if (B < floor) {
    throw new Error(`${name}: rankBudget ${B} is below the ${parts.layers.length} layers' ` +
      `floors (rMin each, ${floor} in all)`);
  }
  const ranks = bounds.map((b) => b.lo);
  const rest = sigmas.flatMap((s, i) => s.slice(bounds[i].lo, bounds[i].hi).map((x) => ({ x, i })))
    .sort((a, b) => b.x - a.x || a.i - b.i);
  for (const { i } of rest.slice(0, B - floor)) ranks[i]++;
  return ranks;
}

function checkGeoLoRA(name: string, o: GeoLoRAOptions): void {
  const c = o.coefficientSteps;
  if (c !== undefined && !(Number.isInteger(c) && c >= 0)) {
    throw new Error(`${name}: coefficientSteps must be an integer ≥ 0, got ${c}`);
  }
  if (o.rankBudget === undefined) {
    checkAdaptive(name, o as TruncationOptions);
    return;
  }
  if (!(Number.isInteger(o.rankBudget) && o.rankBudget >= 1)) {
    throw new Error(`${name}: rankBudget must be a positive integer, got ${o.rankBudget}`);
  }
  if (o.tol !== undefined || o.tolerance !== undefined || o.truncation !== undefined) {
    throw new Error(`${name}: rankBudget replaces tol, tolerance and truncation; give one or ` +
      'the other');
  }
  if (o.rMin !== undefined && !(Number.isInteger(o.rMin) && o.rMin >= 1)) {
    throw new Error(`${name}: rMin must be a positive integer, got ${o.rMin}`);
  }
}
