/**
 * Singular values and vectors of an upper bidiagonal matrix by implicit-shift QR, following
 * LAPACK dbdsqr: Demmel & Kahan, "Accurate singular values of bidiagonal matrices" (SIAM J.
 * Sci. Stat. Comput. 11, 1990). Zero-shift sweeps where a shift would spoil relative
 * accuracy, so the singular values are accurate to a few ulps relative to themselves.
 * Each sweep's rotations are saved and then applied to Uᵀ and Vᵀ in one pass (givens.ts).
 */
import { las2, lasv2, lartg, rotatePair, sign } from './givens.js';
import { inner } from './inner.js';
import { swapRows } from './transpose.js';

const EPS = 2 ** -53;                          // LAPACK dlamch('Epsilon') (rounding unit)
const UNFL = 2 ** -1022;
/** Relative tolerance: LAPACK's tolmul·eps with tolmul = clamp(eps^(−1/8), 10, 100). */
const TOL = Math.max(10, Math.min(100, EPS ** -0.125)) * EPS;
/** Sweeps allowed per singular value, on average (LAPACK MAXITR). */
const MAXITR = 6;

/**
 * Diagonalizes B = diag(d) + superdiag(e) (n×n) in place: on return d holds the singular
 * values, non-negative and descending, and U and V, given transposed (`u` is Uᵀ: n rows of
 * nru entries, row stride ldu; `v` is Vᵀ likewise), are multiplied by the left and right
 * rotations, so that U_in·B·V_inᵀ = U_out·diag(d)·V_outᵀ. Throws if the iteration does not
 * converge.
 */
