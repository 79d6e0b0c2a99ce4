/**
 * Truncation rules: how many singular values to keep, as the DLRT, GeoLoRA, abPSI and TDLRT codes
 * decide it (docs/manifolds.md, docs/references.md). Pure functions of the singular values, shared
 * by LowRankMatrix, TuckerTensor and every integrator.
 */

/**
 * - `relative` (T-std, the default): keep the fewest values whose dropped tail has 2-norm
 *   < θ·‖σ‖₂;
 * - `relative2022` (T-2022, the DLRT 2022 reference code, for compatibility only): the same
 *   search over j ≤ p−2 with a tail that leaves out σ_p; when no j qualifies the previous rank
 *   is kept (so the rank grows only through a break at j > r);
 * - `relativeAbpsi` (T-abPSI, the abPSI MNIST reference code of Kusch, Schotthöfer & Walter):
 *   `relative`'s search, but a rank below `floor` (default 10), or no break at all (every value
 *   ≥ θ·‖σ‖₂), keeps the previous rank;
 * - `absolute`: the same as `relative` with the fixed threshold `tol`;
 * - `rank`: keep exactly `rank` values.
 * Every rule is then clamped to [rMin, rMax] (and to the number of values).
 */
export type TruncationRule =
  | {
      /** T-std: the fewest values whose dropped tail has 2-norm < θ·‖σ‖₂. */
      kind: 'relative';
      /** θ ≥ 0: the largest dropped tail allowed, as a fraction of ‖σ‖₂. */
      theta: number;
      /** Least rank kept, an integer ≥ 0 (wins over `rMax`; default: no bound). */
      rMin?: number;
      /** Greatest rank kept, an integer ≥ 0 (default: no bound). */
      rMax?: number;
    }
  | {
      /** T-2022: the DLRT 2022 reference search (j ≤ p−2, σ_p left out), for compatibility. */
      kind: 'relative2022';
      /** θ ≥ 0: the largest dropped tail allowed, as a fraction of ‖σ‖₂. */
      theta: number;
      /** Least rank kept, an integer ≥ 0 (wins over `rMax`; default: no bound). */
      rMin?: number;
      /** Greatest rank kept, an integer ≥ 0 (default: no bound). */
      rMax?: number;
    }
  | {
      /** T-abPSI: `relative`, but a rank below `floor`, or no break, keeps the previous rank. */
      kind: 'relativeAbpsi';
      /** θ ≥ 0: the largest dropped tail allowed, as a fraction of ‖σ‖₂. */
      theta: number;
      /** Ranks below this (an integer ≥ 0, default 10) fall back to the previous rank. */
      floor?: number;
      /** Least rank kept, an integer ≥ 0 (wins over `rMax`; default: no bound). */
      rMin?: number;
      /** Greatest rank kept, an integer ≥ 0 (default: no bound). */
      rMax?: number;
    }
  | {
      /** `relative` with a fixed threshold: the fewest values whose dropped tail is < `tol`. */
      kind: 'absolute';
      /** The largest dropped tail 2-norm allowed, ≥ 0 (absolute, not scaled by ‖σ‖₂). */
      tol: number;
      /** Least rank kept, an integer ≥ 0 (wins over `rMax`; default: no bound). */
      rMin?: number;
      /** Greatest rank kept, an integer ≥ 0 (default: no bound). */
      rMax?: number;
    }
  | {
      /** A fixed rank: keep exactly `rank` values. */
      kind: 'rank';
      /** The number of values to keep, an integer ≥ 0. */
      rank: number;
      /** Least rank kept, an integer ≥ 0 (wins over `rMax`; default: no bound). */
      rMin?: number;
      /** Greatest rank kept, an integer ≥ 0 (default: no bound). */
      rMax?: number;
    };

/** What a truncation kept and dropped. */
export interface Truncation {
  /** The number of values kept, r. */
  rank: number;
  /** σ₁ … σ_r, the kept values (descending). */
  kept: number[];
  /** σ_{r+1} … σ_p, the dropped values. */
  dropped: number[];
  /** ‖dropped‖₂: the Frobenius error of the truncation. */
  error: number;
}

