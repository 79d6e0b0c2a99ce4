/**
 * Thin QR decomposition of a row-major float64 matrix (the cpu backend's `linalg.qr` kernel).
 * Blocked Householder factorization (qr-factor.ts), Q formed from the WY blocks (formQ),
 * and signs chosen so that diag(R) ≥ 0 (unique R for full-rank A).
 */
import { extractR, formQ, qrFactor } from './qr-factor.js';

/** A = Q·R with Q (m×k) having orthonormal columns and R (k×n) upper triangular. */
export interface QrResult {
  /** m×k, row-major, QᵀQ = I exactly up to rounding, for every input (no NaN from zeros). */
  readonly q: Float64Array;
  /** k×n, row-major, upper triangular with a non-negative diagonal. */
  readonly r: Float64Array;
}

/** Throws unless `a` holds at least rows·cols values and the dimensions are counts. */
export function checkMatrix(op: string, a: Float64Array, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new Error(`${op}: shape [${rows},${cols}] is not a matrix shape`);
  }
  if (a.length < rows * cols) {
    throw new Error(`${op}: a [${rows},${cols}] needs ${rows * cols} values, got ${a.length}`);
  }
}

/**
 * Thin Householder QR, k = min(m, n). Handles zero, dependent and wide inputs (m < n).
 * @example
 * const { q, r } = qr(new Float64Array([3, 1, 4, 2]), 2, 2); // q 2×2, r 2×2, a = q·r
 */
export function qr(a: Float64Array, m: number, n: number): QrResult {
  checkMatrix('qr', a, m, n);
  const k = Math.min(m, n);
  const f = qrFactor(a, m, n);
  const q = formQ(f);
  const r = extractR(f);
  for (let i = 0; i < k; i++) {
    if (!(r[i * n + i] < 0)) continue;
    for (let j = i; j < n; j++) r[i * n + j] = -r[i * n + j];
    for (let p = i; p < m * k; p += k) q[p] = -q[p];
  }
  return { q, r };
}
