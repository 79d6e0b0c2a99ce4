/**
 * Triangular solve op(A)·X = B for n×n triangular A and n×nrhs B, all row-major (the cpu
 * backend's `linalg.solveTriangular` kernel; LAPACK dtrsm with SIDE = 'L'). Every variant
 * works on whole rows of X, so the inner loops are contiguous axpys over the right-hand
 * sides (Golub & Van Loan §3.1).
 */
import { axpy } from './householder.js';
import { checkMatrix } from './qr.js';

/** Which triangle of A holds it, whether to solve with Aᵀ, whether diag(A) is all ones. */
export interface TriangularOptions {
  /** A is lower triangular (else upper); the other triangle is never read. */
  readonly lower: boolean;
  /** Solve Aᵀ·X = B instead of A·X = B. @default false */
  readonly transpose?: boolean;
  /** Take diag(A) as ones without reading it. @default false */
  readonly unitDiagonal?: boolean;
}

/**
 * X (n×nrhs, row-major) with op(A)·X = B. Throws `solveTriangular: …` on a zero diagonal
 * entry (singular A) unless `unitDiagonal`.
 * @example
 * solveTriangular(new Float64Array([2, 0, 1, 4]), 2, new Float64Array([2, 9]), 1,
 *   { lower: true }); // [1, 2]
 */
export function solveTriangular(
  a: Float64Array, n: number, b: Float64Array, nrhs: number, o: TriangularOptions,
): Float64Array {
  checkMatrix('solveTriangular', a, n, n);
  checkMatrix('solveTriangular', b, n, nrhs);
  const unit = o.unitDiagonal === true;
  if (!unit) {
    for (let i = 0; i < n; i++) {
      if (a[i * n + i] === 0) {
        throw new Error(`solveTriangular: a [${n},${n}] is singular (zero diagonal at ${i})`);
      }
    }
  }
  const x = b.slice(0, n * nrhs);
  // A·X = B with A lower, or Aᵀ·X = B with A upper (Aᵀ lower): forward substitution.
  const forward = o.lower !== (o.transpose === true);
  if (o.transpose !== true) {
    // Row i of X = (B_i − Σ_k A(i, k)·X_k) / A(i, i), k over the solved rows.
    for (let s = 0; s < n; s++) {
      const i = forward ? s : n - 1 - s;
      const lo = forward ? 0 : i + 1;
      const hi = forward ? i : n;
      for (let k = lo; k < hi; k++) {
        const aik = a[i * n + k];
        if (aik !== 0) axpy(-aik, x, k * nrhs, x, i * nrhs, nrhs);
      }
      if (!unit) scaleRow(x, i * nrhs, nrhs, 1 / a[i * n + i]);
    }
    return x;
  }
  // Aᵀ·X = B: once row i of X is final, subtract A(i, k)·X_i from the rows k it feeds
  // (row i of A is row i of Aᵀ's column i, so this reads A row by row).
  for (let s = 0; s < n; s++) {
    const i = forward ? s : n - 1 - s;
    if (!unit) scaleRow(x, i * nrhs, nrhs, 1 / a[i * n + i]);
    const lo = forward ? i + 1 : 0;
    const hi = forward ? n : i;
    for (let k = lo; k < hi; k++) {
      const aik = a[i * n + k];
      if (aik !== 0) axpy(-aik, x, i * nrhs, x, k * nrhs, nrhs);
    }
  }
  return x;
}

/** x[off + j] *= f for j < len. */
function scaleRow(x: Float64Array, off: number, len: number, f: number): void {
  for (let j = 0; j < len; j++) x[off + j] *= f;
}