function check(rule: TruncationRule): void {
  const bad = (what: string) => new Error(`truncate: ${what} in ${JSON.stringify(rule)}`);
  if ((rule.kind === 'relative' || rule.kind === 'relative2022' ||
    rule.kind === 'relativeAbpsi') && !(rule.theta >= 0)) {
    throw bad('theta must be ≥ 0');
  }
  if (rule.kind === 'relativeAbpsi' && rule.floor !== undefined &&
    !(Number.isInteger(rule.floor) && rule.floor >= 0)) {
    throw bad('floor must be an integer ≥ 0');
  }
  if (rule.kind === 'absolute' && !(rule.tol >= 0)) throw bad('tol must be ≥ 0');
  if (rule.kind === 'rank' && !(Number.isInteger(rule.rank) && rule.rank >= 0)) {
    throw bad('rank must be a non-negative integer');
  }
  if (!['relative', 'relative2022', 'relativeAbpsi', 'absolute', 'rank'].includes(rule.kind)) {
    throw bad('unknown kind');
  }
  for (const k of ['rMin', 'rMax'] as const) {
    const v = rule[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) throw bad(`${k} must be an integer ≥ 0`);
  }
}

/**
 * ‖(σ_{j+1}, …, σ_p)‖₂ for j = 0…p (p + 1 entries, the last 0), summed from the small end for
 * accuracy.
 * @example tailNorms([3, 4])   // [5, 4, 0]
 */
export function tailNorms(sigma: readonly number[]): number[] {
  const tails = new Array<number>(sigma.length + 1).fill(0);
  for (let j = sigma.length - 1; j >= 0; j--) tails[j] = Math.hypot(tails[j + 1], sigma[j]);
  return tails;
}

/** What a rule may need besides the values. */
export interface TruncationContext {
  /**
   * The rank before augmentation: T-2022 keeps it when no break is found, T-abPSI then too and
   * when the break lies below its floor (default ⌊p/2⌋).
   */
  previousRank?: number;
}

/**
 * How many of the descending singular values `sigma` the rule keeps.
 * @example truncationRank([4, 2, 1, 0.5], { kind: 'relative', theta: 0.2 })   // 3
 */
export function truncationRank(sigma: readonly number[], rule: TruncationRule,
  context: TruncationContext = {}): number {
  check(rule);
  const p = sigma.length;
  let r: number;
  if (rule.kind === 'rank') r = rule.rank;
  else if (rule.kind === 'relative2022') {
    // Tails of (σ_1 … σ_{p−1}): σ_p is never counted, and j stops at p − 2.
    const tails = tailNorms(sigma.slice(0, Math.max(p - 1, 0)));
    const tol = rule.theta * tailNorms(sigma)[0];
    r = context.previousRank ?? Math.floor(p / 2);
    for (let j = 0; j <= p - 2; j++) {
      if (tails[j] < tol) {
        r = j;
        break;
      }
    }
  } else {
    const tails = tailNorms(sigma);
    const tol = rule.kind === 'absolute' ? rule.tol : rule.theta * tails[0];
    let found = false;
    r = p;
    // The smallest j whose dropped tail is strictly below tol (T-std).
    for (let j = 0; j < p; j++) {
      if (tails[j] < tol) {
        r = j;
        found = true;
        break;
      }
    }
    // The abPSI code starts its search from the old rank, so no break keeps it.
    if (rule.kind === 'relativeAbpsi' && (!found || r < (rule.floor ?? 10))) {
      r = context.previousRank ?? Math.floor(p / 2);
    }
  }
  if (rule.rMax !== undefined) r = Math.min(r, rule.rMax);
  if (rule.rMin !== undefined) r = Math.max(r, rule.rMin);
  return Math.min(r, p);
}

/**
 * Applies `truncationRank` and reports what was kept and dropped.
 * @example truncateValues([4, 2, 1, 0.5], { kind: 'rank', rank: 2 })   // error √1.25
 */
export function truncateValues(sigma: readonly number[], rule: TruncationRule,
  context: TruncationContext = {}): Truncation {
  const rank = truncationRank(sigma, rule, context);
  const dropped = sigma.slice(rank);
  return { rank, kept: sigma.slice(0, rank), dropped, error: tailNorms(dropped)[0] };
}