export function bidiagQr(
  d: Float64Array, e: Float64Array, n: number,
  u: Float64Array, ldu: number, nru: number, v: Float64Array, ldv: number, nrv: number,
): void {
  if (n === 0) return;
  const { alloc, rotateRows } = inner();
  const cU = alloc(n), sU = alloc(n);
  const cV = alloc(n), sV = alloc(n);
  const g = new Float64Array(6);
  let smax = 0;
  for (let i = 0; i < n; i++) smax = Math.max(smax, Math.abs(d[i]));
  for (let i = 0; i < n - 1; i++) smax = Math.max(smax, Math.abs(e[i]));
  // Threshold from an estimate of the smallest singular value (relative accuracy mode).
  let sminoa = Math.abs(d[0]);
  for (let i = 1, mu = sminoa; i < n && sminoa > 0; i++) {
    mu = Math.abs(d[i]) * (mu / (mu + Math.abs(e[i - 1])));
    sminoa = Math.min(sminoa, mu);
  }
  sminoa /= Math.sqrt(n);
  const thresh = Math.max(TOL * sminoa, MAXITR * n * n * UNFL);
  const maxIter = MAXITR * n * n;
  let iter = 0, idir = 0, oldll = -1, oldm = -1;
  let m = n - 1;                                // last index of the unconverged part
  main: while (m > 0) {
    if (iter > maxIter) {
      throw new Error(`svd: bidiagonal QR did not converge after ${iter} inner steps (n = ${n})`);
    }
    // Find the bottom unreduced block d[ll..m]: e[ll−1] = 0.
    let ll = 0;
    smax = Math.abs(d[m]);
    for (let i = m - 1; i >= 0; i--) {
      const abss = Math.abs(d[i]), abse = Math.abs(e[i]);
      if (abse <= thresh || abse === 0) {
        e[i] = 0;
        if (i === m - 1) {                      // bottom value converged
          m--;
          continue main;
        }
        ll = i + 1;
        break;
      }
      smax = Math.max(smax, abss, abse);
    }
    if (ll === m - 1) {                         // 2×2 block: direct SVD
      lasv2(d[m - 1], e[m - 1], d[m], g);
      d[m - 1] = g[1]; e[m - 1] = 0; d[m] = g[0];
      rotatePair(v, ldv, nrv, m - 1, g[3], g[2]);
      rotatePair(u, ldu, nru, m - 1, g[5], g[4]);
      m -= 2;
      continue;
    }
    if (ll > oldm || m < oldll) idir = Math.abs(d[ll]) >= Math.abs(d[m]) ? 1 : 2;
    // Convergence tests: the standard one at the far end, then the relative one (mu).
    let smin: number;
    if (idir === 1) {
      if (Math.abs(e[m - 1]) <= TOL * Math.abs(d[m])) { e[m - 1] = 0; continue; }
      let mu = Math.abs(d[ll]);
      smin = mu;
      for (let i = ll; i < m; i++) {
        if (Math.abs(e[i]) <= TOL * mu) { e[i] = 0; continue main; }
        mu = Math.abs(d[i + 1]) * (mu / (mu + Math.abs(e[i])));
        smin = Math.min(smin, mu);
      }
    } else {
      if (Math.abs(e[ll]) <= TOL * Math.abs(d[ll])) { e[ll] = 0; continue; }
      let mu = Math.abs(d[m]);
      smin = mu;
      for (let i = m - 1; i >= ll; i--) {
        if (Math.abs(e[i]) <= TOL * mu) { e[i] = 0; continue main; }
        mu = Math.abs(d[i]) * (mu / (mu + Math.abs(e[i])));
        smin = Math.min(smin, mu);
      }
    }
    oldll = ll;
    oldm = m;
    // Shift: zero if it would spoil relative accuracy, else from the trailing 2×2.
    let shift = 0;
    if (!(n * TOL * (smin / smax) <= Math.max(EPS, 0.01 * TOL))) {
      const sll = idir === 1 ? Math.abs(d[ll]) : Math.abs(d[m]);
      if (idir === 1) las2(d[m - 1], e[m - 1], d[m], g);
      else las2(d[ll], e[ll], d[ll + 1], g);
      shift = g[0];
      if (sll > 0 && (shift / sll) ** 2 < EPS) shift = 0;
    }
    iter += m - ll;
    const cnt = m - ll;
    if (idir === 1) {
      if (shift === 0) zeroShiftDown(d, e, ll, m, g, cV, sV, cU, sU);
      else shiftedDown(d, e, ll, m, shift, g, cV, sV, cU, sU);
      rotateRows(v, ldv, nrv, ll, cnt, cV, sV, true);
      rotateRows(u, ldu, nru, ll, cnt, cU, sU, true);
      if (Math.abs(e[m - 1]) <= thresh) e[m - 1] = 0;
    } else {
      if (shift === 0) zeroShiftUp(d, e, ll, m, g, cV, sV, cU, sU);
      else shiftedUp(d, e, ll, m, shift, g, cV, sV, cU, sU);
      rotateRows(v, ldv, nrv, ll, cnt, cV, sV, false);
      rotateRows(u, ldu, nru, ll, cnt, cU, sU, false);
      if (Math.abs(e[ll]) <= thresh) e[ll] = 0;
    }
  }
  sortDescending(d, n, u, ldu, nru, v, ldv, nrv);
}

/** Demmel–Kahan zero-shift QR sweep, top to bottom; saves the V and U rotations. */
function zeroShiftDown(d: Float64Array, e: Float64Array, ll: number, m: number,
  g: Float64Array, cV: Float64Array, sV: Float64Array, cU: Float64Array, sU: Float64Array,
): void {
  let cs = 1, oldcs = 1, oldsn = 0;
  for (let i = ll; i < m; i++) {
    lartg(d[i] * cs, e[i], g);
    cs = g[0];
    const sn = g[1], r = g[2];
    if (i > ll) e[i - 1] = oldsn * r;
    lartg(oldcs * r, d[i + 1] * sn, g);
    oldcs = g[0]; oldsn = g[1]; d[i] = g[2];
    cV[i - ll] = cs; sV[i - ll] = sn; cU[i - ll] = oldcs; sU[i - ll] = oldsn;
  }
  const h = d[m] * cs;
  d[m] = h * oldcs;
  e[m - 1] = h * oldsn;
}

