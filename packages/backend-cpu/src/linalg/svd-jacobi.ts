/**
 * SVD with high relative accuracy for graded matrices A = D₁·B·D₂ (B well conditioned):
 * rows sorted by decreasing norm, QR with column pivoting A·P = Q·R, then one-sided Jacobi
 * on Rᵀ (Demmel & Veselić, SIAM J. Matrix Anal. Appl. 13, 1992; Drmač & Veselić, "New fast
 * and accurate Jacobi SVD algorithm I", SIAM J. Matrix Anal. Appl. 29, 2008). Every
 * singular value then carries a relative error of about ε·κ(B), not ε·‖A‖/σ.
 */
import { dot, norm2 } from './householder.js';
import { inner } from './inner.js';
import { applyQ } from './qr-factor.js';
import { qrPivoted } from './qrcp.js';
import type { SvdResult } from './svd.js';

const EPS = 2 ** -53;
/** Sweeps before giving up; converged inputs need a handful (quadratic convergence). */
const MAX_SWEEPS = 60;
/** Rows whose norm falls below this are treated as exactly zero (σ = 0). */
const TINY = 1e-290;

/** Thin SVD of the row-major m×n `a`, m ≥ n ≥ 1, entries in a safe range (svd.ts scales). */
export function svdJacobi(a: Float64Array, m: number, n: number): SvdResult {
  // 1. Rows by decreasing max-norm (row-wise backward stability of Householder QR).
  const rowMax = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) rowMax[i] = Math.max(rowMax[i], Math.abs(a[i * n + j]));
  }
  const order = Int32Array.from({ length: m }, (_, i) => i).sort((x, y) => rowMax[y] - rowMax[x]);
  const { alloc } = inner();
  const at = alloc(n * m);
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < n; j++) at[j * m + r] = a[order[r] * n + j];
  }
  // 2. A·P = Q·R with column pivoting.
  const { f, perm } = qrPivoted(at, m, n);
  const r = alloc(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) r[i * n + j] = at[j * m + i];
  }
  // 3. Orthogonalize the rows of R (the columns of Rᵀ): R' = Wᵀ·R = Σ·U_xᵀ.
  const wt = alloc(n * n);
  for (let i = 0; i < n; i++) wt[i * n + i] = 1;
  jacobiRows(r, wt, n);
  // 4. σ_i = ‖row i of R'‖; A·P = Q·R = (Q·W)·Σ·U_xᵀ, so V = P·U_x and U = Πᵀ·Q·W.
  const s = new Float64Array(n);
  const v = new Float64Array(n * n);
  const done: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const nrm = norm2(r, i * n, 1, n);
    done.push(nrm > TINY);
    s[i] = done[i] ? nrm : 0;
    if (done[i]) for (let j = 0; j < n; j++) v[perm[j] * n + i] = r[i * n + j] / nrm;
  }
  completeBasis(v, n, done);
  const w = alloc(m * n);                          // [W; 0], then Q·[W; 0]
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < n; c++) w[i * n + c] = wt[c * n + i];
  }
  applyQ(f, w, n, n);
  const u = new Float64Array(m * n);
  for (let row = 0; row < m; row++) u.set(w.subarray(row * n, row * n + n), order[row] * n);
  sortDescending(s, u, m, v, n);
  return { u, s, v };
}

/**
 * One-sided Jacobi (Hestenes 1958) on the rows of the n×n `r`: cyclic sweeps rotate row pairs
 * until every pair has |cos∠| ≤ √n·ε, with the same rotations applied to the rows of `wt`.
 * Rows are sorted by decreasing norm before each sweep (de Rijk 1989).
 */
function jacobiRows(r: Float64Array, wt: Float64Array, n: number): void {
  const tol = Math.sqrt(n) * EPS;
  const { alloc, jacobiSweep } = inner();
  const nrm = alloc(n);
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    for (let i = 0; i < n; i++) nrm[i] = norm2(r, i * n, 1, n);
    sortRows(r, wt, nrm, n);
    if (jacobiSweep(r, wt, n, nrm, tol) === 0) return;
  }
  throw new Error(`svd: one-sided Jacobi did not converge in ${MAX_SWEEPS} sweeps (n = ${n})`);
}

/**
 * One cyclic sweep of jacobiRows over the row pairs (p, q), p < q, of the n×n `r`: each pair
 * whose |cos∠| exceeds `tol` is rotated to orthogonality, in `r` and in `wt`, and the row
 * norms `nrm` are updated (recomputed when a norm drops by half or more). Returns the number
 * of rotations.
 */
