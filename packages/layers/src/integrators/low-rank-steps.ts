/**
 * The pieces every low-rank integrator shares: finding the low-rank layers, one gradient
 * pass in a chosen form, the K and L variables, changing a layer's bases (with the optimizer
 * state following), and truncation (papers/matrix-methods.md §2, §3.2, §8).
 */
import {
  dispose, matmul, type Tensor, tidy, type Truncation, truncateFactors, type TruncationRule,
  valueAndGrads, Variable,
} from '@dlrt/core';
import type { Module } from '../nn/module.js';
import { type Factors, type LowRankForm, LowRankLayer } from '../nn/low-rank-layer.js';
import type { Optimizer } from '../optim/optimizer.js';
import { NonFiniteLossError } from './integrator.js';

/** What every low-rank integrator takes. */
export interface LowRankIntegratorOptions {
  /**
   * The inner optimizer. It steps the coefficients (K, L, S), the biases and every dense
   * layer; its state is transformed whenever a basis changes (§8).
   */
  optimizer: Optimizer;
}

/** How the rank-adaptive integrators truncate. */
export interface TruncationOptions {
  /** Truncation tolerance θ ≥ 0: relative to ‖σ‖₂ (default) or absolute. */
  tol: number;
  tolerance?: 'relative' | 'absolute';
  /** 'std' (T-std, default) or '2022' (the DLRT 2022 code's rule, for comparisons). */
  truncation?: 'std' | '2022';
  /** Smallest rank a truncation keeps (default 2, capped by each layer's maxRank). */
  rMin?: number;
}

/** What the rank-adaptive integrators add. */
export interface AdaptiveOptions extends LowRankIntegratorOptions, TruncationOptions {}

/** Validates the adaptive options; names the integrator and the value. */
export function checkAdaptive(name: string, o: TruncationOptions): void {
  if (!(o.tol >= 0) || !Number.isFinite(o.tol)) {
    throw new Error(`${name}: tol must be a finite number ≥ 0, got ${o.tol}`);
  }
  if (o.tolerance === 'absolute' && o.truncation === '2022') {
    throw new Error(`${name}: the 2022 truncation rule is relative only`);
  }
  if (o.rMin !== undefined && !(Number.isInteger(o.rMin) && o.rMin >= 1)) {
    throw new Error(`${name}: rMin must be a positive integer, got ${o.rMin}`);
  }
}

/** The truncation rule for one layer: θ, clamped to [min(rMin, maxRank), maxRank]. */
export function ruleFor(o: TruncationOptions, layer: LowRankLayer): TruncationRule {
  const bounds = { rMin: Math.min(o.rMin ?? 2, layer.maxRank), rMax: layer.maxRank };
  if (o.truncation === '2022') return { kind: 'relative2022', theta: o.tol, ...bounds };
  return o.tolerance === 'absolute' ? { kind: 'absolute', tol: o.tol, ...bounds }
    : { kind: 'relative', theta: o.tol, ...bounds };
}

/** A model split into its low-rank layers (by dotted name) and every other trainable Variable. */
export interface LowRankParts {
  names: string[];
  layers: LowRankLayer[];
  /** Biases and dense weights: stepped by the inner optimizer with the S-pass gradients. */
  others: Variable[];
}

export function lowRankParts(model: Module): LowRankParts {
  const named = model.namedModules().filter(([, m]) => m instanceof LowRankLayer) as
    [string, LowRankLayer][];
  const factors = new Set<Variable>(named.flatMap(([, l]) => [l.U, l.S, l.V]));
  return {
    names: named.map(([n]) => n),
    layers: named.map(([, l]) => l),
    others: model.parameters().filter((v) => v.trainable && !factors.has(v)),
  };
}

/** Each layer's rank by name. */
export function ranksOf(parts: LowRankParts): Record<string, number> {
  return Object.fromEntries(parts.layers.map((l, i) => [parts.names[i], l.rank]));
}

/**
 * One forward/backward pass with each layer in `forms[i]`: the loss and its gradient with
 * respect to `sources`. Throws NonFiniteLossError (before any update) on a NaN or ∞ loss.
 */
export async function gradientPass(integrator: string, lossFn: () => Tensor,
  parts: LowRankParts, forms: readonly LowRankForm[] | null, sources: readonly Tensor[]):
  Promise<{ loss: number; grads: Tensor[] }> {
  if (forms) parts.layers.forEach((l, i) => (l.form = forms[i]));
  let value: Tensor;
  let grads: Tensor[];
  try {
    ({ value, grads } = valueAndGrads(() => lossFn())(sources));
  } finally {
    for (const l of parts.layers) l.form = { kind: 'USV' };
  }
  const loss = (await value.data())[0];
  value.dispose();
  if (!Number.isFinite(loss)) {
    dispose(grads);
    throw new NonFiniteLossError(integrator, loss);
  }
  return { loss, grads };
}

/**
 * The K (= U S) and L (= V Sᵀ) coefficients an integrator steps, one Variable each per layer,
 * so the inner optimizer can keep momentum for them across steps (rotated with the bases).
 */
export class Coefficients {
  private readonly k = new WeakMap<LowRankLayer, Variable>();
  private readonly l = new WeakMap<LowRankLayer, Variable>();

  /** K of `layer`, set to `value` (taking it over). */
  K(layer: LowRankLayer, value: Tensor): Variable {
    return this.set(this.k, layer, value, 'K');
  }

