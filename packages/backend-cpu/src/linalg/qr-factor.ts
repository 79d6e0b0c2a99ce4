/**
 * Blocked Householder QR factorization A = Q·R of a row-major m×n Float64Array.
 * Columns go in blocks of NB; each block is factored recursively (Elmroth & Gustavson 2000,
 * LAPACK dgeqrt3): factor the left half, update the right half with the left half's compact
 * WY form (GEMM), factor the right half, merge the two T factors. Leaves of ≤ LEAF columns
 * use plain reflectors. The trailing columns after each block get one WY update (dgeqrf).
 * The work copy is column-major (Aᵀ row-major), so every reflector operation in a leaf is a
 * contiguous dot product or axpy.
 */
import { factorLeaf, LEAF_WIDTH } from './qr-leaf.js';
import { applyBlock, mergeT, type WyBlock } from './wy.js';

/** Columns per top-level block (one T per block). */
export const QR_BLOCK = 32;
const NB = QR_BLOCK;
/** Recursion leaves: this many columns or fewer are factored with plain reflectors. */
const LEAF = LEAF_WIDTH;

/**
 * The factored form. `at` is Aᵀ/rScale overwritten (n × m, plus LEAF rows of padding):
 * R(i, j) = rScale·at[j·m + i] for i ≤ j.
 * `vt` holds the reflectors as rows (k × m, reflector j zero before column j, 1 at j).
 * `t` holds one NB-wide upper triangular T per block (block b in rows b·NB.., row stride NB).
 */
export interface QrFactors {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly at: Float64Array;
  /** Power of two the input was divided by to keep its entries in a safe range. */
  readonly rScale: number;
  readonly vt: Float64Array;
  readonly t: Float64Array;
}

/** The WY block for reflectors [jb, jb + nb) of `f`. */
function blockAt(f: QrFactors, jb: number, nb: number): WyBlock {
  return { vt: f.vt, vOff: jb * f.m + jb, ldv: f.m, t: f.t, tOff: jb * NB, ldt: NB, nb };
}

/**
 * Factors the row-major m×n `a` (not modified); see QrFactors. Never fails: zero or dependent
 * columns give τ = 0 or a zero R diagonal, and Q stays exactly a product of reflectors.
 */
export function qrFactor(a: Float64Array, m: number, n: number): QrFactors {
  const k = Math.min(m, n);
  const at = new Float64Array((n + LEAF) * m);
  const big = transposeInto(a, m, n, at);
  const rScale = safeScale(big);
  if (rScale !== 1) for (let p = 0; p < n * m; p++) at[p] /= rScale;
  const f: QrFactors = {
    m, n, k, at, rScale, vt: new Float64Array(k * m), t: new Float64Array(k * NB),
  };
  for (let jb = 0; jb < k; jb += NB) {
    const nb = Math.min(NB, k - jb);
    const blk = blockAt(f, jb, nb);
    factorPanel(f, blk, jb, 0, nb);
    const rest = n - jb - nb;
    if (rest > 0) applyBlock(blk, { trans: true, xt: true }, at, (jb + nb) * m + jb, m, m - jb, rest);
  }
  return f;
}

/**
 * at[j·m + i] = a[i·n + j] (aᵀ of the row-major m×n a) and returns max |a|.
 * Four rows at a time: V8 loops pay per iteration, so unrolling halves the copy time.
 */
function transposeInto(a: Float64Array, m: number, n: number, at: Float64Array): number {
  let big = 0;
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    for (let j = 0, p = i * n; j < n; j++, p++) {
      const x0 = a[p], x1 = a[p + n], x2 = a[p + 2 * n], x3 = a[p + 3 * n];
      const o = j * m + i;
      at[o] = x0; at[o + 1] = x1; at[o + 2] = x2; at[o + 3] = x3;
      big = Math.max(big, Math.abs(x0), Math.abs(x1), Math.abs(x2), Math.abs(x3));
    }
  }
  for (; i < m; i++) {
    for (let j = 0, p = i * n; j < n; j++, p++) {
      at[j * m + i] = a[p];
      big = Math.max(big, Math.abs(a[p]));
    }
  }
  return big;
}

/**
 * A power of two that brings a largest magnitude `big` into [2⁻³⁰⁰, 2³⁰⁰] (1 if it already
 * is, or is 0 or not finite), so that sums of squares and dot products cannot overflow.
 */
export function safeScale(big: number): number {
  if (!(big > 0) || !Number.isFinite(big)) return 1;
  const e = Math.floor(Math.log2(big));
  return e > 300 || e < -300 ? 2 ** e : 1;
}

/** R (k×n, row-major, upper triangular) from the factored form. */
export function extractR(f: QrFactors): Float64Array {
  const { m, n, k, at } = f;
  const r = new Float64Array(k * n);
  for (let j = 0; j < n; j++) {
    const top = Math.min(j + 1, k);
    for (let i = 0; i < top; i++) r[i * n + j] = f.rScale * at[j * m + i];
  }
  return r;
}

/**
 * Factors columns [jb + j0, jb + j0 + w) (rows from jb + j0 on) and fills the matching
 * diagonal block of T; j0 is local to the block that starts at column jb.
 */
function factorPanel(f: QrFactors, blk: WyBlock, jb: number, j0: number, w: number): void {
  if (w <= LEAF) {
    factorLeaf(f.at, f.vt, f.m, jb + j0, w, f.t, blk.tOff + j0 * NB + j0, NB);
    return;
  }
  const n1 = w >> 1;
  const n2 = w - n1;
  const { m, at } = f;
  factorPanel(f, blk, jb, j0, n1);
  // Right half ← H₁ᵀ·(right half), with the left half's WY form.
  const left: WyBlock = {
    ...blk, vOff: blk.vOff + j0 * blk.ldv + j0, tOff: blk.tOff + j0 * NB + j0, nb: n1,
  };
  const c0 = jb + j0;
  applyBlock(left, { trans: true, xt: true }, at, (c0 + n1) * m + c0, m, m - c0, n2);
  factorPanel(f, blk, jb, j0 + n1, n2);
  mergeT(blk, j0, n1, n2, m - jb);
}

/**
 * X ← Q·X for the m × cols row-major X (Q = H₀H₁⋯H_{k−1} from `f`), applying the blocks last
 * to first. Rows ≥ nzRows of X must be zero on entry (e.g. X = [I; 0] or [U; 0]). With
 * `identity` (X = [I_k; 0] on entry, cols = k), block b only touches columns ≥ its first
 * reflector: the columns before it are still unit vectors that it leaves alone (dorgqr).
 */
export function applyQ(
  f: QrFactors, x: Float64Array, cols: number, nzRows = f.m, identity = false,
): void {
  const { m, k } = f;
  let nz = nzRows;
  const last = Math.floor((k - 1) / NB) * NB;
  for (let jb = last; jb >= 0; jb -= NB) {
    const nb = Math.min(NB, k - jb);
    const rowsIn = Math.min(nz, m) - jb;
    if (rowsIn <= 0) continue;                    // X is zero where this block acts
    const c0 = identity ? jb : 0;
    applyBlock(blockAt(f, jb, nb), { trans: false }, x, jb * cols + c0, cols, m - jb, cols - c0,
      rowsIn);
    nz = m;
  }
}
