// GEMM C = op(A)·op(B) (+ C) in WebAssembly SIMD, generic over f32 and f64.
//
// GotoBLAS blocking as in backend-cpu's gemm.ts, with a SIMD register tile: MR = 4 rows of C
// by two v128 per row (8 f32 or 4 f64 columns), 8 accumulators. A 5-row tile would fit x64's
// 16 xmm registers on paper, but V8 keeps one as scratch and hoists the A loads, so it spills
// two accumulators, and their store-to-load round trip every step halved the speed (measured
// 22 against 45 GFLOP/s f32 on this machine). op(B) is packed into panels; A is read in place
// through strides, transposed or not (copying it never paid in the bench shapes). Addresses
// are byte offsets into the shared memory.

import { Geometry, packImages, packPatches, packPatchesT } from './conv';
import { transpose4, vmadd } from './simd';

/** Rows of C per register tile. */
export const MR: i32 = 4;
/** Depth of a packed k slice. */
const KC: i32 = 256;
/** Rows of C per block: the A rows one sweep of a B panel reads stay in L2. */
const MC: i32 = 128;
/** Columns of op(B) per packed block (a multiple of 8). */
const NC: i32 = 1024;

/** Columns of C per register tile: two v128 of T. */
// @ts-ignore: decorator
@inline function nr<T>(): i32 {
  return 32 / sizeof<T>();
}

/** Bytes of the spill tile (MR rows of 32 bytes); its row offsets follow it. */
const SPILL_BYTES: usize = MR * 32;

/**
 * Bytes of scratch one thread needs for `gemm`: a packed B block, an edge A panel, the spill
 * tile and its row offsets, the row offsets of a block of C, and packPatches' offsets.
 */
export function gemmScratchBytes(): i32 {
  return (KC * NC + MR * KC) * 8 + <i32>SPILL_BYTES + MR * 4 + MC * 4 + KC * 4;
}

/**
 * `tiles` register tiles down a column panel: for t < tiles, C[t·MR.., 0..nr] (+)= Σ_p
 * A(t·MR + r, p)·B(p, ·) over kc, with A(i, p) at a + i·ars + p·aps, B(p, 0..nr) at
 * b + p·bps and row i of C at c + rows[i] (an i32 byte offset per row, see rowOffsets);
 * `overwrite` stores the sums instead of adding them. One loop with no branch, so V8 keeps
 * the 8 accumulators in registers (a 5-row tile spills two of them, and the spill's
 * store-to-load round trip halves the speed).
 */
function tiles<T>(tiles: i32, kc: i32, a: usize, ars: usize, aps: usize, b: usize, bps: usize,
  c: usize, rows: usize, overwrite: bool): void {
  for (let t = 0; t < tiles; t++) {
    let a0 = a, a1 = a + ars, a2 = a + 2 * ars, a3 = a + 3 * ars, pb = b;
    let c00 = i64x2.splat(0), c01 = i64x2.splat(0), c10 = i64x2.splat(0), c11 = i64x2.splat(0);
    let c20 = i64x2.splat(0), c21 = i64x2.splat(0), c30 = i64x2.splat(0), c31 = i64x2.splat(0);
    for (let p = 0; p < kc; p++) {
      const b0 = v128.load(pb), b1 = v128.load(pb, 16);
      let x = v128.load_splat<T>(a0);
      c00 = vmadd<T>(c00, x, b0); c01 = vmadd<T>(c01, x, b1);
      x = v128.load_splat<T>(a1);
      c10 = vmadd<T>(c10, x, b0); c11 = vmadd<T>(c11, x, b1);
      x = v128.load_splat<T>(a2);
      c20 = vmadd<T>(c20, x, b0); c21 = vmadd<T>(c21, x, b1);
      x = v128.load_splat<T>(a3);
      c30 = vmadd<T>(c30, x, b0); c31 = vmadd<T>(c31, x, b1);
      a0 += aps; a1 += aps; a2 += aps; a3 += aps;
      pb += bps;
    }
    const r0 = c + <usize>load<i32>(rows), r1 = c + <usize>load<i32>(rows, 4);
    const r2 = c + <usize>load<i32>(rows, 8), r3 = c + <usize>load<i32>(rows, 12);
    if (overwrite) {
      v128.store(r0, c00); v128.store(r0, c01, 16);
      v128.store(r1, c10); v128.store(r1, c11, 16);
      v128.store(r2, c20); v128.store(r2, c21, 16);
      v128.store(r3, c30); v128.store(r3, c31, 16);
    } else {
      // Row by row: in a patch-layout C (col2im), the four rows' ranges may overlap.
      addTo<T>(r0, c00, c01); addTo<T>(r1, c10, c11);
      addTo<T>(r2, c20, c21); addTo<T>(r3, c30, c31);
    }
    a += <usize>MR * ars;
    rows += <usize>MR * 4;
  }
}

