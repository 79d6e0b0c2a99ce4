/**
 * Householder bidiagonalization of a square n×n row-major matrix, A = Q_L·B·Q_Rᵀ with B upper
 * bidiagonal (LAPACK dgebd2 + dorgbr; Golub & Van Loan §5.4.8). Left reflectors zero the
 * columns below the diagonal, right reflectors the rows right of the superdiagonal.
 */
import { makeReflector } from './householder.js';
import { inner } from './inner.js';

/** B = diag(d) + superdiag(e) and the orthogonal factors, all row-major n×n. */
export interface Bidiagonal {
  readonly d: Float64Array;
  readonly e: Float64Array;
  /** Q_L, n×n. */
  readonly ql: Float64Array;
  /** Q_R, n×n (A = Q_L·B·Q_Rᵀ). */
  readonly qr: Float64Array;
}

/** Bidiagonalizes `a` (n×n, overwritten with the reflectors) and forms Q_L and Q_R. */
export function bidiagonalize(a: Float64Array, n: number): Bidiagonal {
  const { alloc, applyLeft, applyRight } = inner();
  const d = alloc(n);
  const e = alloc(Math.max(n - 1, 0));
  const tauL = alloc(n);
  const tauR = alloc(n);
  const w = alloc(n);
  for (let i = 0; i < n; i++) {
    const ii = i * n + i;
    // Left reflector: column i below the diagonal → 0 (v stored in that column).
    tauL[i] = makeReflector(a, ii, n, n - i);
    d[i] = a[ii];
    applyLeft(tauL[i], a, ii, n, a, ii + 1, n, n - i, n - i - 1, w);
    if (i >= n - 1) continue;
    // Right reflector: row i right of the superdiagonal → 0 (v stored in that row).
    tauR[i] = makeReflector(a, ii + 1, 1, n - i - 1);
    e[i] = a[ii + 1];
    applyRight(tauR[i], a, ii + 1, a, ii + n + 1, n, n - i - 1, n - i - 1);
  }
  const ql = alloc(n * n);
  const qr = alloc(n * n);
  for (let i = 0; i < n; i++) {
    ql[i * n + i] = 1;
    qr[i * n + i] = 1;
  }
  // Q = H₀H₁⋯ applied to I backwards: H_i only touches rows and columns ≥ its start. (Level 2
  // on purpose: at n = 64 the WY/GEMM formation of qr-factor.ts measured ~10% slower.)
  for (let i = n - 1; i >= 0; i--) {
    const ii = i * n + i;
    applyLeft(tauL[i], a, ii, n, ql, ii, n, n - i, n - i, w);
  }
  for (let i = n - 2; i >= 0; i--) {
    const ii = i * n + i;
    applyLeft(tauR[i], a, ii + 1, 1, qr, ii + n + 1, n, n - i - 1, n - i - 1, w);
  }
  return { d, e, ql, qr };
}
