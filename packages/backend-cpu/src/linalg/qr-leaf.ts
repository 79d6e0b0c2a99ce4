/**
 * The unblocked leaf of the recursive QR (qr-factor.ts): plain Householder QR of up to eight
 * columns of the column-major work copy, plus their T block (LAPACK dgeqr2 + dlarft).
 *
 * One fused pass over the rows per reflector: it applies H_j to the later leaf columns and,
 * on the updated values, accumulates the dot products the next step needs: x·x (the next
 * column's tail norm²), x·(column c) for later c (to apply H_{j+1}) and x·x_c for earlier c
 * (for T). Reflector tails stay unscaled (x = v·scale) until the leaf is done, so no pass
 * is spent on scaling. Columns beyond the leaf are read and rewritten with a zero
 * coefficient, so the caller must provide eight columns of storage (padding).
 */
import { hypot2, norm2 } from './householder.js';
import { inner } from './inner.js';

/** Eight columns per fused pass. */
export const LEAF_WIDTH = 8;
/** Below this |alpha − beta|, scale the tail explicitly instead of dividing dot products. */
const SAFE_SCALE = 1e-290;
/** A sum of squares outside [TINY, HUGE] may have under/overflowed: recompute it safely. */
const TINY = 1e-280;
const HUGE = 1e280;

/**
 * Factors columns c0..c0+w−1 (w ≤ 8) of `at` (A column-major: column j at j·ld, m rows),
 * writes the reflectors as rows of `vt` (unit diagonal, explicit zeros before it) and the
 * leaf's T block at t[tOff + p·ldt + q].
 */
export function factorLeaf(
  at: Float64Array, vt: Float64Array, m: number, ld: number, c0: number, w: number,
  t: Float64Array, tOff: number, ldt: number,
): void {
  const { alloc, leafPass } = inner();
  const d = alloc(LEAF_WIDTH);                // dots of the current x with each column
  const g = alloc(LEAF_WIDTH);                // update coefficients of the current step
  const scale = new Float64Array(LEAF_WIDTH); // tail of column c = v_c·scale[c]
  const o = c0 * ld;
  initialDots(at, o, ld, m, c0, d);
  for (let q = 0; q < w; q++) {
    const j = c0 + q;
    const cj = j * ld;
    // 1. Reflector for column j from alpha and the tail norm (LAPACK dlarfg).
    const alpha = at[cj + j];
    const ss = d[q];
    const xnorm = ss >= TINY && ss <= HUGE ? Math.sqrt(ss) : norm2(at, cj + j + 1, 1, m - j - 1);
    let tau = 0;
    scale[q] = 1;
    if (xnorm > 0) {
      const beta = (alpha >= 0 ? -1 : 1) * hypot2(Math.abs(alpha), xnorm);
      tau = (beta - alpha) / beta;
      let sc = alpha - beta;
      if (Math.abs(sc) < SAFE_SCALE) {        // 1/sc would overflow: scale the tail now
        for (let i = j + 1; i < m; i++) at[cj + i] /= sc;
        for (let c = 0; c < LEAF_WIDTH; c++) d[c] /= sc;
        sc = 1;
      }
      scale[q] = sc;
      at[cj + j] = beta;
    }
    // 2. s_c = v_jᵀ·(column c) from row j and the tail dots; earlier columns give T.
    const sq = scale[q];
    t[tOff + q * ldt + q] = tau;
    for (let c = 0; c < LEAF_WIDTH; c++) {
      const s = at[o + c * ld + j] + d[c] / sq;
      g[c] = c > q && c < w ? tau * s : 0;
      if (c < q) d[c] = s / scale[c];         // V(:, c)ᵀ·v_j, reusing d as scratch
    }
    for (let p = 0; p < q; p++) {             // T(p, q) = −τ·Σ_{r ≥ p} T(p, r)·(V_rᵀ v_j)
      let acc = 0;
      for (let r = p; r < q; r++) acc += t[tOff + p * ldt + r] * d[r];
      t[tOff + p * ldt + q] = -tau * acc;
    }
    // 3. Apply H_j to the later leaf columns, and collect the next step's dots.
    if (q + 1 < w) leafPass(at, o, ld, m, j, q, g, sq, d);
  }
  for (let q = 0; q < w; q++) {                // unscaled tails → v, into vt
    const j = c0 + q;
    const cj = j * ld;
    const inv = 1 / scale[q];
    vt[cj + j] = 1;
    for (let i = j + 1; i < m; i++) {
      const v = at[cj + i] * inv;
      at[cj + i] = v;
      vt[cj + i] = v;
    }
  }
}