/** Packs `mr` < MR rows of A (kc deep) into `edge` as [p][MR], zero rows past mr. */
function packEdge<T>(kc: i32, a: usize, ars: usize, aps: usize, mr: i32, edge: usize): void {
  const e = <usize>sizeof<T>();
  for (let p = 0; p < kc; p++) {
    for (let r = 0; r < MR; r++) {
      const v: T = r < mr ? load<T>(a + <usize>r * ars + <usize>p * aps) : <T>0;
      store<T>(edge + <usize>(p * MR + r) * e, v);
    }
  }
}

/**
 * One edge tile: MR rows of A at a (strides ars, aps; packEdge's panel for a ragged last
 * row block) by nrv ≤ nr columns of B (zero-padded past nrv), computed into `spill`, of which
 * the first mr rows (row i of C at c + rows[i]) and nrv columns are added to C.
 */
function edgeTile<T>(kc: i32, a: usize, ars: usize, aps: usize, b: usize, bps: usize, c: usize,
  rows: usize, mr: i32, nrv: i32, spill: usize, overwrite: bool): void {
  const e = <usize>sizeof<T>();
  tiles<T>(1, kc, a, ars, aps, b, bps, spill, spill + SPILL_BYTES, true);
  for (let r = 0; r < mr; r++) {
    const cr = c + <usize>load<i32>(rows + <usize>r * 4), sr = spill + <usize>(r * 32);
    for (let j = 0; j < nrv; j++) {
      const o = <usize>j * e;
      store<T>(cr + o, overwrite ? load<T>(sr + o) : load<T>(cr + o) + load<T>(sr + o));
    }
  }
}

// @ts-ignore: decorator
@inline function addTo<T>(c: usize, x: v128, y: v128): void {
  v128.store(c, v128.add<T>(v128.load(c), x));
  v128.store(c, v128.add<T>(v128.load(c, 16), y), 16);
}

/**
 * Packs op(B)[pc.., jc..] (kc × ncols) into panels of nr<T>() columns, [panel][p][column],
 * zero-padded on the right. op(B)(p, j) = b[p·ldb + j], or b[j·ldb + p] when transB.
 */
function packB<T>(b: usize, ldb: i32, transB: bool, pc: i32, jc: i32, kc: i32, ncols: i32,
  out: usize): void {
  const w = nr<T>(), e = <usize>sizeof<T>();
  for (let jr = 0; jr < ncols; jr += w) {
    const cols = min(w, ncols - jr);
    const panel = out + <usize>(jr * kc) * e;
    let p = 0;
    if (transB && cols == w && sizeof<T>() == 4) {
      // f32, transposed, full panel: 4×4 blocks of B's rows transposed in registers.
      const row = <usize>ldb * e, r0 = b + (<usize>(jc + jr) * <usize>ldb + <usize>pc) * e;
      for (; p + 4 <= kc; p += 4) {
        const src = r0 + <usize>p * e, dst = panel + <usize>(p * w) * e;
        transpose4(src, row, dst, 32);
        transpose4(src + 4 * row, row, dst + 16, 32);
      }
    }
    for (; p < kc; p++) {
      const dst = panel + <usize>(p * w) * e;
      if (!transB) {
        const src = b + (<usize>(pc + p) * <usize>ldb + <usize>(jc + jr)) * e;
        if (cols == w) {
          v128.store(dst, v128.load(src));
          v128.store(dst, v128.load(src, 16), 16);
          continue;
        }
        for (let j = 0; j < cols; j++) store<T>(dst + <usize>j * e, load<T>(src + <usize>j * e));
      } else {
        const src = b + (<usize>(jc + jr) * <usize>ldb + <usize>(pc + p)) * e;
        for (let j = 0; j < cols; j++) {
          store<T>(dst + <usize>j * e, load<T>(src + <usize>j * <usize>ldb * e));
        }
      }
      for (let j = cols; j < w; j++) store<T>(dst + <usize>j * e, <T>0);
    }
  }
}

/** Where op(B) comes from: a matrix (ldb, transB) or a convolution's images (conv.ts). */
export const enum BFrom {
  Matrix = 0,
  /** The patch matrix P of the images at b. */
  Patches = 1,
  /** Pᵀ. */
  PatchesT = 2,
  /** NCHW images read as channel rows: op(B)(p, j) = b[j / hw][p][j % hw]. */
  Images = 3,
}

/** Where C goes: a matrix (ldc) or a convolution's images. */
export const enum CTo {
  Matrix = 0,
  /** NCHW images: C(i, j) is channel i of image j / hw, position j % hw. */
  Images = 1,
  /** col2im: C(r, j) is added onto the image entry that patch row r reads at position j. */
  Patches = 2,
}

