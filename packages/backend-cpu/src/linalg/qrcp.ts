/**
 * Householder QR with column pivoting, A·P = Q·R (LAPACK dgeqp2/dlaqp2; Businger & Golub
 * 1965), with the safe partial-norm downdating of Drmač & Bujanović (LAPACK Working Note
 * 176). Unblocked: it is the rank-revealing first step of the high-relative-accuracy SVD
 * (svd-jacobi.ts), not a hot path. The result reuses QrFactors, so applyQ works on it.
 */
import { dot, makeReflector, norm2 } from './householder.js';
import { inner } from './inner.js';
import { reflectorT } from './wy.js';
import { QR_BLOCK, type QrFactors } from './qr-factor.js';

/** Q·R factors of A·P; column j of A·P is column perm[j] of A. */
export interface PivotedQr {
  readonly f: QrFactors;
  readonly perm: Int32Array;
}

/** Recompute a partial norm when downdating has lost more than this much (√ε). */
const TOL3Z = Math.sqrt(2 ** -53);

/**
 * Pivoted QR of the m×n matrix given column-major in `at` (n × m row-major, overwritten).
 * R(i, j) = at[j·m + i] for i ≤ j afterwards.
 */
export function qrPivoted(at: Float64Array, m: number, n: number): PivotedQr {
  const k = Math.min(m, n);
  const perm = new Int32Array(n);
  const vn1 = new Float64Array(n);               // partial column norms
  const vn2 = new Float64Array(n);               // norms when last computed exactly
  for (let j = 0; j < n; j++) {
    perm[j] = j;
    vn1[j] = vn2[j] = norm2(at, j * m, 1, m);
  }
  const tau = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let p = i;                                   // pivot: largest remaining partial norm
    for (let j = i + 1; j < n; j++) if (vn1[j] > vn1[p]) p = j;
    if (p !== i) {
      for (let r = 0; r < m; r++) {
        const x = at[p * m + r];
        at[p * m + r] = at[i * m + r];
        at[i * m + r] = x;
      }
      [perm[p], perm[i]] = [perm[i], perm[p]];
      vn1[p] = vn1[i];
      vn2[p] = vn2[i];
    }
    const ci = i * m;
    tau[i] = makeReflector(at, ci + i, 1, m - i);
    const beta = at[ci + i];
    at[ci + i] = 1;                              // v_i with its unit head, for the dots
    for (let j = i + 1; j < n; j++) {
      const cj = j * m;
      const s = tau[i] * dot(at, ci + i, at, cj + i, m - i);
      if (s !== 0) for (let r = i; r < m; r++) at[cj + r] -= s * at[ci + r];
      if (vn1[j] === 0) continue;                // downdate the partial norm of column j
      const ratio = Math.abs(at[cj + i]) / vn1[j];
      const temp = Math.max(0, (1 - ratio) * (1 + ratio));
      if (temp * (vn1[j] / vn2[j]) ** 2 <= TOL3Z) {
        vn1[j] = vn2[j] = i + 1 < m ? norm2(at, cj + i + 1, 1, m - i - 1) : 0;
      } else {
        vn1[j] *= Math.sqrt(temp);
      }
    }
    at[ci + i] = beta;
  }
  return { f: factorsOf(at, m, n, k, tau), perm };
}

/** The reflectors as explicit rows (vt) and their per-block T factors. */
function factorsOf(
  at: Float64Array, m: number, n: number, k: number, tau: Float64Array,
): QrFactors {
  const vt = inner().alloc(k * m);
  for (let j = 0; j < k; j++) {
    vt[j * m + j] = 1;
    for (let r = j + 1; r < m; r++) vt[j * m + r] = at[j * m + r];
  }
  return { m, n, ld: m, k, at, rScale: 1, vt, t: reflectorT(vt, m, m, k, tau, QR_BLOCK) };
}