/** d_c = Σ_{i > c0} col_c(i)·col_0(i) for the eight columns at o, o + ld, …. */
function initialDots(
  at: Float64Array, o: number, ld: number, m: number, c0: number, d: Float64Array,
): void {
  const o1 = o + ld, o2 = o1 + ld, o3 = o2 + ld, o4 = o3 + ld, o5 = o4 + ld, o6 = o5 + ld;
  const o7 = o6 + ld;
  let d0 = 0, d1 = 0, d2 = 0, d3 = 0, d4 = 0, d5 = 0, d6 = 0, d7 = 0;
  for (let i = c0 + 1; i < m; i++) {
    const x = at[o + i];
    d0 += x * x; d1 += at[o1 + i] * x; d2 += at[o2 + i] * x; d3 += at[o3 + i] * x;
    d4 += at[o4 + i] * x; d5 += at[o5 + i] * x; d6 += at[o6 + i] * x; d7 += at[o7 + i] * x;
  }
  d[0] = d0; d[1] = d1; d[2] = d2; d[3] = d3; d[4] = d4; d[5] = d5; d[6] = d6; d[7] = d7;
}

/**
 * Column c ← column c − g_c·v_j for the eight columns at o + c·ld (rows ≥ j; v_j(j) = 1 and
 * v_j(i) = x(i)/sq below), then d_c = Σ_{i > j+1} col_c(i)·col_{q+1}(i) on the new values.
 */
export function fusedPass(
  at: Float64Array, o: number, ld: number, m: number, j: number, q: number,
  g: Float64Array, sq: number, d: Float64Array,
): void {
  const xo = o + q * ld;                       // column j (unscaled tail x)
  const no = o + (q + 1) * ld;                 // column j + 1: the next x
  const o1 = o + ld, o2 = o1 + ld, o3 = o2 + ld, o4 = o3 + ld, o5 = o4 + ld, o6 = o5 + ld;
  const o7 = o6 + ld;
  const g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4], g5 = g[5], g6 = g[6], g7 = g[7];
  at[o + j] -= g0; at[o1 + j] -= g1; at[o2 + j] -= g2; at[o3 + j] -= g3;
  at[o4 + j] -= g4; at[o5 + j] -= g5; at[o6 + j] -= g6; at[o7 + j] -= g7;
  const h0 = g0 / sq, h1 = g1 / sq, h2 = g2 / sq, h3 = g3 / sq;
  const h4 = g4 / sq, h5 = g5 / sq, h6 = g6 / sq, h7 = g7 / sq;
  let i = j + 1;                               // row j + 1: update only (v_{j+1} = 1 there)
  if (i < m) {
    const x = at[xo + i];
    at[o + i] -= h0 * x; at[o1 + i] -= h1 * x; at[o2 + i] -= h2 * x; at[o3 + i] -= h3 * x;
    at[o4 + i] -= h4 * x; at[o5 + i] -= h5 * x; at[o6 + i] -= h6 * x; at[o7 + i] -= h7 * x;
  }
  let d0 = 0, d1 = 0, d2 = 0, d3 = 0, d4 = 0, d5 = 0, d6 = 0, d7 = 0;
  for (i = j + 2; i < m; i++) {
    const x = at[xo + i];
    const y0 = at[o + i] - h0 * x;
    const y1 = at[o1 + i] - h1 * x;
    const y2 = at[o2 + i] - h2 * x;
    const y3 = at[o3 + i] - h3 * x;
    const y4 = at[o4 + i] - h4 * x;
    const y5 = at[o5 + i] - h5 * x;
    const y6 = at[o6 + i] - h6 * x;
    const y7 = at[o7 + i] - h7 * x;
    at[o + i] = y0; at[o1 + i] = y1; at[o2 + i] = y2; at[o3 + i] = y3;
    at[o4 + i] = y4; at[o5 + i] = y5; at[o6 + i] = y6; at[o7 + i] = y7;
    const xn = at[no + i];
    d0 += y0 * xn; d1 += y1 * xn; d2 += y2 * xn; d3 += y3 * xn;
    d4 += y4 * xn; d5 += y5 * xn; d6 += y6 * xn; d7 += y7 * xn;
  }
  d[0] = d0; d[1] = d1; d[2] = d2; d[3] = d3; d[4] = d4; d[5] = d5; d[6] = d6; d[7] = d7;
}
