/**
 * Cholesky factorization A = L·Lᵀ of a symmetric positive definite row-major matrix (the cpu
 * backend's `linalg.cholesky` kernel). Left-looking by blocks of NB columns: the block column
 * is first updated with one GEMM against the finished columns (LAPACK dpotrf), then factored
 * row by row with contiguous dot products (Cholesky–Banachiewicz). Golub & Van Loan §4.2.
 */
import { dot } from './householder.js';
import { inner } from './inner.js';
import { checkMatrix } from './qr.js';

/** Columns per block; below 2·NB the whole matrix is one unblocked factorization. */
const NB = 48;

/**
 * Lower triangular L (n×n row-major, zeros above the diagonal) with A = L·Lᵀ. Reads only the
 * lower triangle of `a`. Throws `cholesky: matrix is not positive definite (pivot j = …,
 * value …)` when a pivot is ≤ 0 or NaN.
 * @example
 * cholesky(new Float64Array([4, 2, 2, 5]), 2); // [2, 0, 1, 2]
 */
export function cholesky(a: Float64Array, n: number): Float64Array {
  checkMatrix('cholesky', a, n, n);
  const { alloc, gemm } = inner();
  const l = alloc(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) l[i * n + j] = a[i * n + j];
  }
  const nb = n < 2 * NB ? n : NB;
  const tmp = alloc(n * nb);
  for (let jb = 0; jb < n; jb += nb) {
    const w = Math.min(nb, n - jb);
    const rows = n - jb;
    if (jb > 0) {
      // L(jb:n, jb:jb+w) −= L(jb:n, 0:jb)·L(jb:jb+w, 0:jb)ᵀ
      gemm(rows, w, jb, l, jb * n, n, false, l, jb * n, n, true, tmp, 0, w, false);
      for (let i = 0; i < rows; i++) {
        const row = (jb + i) * n + jb;
        const top = Math.min(w, i + 1);              // only the lower triangle is needed
        for (let j = 0; j < top; j++) l[row + j] -= tmp[i * w + j];
      }
    }
    factorBlock(l, n, jb, w);
  }
  return l;
}

/**
 * Finishes columns jb..jb+w−1 of L, whose entries already hold A minus the contributions of
 * columns < jb: the diagonal block by Cholesky–Banachiewicz, then every row below it.
 */
function factorBlock(l: Float64Array, n: number, jb: number, w: number): void {
  for (let i = jb; i < n; i++) {
    const ri = i * n;
    const top = Math.min(i, jb + w);
    for (let j = jb; j < top; j++) {               // L(i, j) for the block's columns j < i
      const rj = j * n;
      l[ri + j] = (l[ri + j] - dot(l, ri + jb, l, rj + jb, j - jb)) / l[rj + j];
    }
    if (i >= jb + w) continue;
    const pivot = l[ri + i] - dot(l, ri + jb, l, ri + jb, i - jb);
    if (!(pivot > 0)) {
      throw new Error(`cholesky: matrix is not positive definite (pivot j = ${i}, value ${pivot})`);
    }
    l[ri + i] = Math.sqrt(pivot);
  }
}