export function jacobiSweep(
  r: Float64Array, wt: Float64Array, n: number, nrm: Float64Array, tol: number,
): number {
  let rotated = 0;
  for (let p = 0; p < n - 1; p++) {
    for (let q = p + 1; q < n; q++) {
      if (!(nrm[p] > TINY && nrm[q] > TINY)) continue;
      const cp = dot(r, p * n, r, q * n, n) / nrm[p] / nrm[q];
      if (!(Math.abs(cp) > tol)) continue;
      rotated++;
      const zeta = (nrm[q] / nrm[p] - nrm[p] / nrm[q]) / (2 * cp);
      const az = Math.abs(zeta);
      const t = az > 1e15 ? 0.5 / zeta : (zeta >= 0 ? 1 : -1) / (az + Math.sqrt(1 + zeta * zeta));
      const c = 1 / Math.sqrt(1 + t * t);
      const sn = c * t;
      rotateRows(r, p * n, q * n, n, c, sn);
      rotateRows(wt, p * n, q * n, n, c, sn);
      const fp = 1 - t * cp * (nrm[q] / nrm[p]);   // ‖r_p‖² ← ‖r_p‖² − t·g, g = cp·‖r_p‖‖r_q‖
      const fq = 1 + t * cp * (nrm[p] / nrm[q]);
      nrm[p] = fp < 0.25 ? norm2(r, p * n, 1, n) : nrm[p] * Math.sqrt(fp);
      nrm[q] = fq < 0.25 ? norm2(r, q * n, 1, n) : nrm[q] * Math.sqrt(fq);
    }
  }
  return rotated;
}

/** x_p ← c·x_p − s·x_q, x_q ← s·x_p + c·x_q for the rows at p and q (length len). */
function rotateRows(x: Float64Array, p: number, q: number, len: number, c: number, s: number) {
  for (let i = 0; i < len; i++) {
    const xp = x[p + i], xq = x[q + i];
    x[p + i] = c * xp - s * xq;
    x[q + i] = s * xp + c * xq;
  }
}

/** Sorts the rows of r (and wt, nrm along) by decreasing nrm (selection sort, n swaps). */
function sortRows(r: Float64Array, wt: Float64Array, nrm: Float64Array, n: number): void {
  for (let i = 0; i < n - 1; i++) {
    let b = i;
    for (let j = i + 1; j < n; j++) if (nrm[j] > nrm[b]) b = j;
    if (b === i) continue;
    [nrm[i], nrm[b]] = [nrm[b], nrm[i]];
    for (const x of [r, wt]) {
      const tmp = x.slice(i * n, i * n + n);
      x.copyWithin(i * n, b * n, b * n + n);
      x.set(tmp, b * n);
    }
  }
}

/**
 * Fills the columns of the n×n row-major `v` not marked `done` with unit vectors orthogonal
 * to all others: e_t for the t whose row of the done columns has the least weight (so its
 * residual is ≥ √(missing/n)), orthogonalized twice by Gram–Schmidt (Giraud et al. 2005).
 */
export function completeBasis(v: Float64Array, n: number, done: boolean[]): void {
  const weight = new Float64Array(n);              // Σ_g v[t, g]² over the done columns
  for (let t = 0; t < n; t++) {
    for (let g = 0; g < n; g++) if (done[g]) weight[t] += v[t * n + g] ** 2;
  }
  const x = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    if (done[c]) continue;
    let best = 0;
    for (let t = 1; t < n; t++) if (weight[t] < weight[best]) best = t;
    x.fill(0);
    x[best] = 1;
    for (let pass = 0; pass < 2; pass++) {
      for (let g = 0; g < n; g++) {
        if (!done[g]) continue;
        let proj = 0;
        for (let i = 0; i < n; i++) proj += v[i * n + g] * x[i];
        for (let i = 0; i < n; i++) x[i] -= proj * v[i * n + g];
      }
    }
    const nx = norm2(x, 0, 1, n);
    for (let i = 0; i < n; i++) {
      v[i * n + c] = x[i] / nx;
      weight[i] += v[i * n + c] ** 2;
    }
    done[c] = true;
  }
}

/** Sorts s descending, permuting the columns of u (rows × n) and v (n × n) along. */
function sortDescending(s: Float64Array, u: Float64Array, rows: number, v: Float64Array,
  n: number): void {
  for (let i = 0; i < n - 1; i++) {
    let b = i;
    for (let j = i + 1; j < n; j++) if (s[j] > s[b]) b = j;
    if (b === i) continue;
    [s[i], s[b]] = [s[b], s[i]];
    for (const [x, nr] of [[u, rows], [v, n]] as const) {
      for (let r = 0; r < nr; r++) [x[r * n + i], x[r * n + b]] = [x[r * n + b], x[r * n + i]];
    }
  }
}