  /** L of `layer`, set to `value` (taking it over). */
  L(layer: LowRankLayer, value: Tensor): Variable {
    return this.set(this.l, layer, value, 'L');
  }

  /** The K or L Variable of `layer`, if one was made. */
  peek(layer: LowRankLayer): { K?: Variable; L?: Variable } {
    return { K: this.k.get(layer), L: this.l.get(layer) };
  }

  private set(map: WeakMap<LowRankLayer, Variable>, layer: LowRankLayer, value: Tensor,
    name: string): Variable {
    let v = map.get(layer);
    if (v) v.assign(value, { resize: true });
    else {
      v = new Variable(value, { name: `${name}(${layer.kind})` });
      map.set(layer, v);
    }
    value.dispose();
    return v;
  }
}

/**
 * The K-step (forward through W = K Vᵀ, so ∇_K ℓ = G V) or the L-step (W = U Lᵀ, ∇_L ℓ = Gᵀ U)
 * of every layer from its current factors, K = U S or L = V Sᵀ (§3.2). Returns the stepped
 * coefficients K₁ or L₁ (from the inner optimizer) and the gradients of `extra` from the
 * same pass; the layers themselves are not changed.
 */
export async function coefficientStep(which: 'K' | 'L', integrator: string,
  lossFn: () => Tensor, parts: LowRankParts, optimizer: Optimizer, coefficients: Coefficients,
  extra: readonly Variable[] = []): Promise<{ loss: number; next: Tensor[]; extra: Tensor[] }> {
  const vars = parts.layers.map((l) => which === 'K'
    ? coefficients.K(l, tidy(() => matmul(l.U, l.S)))
    : coefficients.L(l, tidy(() => matmul(l.V, l.S, { transposeB: true }))));
  const forms: LowRankForm[] = vars.map((v) => which === 'K' ? { kind: 'K', K: v }
    : { kind: 'L', L: v });
  const { loss, grads } = await gradientPass(integrator, lossFn, parts, forms, [...vars, ...extra]);
  const next = vars.map((v, i) => tidy(() => optimizer.update(v, grads[i])));
  dispose(grads.slice(0, vars.length));
  return { loss, next, extra: grads.slice(vars.length) };
}

/**
 * The K-step and the L-step of every layer, both from W₀ (they could run in parallel): the
 * first loss and the stepped K₁, L₁ per layer.
 */
export async function kAndLSteps(integrator: string, lossFn: () => Tensor, parts: LowRankParts,
  optimizer: Optimizer, coefficients: Coefficients):
  Promise<{ loss: number; K1: Tensor[]; L1: Tensor[] }> {
  const k = await coefficientStep('K', integrator, lossFn, parts, optimizer, coefficients);
  try {
    const l = await coefficientStep('L', integrator, lossFn, parts, optimizer, coefficients);
    return { loss: k.loss, K1: k.next, L1: l.next };
  } catch (e) {
    dispose(k.next);
    throw e;
  }
}

/**
 * Moves `layer` to new factors. The optimizer state follows the change of basis
 * U_a → U_b, V_a → V_b (§8): S's state s ← (U_bᵀU_a) s (V_aᵀV_b), K's (which lives in the
 * V basis) k ← k (V_aᵀV_b), L's l ← l (U_aᵀU_b). `next` stays owned by the caller.
 */
export function rebase(layer: LowRankLayer, next: Factors, optimizer: Optimizer,
  coefficients?: Coefficients): void {
  const { K, L } = coefficients?.peek(layer) ?? {};
  const withState = [layer.S, K, L].some((v) => v && optimizer.state(v));
  if (withState) {
    tidy(() => {
      const A = matmul(next.U, layer.U, { transposeA: true });
      const B = matmul(layer.V, next.V, { transposeA: true });
      optimizer.rotateState(layer.S, { left: A, right: B });
      if (K) optimizer.rotateState(K, { right: B });
      if (L) optimizer.rotateState(L, { right: matmul(layer.U, next.U, { transposeA: true }) });
    });
  }
  layer.setFactors(next);
}

/** Truncates `layer` by `rule` (core's truncateFactors), the optimizer state following. */
export function truncateLayer(layer: LowRankLayer, rule: TruncationRule, optimizer: Optimizer,
  o: { coefficients?: Coefficients; previousRank?: number } = {}): Truncation {
  const next = truncateFactors(layer, rule, { previousRank: o.previousRank });
  rebase(layer, next, optimizer, o.coefficients);
  dispose([next.U, next.S, next.V]);
  return next.truncation;
}

/** Truncates every layer by its rule (T-2022 falls back to each layer's rank before the step). */
export function truncateAll(parts: LowRankParts, o: AdaptiveOptions, coefficients: Coefficients,
  previousRanks: readonly number[]): void {
  parts.layers.forEach((layer, i) => truncateLayer(layer, ruleFor(o, layer), o.optimizer,
    { coefficients, previousRank: previousRanks[i] }));
}

/** Applies the optimizer to `vars` with `grads` (same order) and disposes the gradients. */
export function stepAll(optimizer: Optimizer, vars: readonly Variable[], grads: readonly Tensor[]):
  void {
  optimizer.step(new Map(vars.map((v, i) => [v, grads[i]])));
  dispose([...grads]);
}