/**
 * Byte offsets of rows ic..ic+mc of C into `rows` (i32s), for the layouts of CTo: C's row
 * i at c + rows[i − ic] + the column offset of columnOffset.
 */
function rowOffsets(to: CTo, ic: i32, mc: i32, ldc: i32, g: usize, e: i32, rows: usize): void {
  if (to == CTo.Matrix) {
    for (let r = 0; r < mc; r++) store<i32>(rows + <usize>r * 4, (ic + r) * ldc * e);
    return;
  }
  const G = changetype<Geometry>(g);
  if (to == CTo.Images) {
    const hw = G.ho * G.wo;
    for (let r = 0; r < mc; r++) store<i32>(rows + <usize>r * 4, (ic + r) * hw * e);
    return;
  }
  // Patch row (ch·kh + i)·kw + j reads x[ch, y·sh + i·dh, x + j·dw] (no padding, sw = 1).
  const kh = G.kh, kw = G.kw, h = G.h, wd = G.w;
  let ch = ic / (kh * kw), t = ic - ch * kh * kw, i = t / kw, j = t - i * kw;
  for (let r = 0; r < mc; r++) {
    store<i32>(rows + <usize>r * 4, ((ch * h + i * G.dh) * wd + j * G.dw) * e);
    if (++j == kw) {
      j = 0;
      if (++i == kh) { i = 0; ch++; }
    }
  }
}

/** Byte offset of column `col` of C for the layouts of CTo (m: C's rows). */
// @ts-ignore: decorator
@inline function columnOffset(to: CTo, col: i32, m: i32, g: usize, e: i32): usize {
  if (to == CTo.Matrix) return <usize>(col * e);
  const G = changetype<Geometry>(g);
  const hw = G.ho * G.wo, b = col / hw, pos = col - b * hw;
  if (to == CTo.Images) return <usize>b * <usize>(m * hw * e) + <usize>(pos * e);
  const y = pos / G.wo, x = pos - y * G.wo;
  return <usize>b * <usize>(G.c * G.h * G.w * e) + <usize>((y * G.sh * G.w + x) * e);
}

/**
 * C = op(A)·op(B) (+ C when `accumulate`), row-major with leading dimensions lda, ldb, ldc;
 * a, b, c and `scratch` (gemmScratchBytes() bytes) are byte addresses. op(B) is packed in
 * panels of nr<T>() columns (in-place reads of B with a large ldb thrash the cache); A is read
 * in place, transposed or not (measured: copying it never paid). With a conv geometry block
 * `g` (conv.ts), op(B) may be packed straight from the images and C stored or added into
 * them (BFrom, CTo): the convolutions' GEMMs without im2col, col2im or layout swaps. The
 * host checks what the image layouts need: Ho·Wo a multiple of nr<T>() (a column panel
 * inside one image), and for CTo.Patches also Wo a multiple of nr<T>(), sw = 1 and no
 * padding (a panel inside one output row, every patch entry inside the image).
 */