/** Zero-shift sweep, bottom to top (rotations indexed by their lower column). */
function zeroShiftUp(d: Float64Array, e: Float64Array, ll: number, m: number,
  g: Float64Array, cV: Float64Array, sV: Float64Array, cU: Float64Array, sU: Float64Array,
): void {
  let cs = 1, oldcs = 1, oldsn = 0;
  for (let i = m; i > ll; i--) {
    lartg(d[i] * cs, e[i - 1], g);
    cs = g[0];
    const sn = g[1], r = g[2];
    if (i < m) e[i] = oldsn * r;
    lartg(oldcs * r, d[i - 1] * sn, g);
    oldcs = g[0]; oldsn = g[1]; d[i] = g[2];
    const k = i - ll - 1;
    cU[k] = cs; sU[k] = -sn; cV[k] = oldcs; sV[k] = -oldsn;
  }
  const h = d[ll] * cs;
  d[ll] = h * oldcs;
  e[ll] = h * oldsn;
}

/** Shifted implicit QR sweep (chasing the bulge) top to bottom. */
function shiftedDown(d: Float64Array, e: Float64Array, ll: number, m: number, shift: number,
  g: Float64Array, cV: Float64Array, sV: Float64Array, cU: Float64Array, sU: Float64Array,
): void {
  let f = (Math.abs(d[ll]) - shift) * (sign(1, d[ll]) + shift / d[ll]);
  let h = e[ll];
  for (let i = ll; i < m; i++) {
    lartg(f, h, g);
    const cosr = g[0], sinr = g[1];
    if (i > ll) e[i - 1] = g[2];
    f = cosr * d[i] + sinr * e[i];
    e[i] = cosr * e[i] - sinr * d[i];
    h = sinr * d[i + 1];
    d[i + 1] = cosr * d[i + 1];
    lartg(f, h, g);
    const cosl = g[0], sinl = g[1];
    d[i] = g[2];
    f = cosl * e[i] + sinl * d[i + 1];
    d[i + 1] = cosl * d[i + 1] - sinl * e[i];
    if (i < m - 1) {
      h = sinl * e[i + 1];
      e[i + 1] = cosl * e[i + 1];
    }
    cV[i - ll] = cosr; sV[i - ll] = sinr; cU[i - ll] = cosl; sU[i - ll] = sinl;
  }
  e[m - 1] = f;
}

/** Shifted implicit QR sweep bottom to top. */
function shiftedUp(d: Float64Array, e: Float64Array, ll: number, m: number, shift: number,
  g: Float64Array, cV: Float64Array, sV: Float64Array, cU: Float64Array, sU: Float64Array,
): void {
  let f = (Math.abs(d[m]) - shift) * (sign(1, d[m]) + shift / d[m]);
  let h = e[m - 1];
  for (let i = m; i > ll; i--) {
    lartg(f, h, g);
    const cosr = g[0], sinr = g[1];
    if (i < m) e[i] = g[2];
    f = cosr * d[i] + sinr * e[i - 1];
    e[i - 1] = cosr * e[i - 1] - sinr * d[i];
    h = sinr * d[i - 1];
    d[i - 1] = cosr * d[i - 1];
    lartg(f, h, g);
    const cosl = g[0], sinl = g[1];
    d[i] = g[2];
    f = cosl * e[i - 1] + sinl * d[i - 1];
    d[i - 1] = cosl * d[i - 1] - sinl * e[i - 1];
    if (i > ll + 1) {
      h = sinl * e[i - 2];
      e[i - 2] = cosl * e[i - 2];
    }
    const k = i - ll - 1;
    cU[k] = cosr; sU[k] = -sinr; cV[k] = cosl; sV[k] = -sinl;
  }
  e[ll] = f;
}

/** Makes d non-negative (flipping rows of Vᵀ) and sorts it descending with Uᵀ and Vᵀ. */
function sortDescending(d: Float64Array, n: number,
  u: Float64Array, ldu: number, nru: number, v: Float64Array, ldv: number, nrv: number,
): void {
  for (let i = 0; i < n; i++) {
    if (d[i] < 0) {
      d[i] = -d[i];
      for (let p = i * ldv; p < i * ldv + nrv; p++) v[p] = -v[p];
    } else d[i] = Math.abs(d[i]);               // −0 → +0
  }
  for (let i = 0; i < n - 1; i++) {
    let best = i;
    for (let j = i + 1; j < n; j++) if (d[j] > d[best]) best = j;
    if (best === i) continue;
    [d[i], d[best]] = [d[best], d[i]];
    swapRows(u, ldu, nru, i, best);
    swapRows(v, ldv, nrv, i, best);
  }
}
