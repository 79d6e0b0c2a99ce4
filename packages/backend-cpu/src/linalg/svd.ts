/**
 * Thin SVD of a row-major float64 matrix (the cpu backend's `linalg.svd` kernel), the
 * LAPACK dgesvd path: wide inputs are transposed; tall ones are first reduced by Householder
 * QR (qr-factor.ts) so the work is on the n×n R; R is bidiagonalized (bidiag.ts), the
 * bidiagonal is diagonalized by implicit-shift QR (bdsqr.ts), and U = Q·[U_R; 0].
 * Golub & Van Loan §8.6; Demmel & Kahan 1990 for the bidiagonal step. Graded inputs (row or
 * column norms spanning > 10³) take the slower Jacobi path of svd-jacobi.ts instead, which
 * keeps small singular values accurate relative to themselves.
 */
import { bidiagQr } from './bdsqr.js';
import { bidiagonalize } from './bidiag.js';
import { applyQ, qrFactor, safeScale } from './qr-factor.js';
import { checkMatrix } from './qr.js';
import { inner } from './inner.js';
import { svdJacobi } from './svd-jacobi.js';
import { rowStride, transposed } from './transpose.js';

/** Row or column norms spanning more than this ratio send svd to the Jacobi path. */
const GRADED = 1e3;

/** A = U·diag(s)·Vᵀ, k = min(m, n). */
export interface SvdResult {
  /** m×k, row-major, orthonormal columns (completed with a basis for zero singular values). */
  readonly u: Float64Array;
  /** k singular values, descending, ≥ 0. */
  readonly s: Float64Array;
  /** n×k, row-major, orthonormal columns (V, not Vᵀ). */
  readonly v: Float64Array;
}

/**
 * Thin SVD. Throws an Error naming `svd` if an iteration fails to converge (bidiagonal QR is
 * capped at 6·k² inner steps like LAPACK's, Jacobi at 60 sweeps; not seen on finite input).
 * @example
 * const { u, s, v } = svd(new Float64Array([3, 0, 4, 5]), 2, 2); // s = [√45, √5]
 */
export function svd(a: Float64Array, m: number, n: number): SvdResult {
  checkMatrix('svd', a, m, n);
  if (m < n) {
    const { u, s, v } = svd(transposed(a, m, n), n, m);
    return { u: v, s, v: u };
  }
  const k = n;
  const { alloc } = inner();
  if (k === 0) return { u: alloc(0), s: alloc(0), v: alloc(0) };
  // Scale by a power of two if the entries are near over/underflow (exact; undone on s).
  let norms = squaredNorms(a, m, n);
  const sc = safeScale(norms.big);
  let work = a;                                // read-only below; copied when scaled
  if (sc !== 1) {
    work = a.slice(0, m * n).map((x) => x / sc);
    norms = squaredNorms(work, m, n);
  }
  if (spread(norms.rows) > GRADED * GRADED || spread(norms.cols) > GRADED * GRADED) {
    const r = svdJacobi(work, m, n);
    for (let i = 0; i < k; i++) r.s[i] *= sc;
    return r;
  }
  const f = m > n ? qrFactor(work, m, n) : undefined;
  const square = f !== undefined ? upperR(f.at, f.ld, n) : alloc(n * n);
  if (f === undefined) square.set(work.subarray(0, n * n));
  const { d, e, ql, qr } = bidiagonalize(square, k);
  const ld = rowStride(k);
  const urt = transposed(ql, k, k, k, ld), vt = transposed(qr, k, k, k, ld);
  bidiagQr(d, e, k, urt, ld, k, vt, ld, k);
  for (let i = 0; i < k; i++) d[i] *= sc;
  const v = transposed(vt, k, k, ld, k);
  if (f === undefined) return { u: transposed(urt, k, k, ld, k), s: d, v };
  const u = alloc(m * k);                     // [U_R; 0], then U = Q·[U_R; 0]
  u.set(transposed(urt, k, k, ld, k));
  applyQ(f, u, k, k);
  return { u, s: d, v };
}

/**
 * Squared row and column norms of the m×n `a`, and max |a|, in one pass. svd takes the
 * Jacobi path (svd-jacobi.ts) when the nonzero row or column norms span more than GRADED:
 * then A = D₁·B·D₂ may determine its small singular values far better than ε·‖A‖. Otherwise
 * bidiagonal QR is as accurate as the data (perturbations of size ε·‖A‖ move σ as much).
 */
function squaredNorms(a: Float64Array, m: number, n: number) {
  const rows = new Float64Array(m);            // TS-only loops: plain arrays
  const cols = new Float64Array(n);
  let big = 0;
  for (let i = 0; i < m; i++) {
    // Two columns per step; Math.abs, not a sign test, which mispredicts on random signs.
    let r0 = 0, r1 = 0, b0 = 0, b1 = 0;
    const p = i * n;
    let j = 0;
    for (; j + 2 <= n; j += 2) {
      const x0 = a[p + j], x1 = a[p + j + 1];
      const s0 = x0 * x0, s1 = x1 * x1;
      r0 += s0; r1 += s1;
      cols[j] += s0; cols[j + 1] += s1;
      const a0 = Math.abs(x0), a1 = Math.abs(x1);
      b0 = a0 > b0 ? a0 : b0; b1 = a1 > b1 ? a1 : b1;
    }
    if (j < n) {
      const x0 = a[p + j];
      r0 += x0 * x0;
      cols[j] += x0 * x0;
      const a0 = Math.abs(x0);
      b0 = a0 > b0 ? a0 : b0;
    }
    rows[i] = r0 + r1;
    big = Math.max(big, b0, b1);
  }
  return { rows, cols, big };
}

/** max/min over the nonzero entries (1 if there are none). */
function spread(x: Float64Array): number {
  let lo = Infinity, hi = 0;
  for (const y of x) {
    if (y > 0) {
      lo = Math.min(lo, y);
      hi = Math.max(hi, y);
    }
  }
  return hi > 0 ? hi / lo : 1;
}

/** The row-major n×n upper triangle R held column-major in `at` (column stride ld). */
function upperR(at: Float64Array, ld: number, n: number): Float64Array {
  const r = inner().alloc(n * n);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i <= j; i++) r[i * n + j] = at[j * ld + i];
  }
  return r;
}
