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
import { inner } from './inner.js';
import { applyBlock, finishBlock, mergeT, type WyBlock } from './wy.js';

/** Columns per top-level block (one T per block). */
export const QR_BLOCK = 32;
const NB = QR_BLOCK;
/** Recursion leaves: this many columns or fewer are factored with plain reflectors. */
const LEAF = LEAF_WIDTH;

/**
 * The factored form. `at` is Aᵀ/rScale overwritten (n rows of stride ld ≥ m, plus LEAF rows
 * of padding): R(i, j) = rScale·at[j·ld + i] for i ≤ j. `vt` holds the reflectors as rows
 * (k rows of stride ld; reflector j is zero before column j and 1 at j).
 * `t` holds one NB-wide upper triangular T per block (block b in rows b·NB.., row stride NB).
 */
export interface QrFactors {
  /** Rows of A. */
  readonly m: number;
  /** Columns of A. */
  readonly n: number;
  /** Row stride of `at` and `vt`. */
  readonly ld: number;
  /** Number of reflectors, min(m, n). */
  readonly k: number;
  /** Aᵀ/rScale overwritten, n + LEAF rows of stride `ld`: R sits on and above its diagonal. */
  readonly at: Float64Array;
  /** Power of two the input was divided by to keep its entries in a safe range. */
  readonly rScale: number;
  /** The Householder vectors as `k` rows of stride `ld`: row j is 0 before column j, 1 at j. */
  readonly vt: Float64Array;
  /** One NB×NB upper triangular T per block of NB reflectors, row stride NB. */
  readonly t: Float64Array;
}

/** Factorization updates apply Hᵀ to the column-major work copy. */
const UPDATE = { trans: true, xt: true } as const;

/** Reflectors as explicit rows plus their block T factors: all that applyQ and formQ read. */
export type Reflectors = Pick<QrFactors, 'm' | 'k' | 'ld' | 'vt' | 't'>;

/** The WY block for reflectors [jb, jb + nb) of `f`. */
function blockAt(f: Reflectors, jb: number, nb: number): WyBlock {
  return { vt: f.vt, vOff: jb * f.ld + jb, ldv: f.ld, t: f.t, tOff: jb * NB, ldt: NB, nb };
}

/**
 * Factors the row-major m×n `a` (not modified); see QrFactors. Never fails: zero or dependent
 * columns give τ = 0 or a zero R diagonal, and Q stays exactly a product of reflectors.
 */
export function qrFactor(a: Float64Array, m: number, n: number): QrFactors {
  const k = Math.min(m, n);
  const ld = paddedStride(m);
  const { alloc } = inner();
  const at = alloc((n + LEAF) * ld);
  const big = transposeInto(a, m, n, at, ld);
  const rScale = safeScale(big);
  if (rScale !== 1) for (let p = 0; p < n * ld; p++) at[p] /= rScale;
  const f: QrFactors = {
    m, n, ld, k, at, rScale, vt: alloc(k * ld), t: alloc(k * NB),
  };
  for (let jb = 0; jb < k; jb += NB) {
    const nb = Math.min(NB, k - jb);
    const blk = blockAt(f, jb, nb);
    factorPanel(f, blk, jb, 0, nb);
    const rest = n - jb - nb;                     // trailing columns ← Hᵀ·(trailing columns)
    if (rest > 0) applyBlock(blk, UPDATE, at, (jb + nb) * ld + jb, ld, m - jb, rest);
  }
  return f;
}

/**
 * A row stride ≥ m for column-major work copies that is not a multiple of 512 doubles: the
 * leaf streams nine columns at once, and at a 4 KiB-multiple stride they would all map to
 * the same L1 sets (the usual leading-dimension padding; costs nothing when m is not).
 */
export function paddedStride(m: number): number {
  return m % 512 === 0 ? m + 8 : m;
}

/**
 * at[j·ld + i] = a[i·n + j] (aᵀ of the row-major m×n a) and returns max |a|.
 * Four rows at a time: V8 loops pay per iteration, so unrolling halves the copy time.
 */
