/**
 * Symmetric eigendecomposition (the cpu backend's `linalg.eigh` kernel): Householder
 * tridiagonalization of the lower triangle (LAPACK dsytd2), the orthogonal factor formed
 * from the reflectors (dorgtr), then implicit-shift QL iteration on the tridiagonal with
 * the rotations applied to the transposed eigenvector matrix (EISPACK tql2: Bowdler, Martin,
 * Reinsch & Wilkinson, Numer. Math. 11, 1968; Golub & Van Loan §8.3).
 */
import { hypot2, makeReflector } from './householder.js';
import { inner } from './inner.js';
import { rowStride, swapRows, transposed } from './transpose.js';
import { checkMatrix } from './qr.js';
import { safeScale } from './qr-factor.js';

/** A = V·diag(values)·Vᵀ. */
export interface EighResult {
  /** n eigenvalues, ascending (like numpy.linalg.eigh). */
  readonly values: Float64Array;
  /** n×n row-major; column j is the unit eigenvector of values[j]. */
  readonly vectors: Float64Array;
}

const EPS = 2 ** -52;
/** QL sweeps allowed per eigenvalue before giving up (EISPACK uses 30). */
const MAX_SWEEPS = 30;

/**
 * Eigenvalues and eigenvectors of the symmetric n×n row-major `a`; only its lower triangle
 * is read. Throws an Error naming `eigh` if QL fails to converge (not seen on finite input).
 * @example
 * const { values, vectors } = eigh(new Float64Array([2, 1, 1, 2]), 2); // values [1, 3]
 */
export function eigh(a: Float64Array, n: number): EighResult {
  checkMatrix('eigh', a, n, n);
  let big = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) big = Math.max(big, Math.abs(a[i * n + j]));
  }
  const sc = safeScale(big);
  const w = inner().alloc(n * n);                    // lower triangle, scaled
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) w[i * n + j] = a[i * n + j] / sc;
  }
  const { d, e, q } = tridiagonalize(w, n);
  const ld = rowStride(n);
  const qt = transposed(q, n, n, n, ld);             // row j: the vector of d[j]
  tridiagonalQl(d, e, qt, ld, n);
  sortAscending(d, qt, ld, n);
  for (let i = 0; i < n; i++) d[i] *= sc;
  return { values: d, vectors: transposed(qt, n, n, ld, n) };
}

/**
 * Reduces the symmetric `w` (lower triangle, n×n, overwritten) to T = Qᵀ·W·Q tridiagonal:
 * diagonal d, subdiagonal e (e[n−1] = 0), and Q formed explicitly (n×n).
 * Step i reflects W(i+1:n, i), read as the contiguous row i of the full matrix.
 */
function tridiagonalize(w: Float64Array, n: number) {
  const { alloc, applyLeft, reflectSymmetric } = inner();
  const d = alloc(n);
  const e = alloc(n);
  const tau = alloc(n);
  const p = alloc(n);
  for (let i = 0; i < n - 1; i++) {
    const off = i * n + i + 1;                       // row i, from column i + 1
    for (let c = i + 1; c < n; c++) w[off + c - i - 1] = w[c * n + i];
    tau[i] = makeReflector(w, off, 1, n - i - 1);
    d[i] = w[i * n + i];
    e[i] = w[off];
    const t = tau[i];
    if (t === 0) continue;
    w[off] = 1;                                      // v₀ = 1 stored; e[i] is saved
    reflectSymmetric(t, w, off, w, (i + 1) * (n + 1), n, n - i - 1, p);
  }
  d[n - 1] = w[(n - 1) * n + n - 1];
  const q = alloc(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  for (let i = n - 2; i >= 0; i--) {                  // Q = H₀⋯H_{n−2}, H_i on indices > i
    const jj = (i + 1) * n + i + 1;
    applyLeft(tau[i], w, i * n + i + 1, 1, q, jj, n, n - i - 1, n - i - 1, p);
  }
  return { d, e, q };
}

/**
 * Implicit QL with Wilkinson-type shifts on the tridiagonal (d, e) (tql2); the rotations of
 * each sweep are saved and applied to the rows of qt (Qᵀ) in one pass (givens.ts).
 */
function tridiagonalQl(
  d: Float64Array, e: Float64Array, qt: Float64Array, ld: number, n: number,
): void {
  const { alloc, rotateRows } = inner();
  const cs = alloc(n), sn = alloc(n);
  let f = 0, tst1 = 0;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]) > EPS * tst1) m++;
    let sweeps = 0;
    while (m > l) {
      if (++sweeps > MAX_SWEEPS) {
        throw new Error(`eigh: QL iteration did not converge for eigenvalue ${l} (n = ${n})`);
      }
      // Shift from the leading 2×2 of the block; deflate it from the rest of d.
      const g0 = d[l];
      let p = (d[l + 1] - g0) / (2 * e[l]);
      let r = pythag(p, 1);
      if (p < 0) r = -r;
      d[l] = e[l] / (p + r);
      d[l + 1] = e[l] * (p + r);
      const dl1 = d[l + 1];
      const h0 = g0 - d[l];
      for (let i = l + 2; i < n; i++) d[i] -= h0;
      f += h0;
      // Implicit QL sweep from the bottom of the block up.
      p = d[m];
      let c = 1, c2 = 1, c3 = 1, s = 0, s2 = 0;
      const el1 = e[l + 1];
      for (let i = m - 1; i >= l; i--) {
        c3 = c2; c2 = c; s2 = s;
        const g = c * e[i];
        const h = c * p;
        r = pythag(p, e[i]);
        e[i + 1] = s * r;
        s = e[i] / r;
        c = p / r;
        p = c * d[i] - s * g;
        d[i + 1] = h + s * (c * g + s * d[i]);
        cs[i - l] = c; sn[i - l] = -s;
      }
      rotateRows(qt, ld, n, l, m - l, cs, sn, false);
      p = (-s * s2 * c3 * el1 * e[l]) / dl1;
      e[l] = s * p;
      d[l] = c * p;
      if (!(Math.abs(e[l]) > EPS * tst1)) break;
    }
    d[l] += f;
    e[l] = 0;
  }
}

/**
 * √(a² + b²): the plain formula where neither square can over- or underflow, else hypot2's
 * scaled one (Math.hypot, which takes any number of arguments, costs several times more).
 */
function pythag(a: number, b: number): number {
  const x = Math.abs(a), y = Math.abs(b);
  const big = x > y ? x : y;
  return big < 1e150 && big > 1e-150 ? Math.sqrt(a * a + b * b) : hypot2(x, y);
}

/** Sorts d ascending, permuting the rows of qt (row stride ld) along (selection sort). */
function sortAscending(d: Float64Array, qt: Float64Array, ld: number, n: number): void {
  for (let i = 0; i < n - 1; i++) {
    let b = i;
    for (let j = i + 1; j < n; j++) if (d[j] < d[b]) b = j;
    if (b === i) continue;
    [d[i], d[b]] = [d[b], d[i]];
    swapRows(qt, ld, n, i, b);
  }
}
