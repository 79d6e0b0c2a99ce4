/**
 * Layout helpers of the drivers: singular and eigenvector matrices are rotated transposed
 * (givens.ts rotateRows), so they are transposed into and out of that form.
 */
import { inner } from './inner.js';

/**
 * The n×m transpose of the m×n `a` (row stride lda), in a work array of row stride ldOut.
 */
export function transposed(
  a: Float64Array, m: number, n: number, lda = n, ldOut = m,
): Float64Array {
  const out = inner().alloc(n * ldOut);
  for (let i = 0; i < m; i++) {
    for (let j = 0, p = i * lda; j < n; j++, p++) out[j * ldOut + i] = a[p];
  }
  return out;
}

/**
 * A row stride for `len` entries that keeps rotated rows apart in the cache: whole cache
 * lines, and not a multiple of 512 bytes (rows 4 KiB apart would share a few cache sets,
 * and a sweep walks down up to n of them).
 */
export function rowStride(len: number): number {
  const r = Math.ceil(len / 8) * 8;
  return r % 64 === 0 ? r + 8 : r;
}

/** Swaps the first `len` entries of rows i and j of `x` (row stride ld). */
export function swapRows(x: Float64Array, ld: number, len: number, i: number, j: number): void {
  for (let c = 0, p = i * ld, q = j * ld; c < len; c++, p++, q++) {
    const t = x[p];
    x[p] = x[q];
    x[q] = t;
  }
}