function transposeInto(
  a: Float64Array, m: number, n: number, at: Float64Array, ld: number,
): number {
  let big = 0;
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    for (let j = 0, p = i * n; j < n; j++, p++) {
      const x0 = a[p], x1 = a[p + n], x2 = a[p + 2 * n], x3 = a[p + 3 * n];
      const o = j * ld + i;
      at[o] = x0; at[o + 1] = x1; at[o + 2] = x2; at[o + 3] = x3;
      big = Math.max(big, Math.abs(x0), Math.abs(x1), Math.abs(x2), Math.abs(x3));
    }
  }
  for (; i < m; i++) {
    for (let j = 0, p = i * n; j < n; j++, p++) {
      at[j * ld + i] = a[p];
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
  const { ld, n, k, at } = f;
  const r = inner().alloc(k * n);
  for (let j = 0; j < n; j++) {
    const top = Math.min(j + 1, k);
    for (let i = 0; i < top; i++) r[i * n + j] = f.rScale * at[j * ld + i];
  }
  return r;
}

/**
 * Factors columns [jb + j0, jb + j0 + w) (rows from jb + j0 on) and fills the matching
 * diagonal block of T; j0 is local to the block that starts at column jb.
 */
function factorPanel(f: QrFactors, blk: WyBlock, jb: number, j0: number, w: number): void {
  if (w <= LEAF) {
    factorLeaf(f.at, f.vt, f.m, f.ld, jb + j0, w, f.t, blk.tOff + j0 * NB + j0, NB);
    return;
  }
  const n1 = w >> 1;
  const n2 = w - n1;
  const { m, ld, at } = f;
  factorPanel(f, blk, jb, j0, n1);
  // Right half ← H₁ᵀ·(right half), with the left half's WY form.
  const left: WyBlock = {
    ...blk, vOff: blk.vOff + j0 * blk.ldv + j0, tOff: blk.tOff + j0 * NB + j0, nb: n1,
  };
  const c0 = jb + j0;
  applyBlock(left, UPDATE, at, (c0 + n1) * ld + c0, ld, m - c0, n2);
  factorPanel(f, blk, jb, j0 + n1, n2);
  mergeT(blk, j0, n1, n2, m - jb);
}

/**
 * X ← Q·X for the m × cols row-major X (Q = H₀H₁⋯H_{k−1} from `f`), applying the blocks last
 * to first. Rows ≥ nzRows of X must be zero on entry (e.g. X = [U; 0]).
 */
export function applyQ(f: Reflectors, x: Float64Array, cols: number, nzRows = f.m): void {
  const { m, k } = f;
  let nz = nzRows;
  for (let jb = Math.floor((k - 1) / NB) * NB; jb >= 0; jb -= NB) {
    const rowsIn = Math.min(nz, m) - jb;
    if (rowsIn <= 0) continue;                    // X is zero where this block acts
    const blk = blockAt(f, jb, Math.min(NB, k - jb));
    applyBlock(blk, { trans: false }, x, jb * cols, cols, m - jb, cols, rowsIn);
    nz = m;
  }
}

/**
 * The thin Q (m×k, row-major) = H₀⋯H_{k−1}·[I_k; 0], block by block from the last (LAPACK
 * dorgqr). Block b acts on rows and columns ≥ jb only: its own nb columns are still unit
 * vectors, so their part of Vᵀ·X is read off V, and the later columns are still zero in the
 * block's first nb rows, so their part is one GEMM over the rows below.
 */
export function formQ(f: Reflectors): Float64Array {
  const { m, k } = f;
  const { alloc, gemm } = inner();
  const q = alloc(m * k);
  for (let i = 0; i < k; i++) q[i * k + i] = 1;
  for (let jb = Math.floor((k - 1) / NB) * NB; jb >= 0; jb -= NB) {
    const nb = Math.min(NB, k - jb);
    const blk = blockAt(f, jb, nb);
    const { vt, vOff, ldv } = blk;
    const cols = k - jb;
    const rows = m - jb;
    const w = alloc(nb * cols);                     // W = Vᵀ·Q(jb:m, jb:k)
    for (let p = 0; p < nb; p++) {
      for (let c = 0; c < nb; c++) w[p * cols + c] = vt[vOff + p * ldv + c];
    }
    if (cols > nb && rows > nb) {
      const x0 = (jb + nb) * k + jb + nb;
      gemm(nb, cols - nb, rows - nb, vt, vOff + nb, ldv, false, q, x0, k, false,
        w, nb, cols, false);
    }
    finishBlock(blk, false, w, cols, q, jb * k + jb, k, rows);
  }
  return q;
}
