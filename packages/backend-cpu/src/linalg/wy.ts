/**
 * Compact WY blocks of Householder reflectors: H₁H₂⋯H_b = I − V·T·Vᵀ with V unit lower
 * trapezoidal and T upper triangular (Schreiber & Van Loan 1989; LAPACK dlarft/dlarfb).
 * Here V is stored transposed and row-major ("Vt", b × rows: reflector j is row j, so each
 * vector is contiguous), and the two large products go through the packed GEMM kernel.
 */
import { dot } from './householder.js';
import { inner } from './inner.js';

/** Where one WY block lives: Vt (nb × rows) at vOff with row stride ldv; T (nb × nb). */
export interface WyBlock {
  readonly vt: Float64Array;
  readonly vOff: number;
  readonly ldv: number;
  readonly t: Float64Array;
  readonly tOff: number;
  readonly ldt: number;
  readonly nb: number;
}

/**
 * W ← op(T)·W in place for upper triangular T (nb × nb) and W (nb × cols, row stride cols);
 * op(T) = Tᵀ when `trans`. Then negates W when `negate` (for X += V·(−T·W) through GEMM).
 */
export function triMulLeft(
  blk: WyBlock, w: Float64Array, cols: number, trans: boolean, negate: boolean,
): void {
  const { t, tOff, ldt, nb } = blk;
  const sign = negate ? -1 : 1;
  if (!trans) {
    for (let i = 0; i < nb; i++) {      // row i uses rows j ≥ i, not yet overwritten
      const wi = i * cols;
      const tii = sign * t[tOff + i * ldt + i];
      for (let c = 0; c < cols; c++) w[wi + c] *= tii;
      for (let j = i + 1; j < nb; j++) {
        const tij = sign * t[tOff + i * ldt + j];
        if (tij === 0) continue;
        const wj = j * cols;
        for (let c = 0; c < cols; c++) w[wi + c] += tij * w[wj + c];
      }
    }
    return;
  }
  for (let i = nb - 1; i >= 0; i--) {   // (Tᵀ)(i, j) = T(j, i), j ≤ i; rows j < i still intact
    const wi = i * cols;
    const tii = sign * t[tOff + i * ldt + i];
    for (let c = 0; c < cols; c++) w[wi + c] *= tii;
    for (let j = 0; j < i; j++) {
      const tji = sign * t[tOff + j * ldt + i];
      if (tji === 0) continue;
      const wj = j * cols;
      for (let c = 0; c < cols; c++) w[wi + c] += tji * w[wj + c];
    }
  }
}

/** How applyBlock applies a block: Hᵀ instead of H; X stored transposed (column-major). */
export interface ApplyOptions {
  /** Apply Hᵀ = I − V·Tᵀ·Vᵀ (factorization updates) instead of H = I − V·T·Vᵀ. */
  readonly trans: boolean;
  /** X is given as Xᵀ (cols × rows, row stride ldx), i.e. X is stored column-major. */
  readonly xt?: boolean;
}

/**
 * X ← H·X or Hᵀ·X (see ApplyOptions) for the rows × cols matrix X at xOff (row stride ldx,
 * or column stride when o.xt). Only the first `rowsIn` rows of X may be nonzero (the rest
 * are known zeros and are skipped in Vᵀ·X); all `rows` rows are written.
 */
export function applyBlock(
  blk: WyBlock, o: ApplyOptions,
  x: Float64Array, xOff: number, ldx: number, rows: number, cols: number, rowsIn = rows,
): void {
  const { vt, vOff, ldv, nb } = blk;
  if (nb <= 0 || cols <= 0 || rows <= 0 || rowsIn <= 0) return;
  const xt = o.xt === true;
  const { alloc, gemm } = inner();
  const w = alloc(nb * cols);                                  // W = Vᵀ·X
  gemm(nb, cols, rowsIn, vt, vOff, ldv, false, x, xOff, ldx, xt, w, 0, cols, false);
  finishBlock(blk, o.trans, w, cols, x, xOff, ldx, rows, xt);
}

