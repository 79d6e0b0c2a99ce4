/**
 * Symmetric eigendecomposition (the cpu backend's `linalg.eigh` kernel): Householder
 * tridiagonalization of the lower triangle (LAPACK dsytd2), the orthogonal factor formed
 * from the reflectors (dorgtr), then implicit-shift QL iteration on the tridiagonal with
 * the rotations applied to the eigenvector matrix (EISPACK tql2: Bowdler, Martin, Reinsch
 * & Wilkinson, Numer. Math. 11, 1968; Golub & Van Loan §8.3).
 */
import { applyLeft, makeReflector } from './householder.js';
import { rotateColumns } from './givens.js';
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
  const w = new Float64Array(n * n);                 // lower triangle, scaled
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) w[i * n + j] = a[i * n + j] / sc;
  }
  const { d, e, q } = tridiagonalize(w, n);
  tridiagonalQl(d, e, q, n);
  sortAscending(d, q, n);
  for (let i = 0; i < n; i++) d[i] *= sc;
  return { values: d, vectors: q };
}

/**
 * Reduces the symmetric `w` (lower triangle, n×n, overwritten) to T = Qᵀ·W·Q tridiagonal:
 * diagonal d, subdiagonal e (e[n−1] = 0), and Q formed explicitly (n×n).
 * Step i reflects W(i+1:n, i), read as the contiguous row i of the full matrix.
 */
function tridiagonalize(w: Float64Array, n: number) {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const tau = new Float64Array(n);
  const p = new Float64Array(n);
  for (let i = 0; i < n - 1; i++) {
    const off = i * n + i + 1;                       // row i, from column i + 1
    for (let c = i + 1; c < n; c++) w[off + c - i - 1] = w[c * n + i];
    tau[i] = makeReflector(w, off, 1, n - i - 1);
    d[i] = w[i * n + i];
    e[i] = w[off];
    const t = tau[i];
    if (t === 0) continue;
    // p = τ·A22·v from the lower triangle (one pass per row), then p ← p − (τ/2)(pᵀv)·v.
    const s = i + 1;
    w[off] = 1;                                      // v(s) = 1; e[i] is saved
    const vo = off - s;                              // v(c) = w[vo + c], c ≥ s
    p.fill(0, s, n);
    for (let r = s; r < n; r++) {
      const vr = w[vo + r];
      const row = r * n;
      let acc = 0;
      for (let c = s; c < r; c++) {
        const arc = w[row + c];
        acc += arc * w[vo + c];
        p[c] += arc * vr;
      }
      p[r] += acc + w[row + r] * vr;
    }
    let pv = 0;
    for (let r = s; r < n; r++) {
      p[r] *= t;
      pv += p[r] * w[vo + r];
    }
    const k = -0.5 * t * pv;
    for (let r = s; r < n; r++) p[r] += k * w[vo + r];
    for (let r = s; r < n; r++) {                     // A22 −= v·pᵀ + p·vᵀ (lower part)
      const vr = w[vo + r], pr = p[r];
      const row = r * n;
      for (let c = s; c <= r; c++) w[row + c] -= vr * p[c] + pr * w[vo + c];
    }
  }
  d[n - 1] = w[(n - 1) * n + n - 1];
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  for (let i = n - 2; i >= 0; i--) {                  // Q = H₀⋯H_{n−2}, H_i on indices > i
    const jj = (i + 1) * n + i + 1;
    applyLeft(tau[i], w, i * n + i + 1, 1, q, jj, n, n - i - 1, n - i - 1, p);
  }
  return { d, e, q };
}

/**
 * Implicit QL with Wilkinson-type shifts on the tridiagonal (d, e) (tql2); the rotations of
 * each sweep are saved and applied to the columns of q in one pass (givens.ts).
 */
function tridiagonalQl(d: Float64Array, e: Float64Array, q: Float64Array, n: number): void {
  const cs = new Float64Array(n), sn = new Float64Array(n);
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
      let r = Math.hypot(p, 1);
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
        r = Math.hypot(p, e[i]);
        e[i + 1] = s * r;
        s = e[i] / r;
        c = p / r;
        p = c * d[i] - s * g;
        d[i + 1] = h + s * (c * g + s * d[i]);
        cs[i - l] = c; sn[i - l] = -s;
      }
      rotateColumns(q, n, n, l, m - l, cs, sn, false);
      p = (-s * s2 * c3 * el1 * e[l]) / dl1;
      e[l] = s * p;
      d[l] = c * p;
      if (!(Math.abs(e[l]) > EPS * tst1)) break;
    }
    d[l] += f;
    e[l] = 0;
  }
}

/** Sorts d ascending, permuting the columns of q along (selection sort). */
function sortAscending(d: Float64Array, q: Float64Array, n: number): void {
  for (let i = 0; i < n - 1; i++) {
    let b = i;
    for (let j = i + 1; j < n; j++) if (d[j] < d[b]) b = j;
    if (b === i) continue;
    [d[i], d[b]] = [d[b], d[i]];
    for (let r = 0; r < n; r++) [q[r * n + i], q[r * n + b]] = [q[r * n + b], q[r * n + i]];
  }
}