function gemm<T>(m: i32, n: i32, k: i32, a: usize, lda: i32, transA: bool, b: usize, ldb: i32,
  transB: bool, c: usize, ldc: i32, accumulate: bool, scratch: usize,
  g: usize = 0, from: BFrom = BFrom.Matrix, to: CTo = CTo.Matrix): void {
  const e = <usize>sizeof<T>(), w = nr<T>();
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate && to == CTo.Matrix) {
      for (let i = 0; i < m; i++) memory.fill(c + <usize>i * <usize>ldc * e, 0, <usize>n * e);
    }
    return;
  }
  const wb = scratch, edge = wb + <usize>(KC * NC) * e, spill = edge + <usize>(MR * KC) * e;
  const spillRows = spill + SPILL_BYTES, rows = spillRows + <usize>MR * 4;
  const patchOffsets = rows + <usize>MC * 4;
  for (let r = 0; r < MR; r++) store<i32>(spillRows + <usize>r * 4, r * 32);
  // Even k slices: 300 = 150 + 150 rather than 256 + 44 (a thin slice wastes the kernel).
  const kcEven = (k + ((k + KC - 1) / KC) - 1) / ((k + KC - 1) / KC);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += kcEven) {
      const kc = min(kcEven, k - pc);
      // The first k slice stores C unless accumulating, so C is never zero-filled first;
      // col2im always adds.
      const overwrite = pc == 0 && !accumulate && to != CTo.Patches;
      if (from == BFrom.Matrix) packB<T>(b, ldb, transB, pc, jc, kc, nc, wb);
      else if (from == BFrom.Patches) packPatches<T>(b, g, pc, jc, kc, nc, w, wb, patchOffsets);
      else if (from == BFrom.PatchesT) packPatchesT<T>(b, g, pc, jc, kc, nc, w, wb);
      else packImages<T>(b, g, k, pc, jc, kc, nc, w, wb);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        let ap: usize, ars: usize, aps: usize;
        if (transA) {
          ap = a + (<usize>pc * <usize>lda + <usize>ic) * e; ars = e; aps = <usize>lda * e;
        } else {
          ap = a + (<usize>ic * <usize>lda + <usize>pc) * e; ars = <usize>lda * e; aps = e;
        }
        const fullRows = mc / MR, rest = mc - fullRows * MR;
        rowOffsets(to, ic, mc, ldc, g, <i32>e, rows);
        const edgeRows = rows + <usize>(fullRows * MR) * 4;
        // The ragged last rows are packed once per block, not once per column panel.
        if (rest > 0) packEdge<T>(kc, ap + <usize>(fullRows * MR) * ars, ars, aps, rest, edge);
        for (let jr = 0; jr < nc; jr += w) {
          const nrv = min(w, nc - jr);
          const bp = wb + <usize>(jr * kc) * e, bps = <usize>w * e;
          const cp = c + columnOffset(to, jc + jr, m, g, <i32>e);
          if (nrv == w) {
            tiles<T>(fullRows, kc, ap, ars, aps, bp, bps, cp, rows, overwrite);
          } else {
            // A ragged last column panel: every row tile goes through the spill tile.
            for (let t = 0; t < fullRows; t++) {
              edgeTile<T>(kc, ap + <usize>(t * MR) * ars, ars, aps, bp, bps, cp,
                rows + <usize>(t * MR) * 4, MR, nrv, spill, overwrite);
            }
          }
          if (rest > 0) {
            edgeTile<T>(kc, edge, e, <usize>MR * e, bp, bps, cp, edgeRows, rest, nrv, spill,
              overwrite);
          }
        }
      }
    }
  }
}

export function gemmF32(m: i32, n: i32, k: i32, a: usize, lda: i32, transA: bool, b: usize,
  ldb: i32, transB: bool, c: usize, ldc: i32, accumulate: bool,
  scratch: usize): void {
  gemm<f32>(m, n, k, a, lda, transA, b, ldb, transB, c, ldc, accumulate, scratch);
}

export function gemmF64(m: i32, n: i32, k: i32, a: usize, lda: i32, transA: bool, b: usize,
  ldb: i32, transB: bool, c: usize, ldc: i32, accumulate: bool,
  scratch: usize): void {
  gemm<f64>(m, n, k, a, lda, transA, b, ldb, transB, c, ldc, accumulate, scratch);
}

/**
 * C = op(A)·op(B) (+ C) with op(B) from the images at b and C to c as `from` and `to` say,
 * for the conv geometry at g (conv.ts); ldc is C's leading dimension for CTo.Matrix.
 */
export function convGemmF32(m: i32, n: i32, k: i32, a: usize, lda: i32, transA: bool,
  b: usize, g: usize, from: BFrom, c: usize, ldc: i32, to: CTo, accumulate: bool,
  scratch: usize): void {
  gemm<f32>(m, n, k, a, lda, transA, b, 0, false, c, ldc, accumulate, scratch, g, from, to);
}

export function convGemmF64(m: i32, n: i32, k: i32, a: usize, lda: i32, transA: bool,
  b: usize, g: usize, from: BFrom, c: usize, ldc: i32, to: CTo, accumulate: bool,
  scratch: usize): void {
  gemm<f64>(m, n, k, a, lda, transA, b, 0, false, c, ldc, accumulate, scratch, g, from, to);
}

/**
 * The register tile alone, for measuring its ceiling: `reps` sweeps of `count` register tiles
 * (count·MR rows of A at a, row-major and kc deep, by one packed B panel of nr<T>() columns at
 * b), storing C through the row offsets at rows. Nothing is packed and the operands stay in
 * L1, so its rate is the most `gemm` can reach on the core: the host's `tileCeiling`.
 */
function tileCeiling<T>(reps: i32, count: i32, kc: i32, a: usize, b: usize, c: usize,
  rows: usize): void {
  const e = <usize>sizeof<T>();
  for (let r = 0; r < reps; r++) {
    tiles<T>(count, kc, a, <usize>kc * e, e, b, 32, c, rows, true);
  }
}

export function tileCeilingF32(reps: i32, count: i32, kc: i32, a: usize, b: usize, c: usize,
  rows: usize): void {
  tileCeiling<f32>(reps, count, kc, a, b, c, rows);
}

export function tileCeilingF64(reps: i32, count: i32, kc: i32, a: usize, b: usize, c: usize,
  rows: usize): void {
  tileCeiling<f64>(reps, count, kc, a, b, c, rows);
}