/**
 * The rest of applyBlock once W = Vᵀ·X (nb × cols) is known: W ← −op(T)·W, then
 * X += V·W (or Xᵀ += Wᵀ·Vᵀ when `xt`).
 */
export function finishBlock(
  blk: WyBlock, trans: boolean, w: Float64Array, cols: number,
  x: Float64Array, xOff: number, ldx: number, rows: number, xt = false,
): void {
  const { vt, vOff, ldv, nb } = blk;
  const { gemm } = inner();
  triMulLeft(blk, w, cols, trans, true);
  if (xt) {
    gemm(cols, rows, nb, w, 0, cols, true, vt, vOff, ldv, false, x, xOff, ldx, true);
  } else {
    gemm(rows, cols, nb, vt, vOff, ldv, true, w, 0, cols, false, x, xOff, ldx, true);
  }
}

/**
 * Fills the off-diagonal block of T for two adjacent reflector groups (dgeqrt3's merge):
 * T₁₂ = −T₁·(V₁ᵀV₂)·T₂, where group 1 is reflectors [j0, j0+n1) and group 2 is [j0+n1, j0+w)
 * of `blk` (local indices), and V₂ is zero in rows above its first reflector.
 */
export function mergeT(blk: WyBlock, j0: number, n1: number, n2: number, rows: number): void {
  const { vt, vOff, ldv, t, tOff, ldt } = blk;
  const { alloc, gemm } = inner();
  const s = alloc(n1 * n2);
  const r0 = j0 + n1;                          // first row where V₂ is nonzero
  const v1 = vOff + j0 * ldv + r0;
  const v2 = vOff + r0 * ldv + r0;
  gemm(n1, n2, rows - r0, vt, v1, ldv, false, vt, v2, ldv, true, s, 0, n2, false);
  // S ← −T₁·S (T₁ upper triangular, rows j0..j0+n1 of T), then T₁₂ = S·T₂.
  const t1: WyBlock = { ...blk, tOff: tOff + j0 * ldt + j0, nb: n1 };
  triMulLeft(t1, s, n2, false, true);
  const t2 = tOff + r0 * ldt + r0;
  for (let i = 0; i < n1; i++) {
    const out = tOff + (j0 + i) * ldt + r0;
    for (let j = n2 - 1; j >= 0; j--) {        // (S·T₂)(i, j) = Σ_{p ≤ j} S(i, p)·T₂(p, j)
      let acc = 0;
      for (let p = 0; p <= j; p++) acc += s[i * n2 + p] * t[t2 + p * ldt + j];
      t[out + j] = acc;
    }
  }
}

/**
 * The upper triangular T of each nb-wide block of k reflectors held as explicit rows of vt
 * (row stride ld, m columns; reflector j is zero before column j and 1 at j), by LAPACK
 * dlarft's forward recurrence T(0:q, q) = −τ_q·T(0:q, 0:q)·(V(:, 0:q)ᵀ·v_q). Block b's T is
 * at rows b·nb.. of the result, row stride nb (the layout qr-factor.ts uses).
 */
export function reflectorT(
  vt: Float64Array, ld: number, m: number, k: number, tau: Float64Array, nb: number,
): Float64Array {
  const t = inner().alloc(k * nb);
  const z = new Float64Array(nb);
  for (let jb = 0; jb < k; jb += nb) {
    const w = Math.min(nb, k - jb);
    for (let q = 0; q < w; q++) {
      const j = jb + q;
      t[j * nb + q] = tau[j];
      for (let p = 0; p < q; p++) z[p] = dot(vt, (jb + p) * ld + j, vt, j * ld + j, m - j);
      for (let p = 0; p < q; p++) {
        let acc = 0;
        for (let r = p; r < q; r++) acc += t[(jb + p) * nb + r] * z[r];
        t[(jb + p) * nb + q] = -tau[j] * acc;
      }
    }
  }
  return t;
}
