/** The options of the factorized-layer integrators, and the truncation rule they imply. */
import type { TruncationRule } from '@dlrt/core';
import type { FactorizedLayer } from '../nn/factorized-layer.js';
import type { Optimizer } from '../optim/optimizer.js';

/** What every factorized-layer integrator takes. */
export interface LowRankIntegratorOptions {
  /**
   * The inner optimizer. It steps the coefficients (K, L, S; the Tucker 𝒦ᵢ and 𝒞), the biases
   * and every dense layer; its state moves with every change of basis.
   */
  optimizer: Optimizer;
}

/** How the rank-adaptive integrators truncate. */
export interface TruncationOptions {
  /** Truncation tolerance θ ≥ 0: relative to ‖σ‖₂ (default) or absolute. */
  tol: number;
  /** Whether `tol` is relative to ‖σ‖₂ ('relative', the default) or absolute. */
  tolerance?: 'relative' | 'absolute';
  /**
   * 'std' (T-std, default), '2022' (the DLRT 2022 code's rule) or 'abpsi' (the abPSI MNIST
   * code's: T-std, but a rank below 10, or no break, keeps the rank before the step), for
   * comparisons.
   */
  truncation?: 'std' | '2022' | 'abpsi';
  /** Smallest rank a truncation keeps (default 2, capped by each basis's maximum rank). */
  rMin?: number;
}

/**
 * The truncation rules by name.
 * @example TRUNCATIONS.join(', ')   // 'std, 2022, abpsi'
 */
export const TRUNCATIONS = ['std', '2022', 'abpsi'] as const;

/** What the rank-adaptive integrators add. */
export interface AdaptiveOptions extends LowRankIntegratorOptions, TruncationOptions {}

/**
 * Validates the adaptive options; names the integrator and the value.
 * @throws Error unless tol is finite and ≥ 0, tolerance and truncation are known names, an
 *   absolute tolerance goes with the 'std' rule, and rMin is a positive integer.
 * @example checkAdaptive('RankAdaptiveBUG', options)
 */
export function checkAdaptive(name: string, o: TruncationOptions): void {
  if (typeof o.tol !== 'number' || !(o.tol >= 0) || !Number.isFinite(o.tol)) {
    const shown = typeof o.tol === 'string' ? `'${o.tol}'` : String(o.tol);
    throw new Error(`${name}: tol must be a finite number ≥ 0, got ${shown}`);
  }
  if (o.tolerance !== undefined && o.tolerance !== 'relative' && o.tolerance !== 'absolute') {
    throw new Error(`${name}: tolerance must be 'relative' or 'absolute', got '${o.tolerance}'`);
  }
  if (o.truncation !== undefined && !TRUNCATIONS.includes(o.truncation)) {
    throw new Error(`${name}: truncation must be one of ${TRUNCATIONS.map((t) => `'${t}'`)
      .join(', ')}, got '${o.truncation}'`);
  }
  if (o.tolerance === 'absolute' && o.truncation !== undefined && o.truncation !== 'std') {
    throw new Error(`${name}: the ${o.truncation} truncation rule is relative only`);
  }
  if (o.rMin !== undefined && !(Number.isInteger(o.rMin) && o.rMin >= 1)) {
    throw new Error(`${name}: rMin must be a positive integer, got ${o.rMin}`);
  }
}

/**
 * The ranks a truncation may keep for basis `i` of `layer`: from min(rMin, max) (rMin default
 * 2) to max, the basis's maximum rank.
 * @example rankBounds({ rMin: 4 }, layer)   // { rMin: 4, rMax: layer.maxRanks[0] }
 */
export function rankBounds(o: { rMin?: number }, layer: FactorizedLayer, i = 0): {
  /** The least rank: min(o.rMin, rMax), o.rMin defaulting to 2. */
  rMin: number;
  /** The greatest rank: the basis's maximum rank, `layer.maxRanks` at i. */
  rMax: number;
} {
  const max = layer.maxRanks[i];
  return { rMin: Math.min(o.rMin ?? 2, max), rMax: max };
}

/**
 * The truncation rule for basis `i` of `layer`: θ, clamped to rankBounds.
 * @example layer.truncated(layer.bases.map((_, j) => ruleFor(options, layer, j)))
 */
export function ruleFor(o: TruncationOptions, layer: FactorizedLayer, i = 0): TruncationRule {
  const bounds = rankBounds(o, layer, i);
  if (o.truncation === '2022') return { kind: 'relative2022', theta: o.tol, ...bounds };
  if (o.truncation === 'abpsi') return { kind: 'relativeAbpsi', theta: o.tol, ...bounds };
  return o.tolerance === 'absolute' ? { kind: 'absolute', tol: o.tol, ...bounds }
    : { kind: 'relative', theta: o.tol, ...bounds };
}
