/**
 * Float64 GEMM kernel set: packing of op(A)/op(B) blocks and the 3×4 register-tiled
 * micro-kernel. gemm-f32.ts is the same code for Float32Array (with float64 packing buffers);
 * keep the two in sync (a copy per element type keeps every typed-array access monomorphic).
 *
 * Why it looks like this (V8 11 / Node 20, measured on the 2-core EPYC box):
 * - The packed buffers are fixed-size, module-local constants: TurboFan embeds them, so
 *   the kernel has no map check and no reload of base and length per iteration (≈1.5×).
 *   Exporting them (or the tile sizes) would put them in module Cells and lose that, so
 *   only local copies are used here. They never grow: the blocking bounds every panel.
 * - 3×4 accumulators fit the 16 xmm registers best; 4×4, 4×8 and 6×8 spilled and ran slower.
 * - TurboFan sinks every add of a loop body to its end, keeping all products live (spills).
 *   A never-taken `break` after each column pins that column's adds in place (≈15%).
 * - The k loop is unrolled by 4: 15–20% faster at every shape (2-core Xeon box, 2026-11-28).
 * - Once any ArrayBuffer in the process has been detached (a transfer, a WebAssembly.Memory
 *   that grew: tfjs-wasm does this), V8 drops the "never detached" assumption and checks every
 *   typed-array load; this kernel then runs ≈20% slower, in any code that shares the process.
 * - The micro-kernel is straight-line: a path that is cold when TurboFan compiles a hot
 *   function becomes a deopt that V8 11 may hit again on every call (gemm.ts warms up all
 *   paths at load for the same reason).
 */
import * as cfg from './gemm-config.js';

const MR = cfg.MR, NR = cfg.NR;
const AP = new Float64Array(cfg.MC * cfg.KC);
const BP = new Float64Array(cfg.KC * cfg.NC);
/** C tile for edge tiles: the micro-kernel always computes a full MR×NR tile. */
const EDGE = new Float64Array(MR * NR);

/**
 * Packs rows i0..i0+mc, columns p0..p0+kc of op(A) as ⌈mc/MR⌉ zero-padded panels of kc×MR
 * values (panel at ir·kc, element (i, p) at p·MR + i). op(A)(i, p) = a[off + i·lda + p], or
 * a[off + p·lda + i] when `trans`.
 */
export function packA64(
  a: Float64Array, off: number, lda: number, trans: boolean,
  i0: number, p0: number, mc: number, kc: number,
): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = Math.min(MR, mc - ir);
    let o = ir * kc;
    if (rows === MR && trans) {
      for (let p = 0, s = off + p0 * lda + i0 + ir; p < kc; p++, s += lda, o += MR) {
        AP[o] = a[s]; AP[o + 1] = a[s + 1]; AP[o + 2] = a[s + 2];
      }
    } else if (rows === MR) {
      const s0 = off + (i0 + ir) * lda + p0, s1 = s0 + lda, s2 = s1 + lda;
      for (let p = 0; p < kc; p++, o += MR) {
        AP[o] = a[s0 + p]; AP[o + 1] = a[s1 + p]; AP[o + 2] = a[s2 + p];
      }
    } else {
      const si = trans ? 1 : lda, sp = trans ? lda : 1;
      const s = trans ? off + p0 * lda + i0 + ir : off + (i0 + ir) * lda + p0;
      for (let p = 0; p < kc; p++, o += MR) {
        for (let r = 0; r < MR; r++) AP[o + r] = r < rows ? a[s + r * si + p * sp] : 0;
      }
    }
  }
}

/**
 * Packs rows p0..p0+kc, columns j0..j0+nc of op(B) as ⌈nc/NR⌉ zero-padded panels of kc×NR
 * values (panel at jr·kc, element (p, j) at p·NR + j). op(B)(p, j) = b[off + p·ldb + j], or
 * b[off + j·ldb + p] when `trans`.
 */
export function packB64(
  b: Float64Array, off: number, ldb: number, trans: boolean,
  p0: number, j0: number, kc: number, nc: number,
): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = Math.min(NR, nc - jr);
    let o = jr * kc;
    if (cols === NR && !trans) {
      for (let p = 0, s = off + p0 * ldb + j0 + jr; p < kc; p++, s += ldb, o += NR) {
        BP[o] = b[s]; BP[o + 1] = b[s + 1]; BP[o + 2] = b[s + 2]; BP[o + 3] = b[s + 3];
      }
    } else if (cols === NR) {
      const s0 = off + (j0 + jr) * ldb + p0, s1 = s0 + ldb, s2 = s1 + ldb, s3 = s2 + ldb;
      for (let p = 0; p < kc; p++, o += NR) {
        BP[o] = b[s0 + p]; BP[o + 1] = b[s1 + p]; BP[o + 2] = b[s2 + p]; BP[o + 3] = b[s3 + p];
      }
    } else {
      const sj = trans ? ldb : 1, sp = trans ? 1 : ldb;
      const s = trans ? off + (j0 + jr) * ldb + p0 : off + p0 * ldb + j0 + jr;
      for (let p = 0; p < kc; p++, o += NR) {
        for (let q = 0; q < NR; q++) BP[o + q] = q < cols ? b[s + q * sj + p * sp] : 0;
      }
    }
  }
}

/** C[cBlock..] += packed A block (mc×kc) · packed B block (kc×nc). */
export function macro64(
  mc: number, nc: number, kc: number, c: Float64Array, cBlock: number, ldc: number,
): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = Math.min(MR, mc - ir);
      const ci = cBlock + ir * ldc + jr;
      if (mr === MR && nr === NR) {
        micro64(kc, ir * kc, jr * kc, c, ci, ldc);
      } else {
        for (let t = 0; t < MR * NR; t++) EDGE[t] = 0;
        micro64(kc, ir * kc, jr * kc, EDGE, 0, NR);
        for (let i = 0; i < mr; i++) {
          for (let j = 0; j < nr; j++) c[ci + i * ldc + j] += EDGE[i * NR + j];
        }
      }
    }
  }
}

/**
 * C[ci..] += A panel (from AP[ai]) · B panel (from BP[bi]) over kc steps, one full tile.
 * The k loop is unrolled by 4 (≈15% at every shape, and as much again once V8 has to check
 * typed arrays for detachment, see top); the steps left over run one at a time.
 */
function micro64(
  kc: number, ai: number, bi: number, c: Float64Array, ci: number, ldc: number,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let a0 = 0, a1 = 0, a2 = 0, b = 0;
  const end4 = (ai + (kc - (kc & 3)) * MR) | 0;
  // Every `if (bi === -x) break` is never taken: it pins the adds above it in place (see top).
  while (ai < end4) {
    a0 = AP[ai]; a1 = AP[(ai + 1) | 0]; a2 = AP[(ai + 2) | 0];
    b = BP[bi]; c00 += a0 * b; c10 += a1 * b; c20 += a2 * b; if (bi === -1) break;
    b = BP[(bi + 1) | 0]; c01 += a0 * b; c11 += a1 * b; c21 += a2 * b; if (bi === -2) break;
    b = BP[(bi + 2) | 0]; c02 += a0 * b; c12 += a1 * b; c22 += a2 * b; if (bi === -3) break;
    b = BP[(bi + 3) | 0]; c03 += a0 * b; c13 += a1 * b; c23 += a2 * b; if (bi === -4) break;
    a0 = AP[(ai + 3) | 0]; a1 = AP[(ai + 4) | 0]; a2 = AP[(ai + 5) | 0];
    b = BP[(bi + 4) | 0]; c00 += a0 * b; c10 += a1 * b; c20 += a2 * b; if (bi === -5) break;
    b = BP[(bi + 5) | 0]; c01 += a0 * b; c11 += a1 * b; c21 += a2 * b; if (bi === -6) break;
    b = BP[(bi + 6) | 0]; c02 += a0 * b; c12 += a1 * b; c22 += a2 * b; if (bi === -7) break;
    b = BP[(bi + 7) | 0]; c03 += a0 * b; c13 += a1 * b; c23 += a2 * b; if (bi === -8) break;
    a0 = AP[(ai + 6) | 0]; a1 = AP[(ai + 7) | 0]; a2 = AP[(ai + 8) | 0];
    b = BP[(bi + 8) | 0]; c00 += a0 * b; c10 += a1 * b; c20 += a2 * b; if (bi === -9) break;
    b = BP[(bi + 9) | 0]; c01 += a0 * b; c11 += a1 * b; c21 += a2 * b; if (bi === -10) break;
    b = BP[(bi + 10) | 0]; c02 += a0 * b; c12 += a1 * b; c22 += a2 * b; if (bi === -11) break;
    b = BP[(bi + 11) | 0]; c03 += a0 * b; c13 += a1 * b; c23 += a2 * b; if (bi === -12) break;
    a0 = AP[(ai + 9) | 0]; a1 = AP[(ai + 10) | 0]; a2 = AP[(ai + 11) | 0];
    b = BP[(bi + 12) | 0]; c00 += a0 * b; c10 += a1 * b; c20 += a2 * b; if (bi === -13) break;
    b = BP[(bi + 13) | 0]; c01 += a0 * b; c11 += a1 * b; c21 += a2 * b; if (bi === -14) break;
    b = BP[(bi + 14) | 0]; c02 += a0 * b; c12 += a1 * b; c22 += a2 * b; if (bi === -15) break;
    b = BP[(bi + 15) | 0]; c03 += a0 * b; c13 += a1 * b; c23 += a2 * b;
    ai = (ai + 4 * MR) | 0;
    bi = (bi + 4 * NR) | 0;
  }
  const end = (ai + (kc & 3) * MR) | 0;
  while (ai < end) {
    a0 = AP[ai]; a1 = AP[(ai + 1) | 0]; a2 = AP[(ai + 2) | 0];
    b = BP[bi]; c00 += a0 * b; c10 += a1 * b; c20 += a2 * b;
    b = BP[(bi + 1) | 0]; c01 += a0 * b; c11 += a1 * b; c21 += a2 * b;
    b = BP[(bi + 2) | 0]; c02 += a0 * b; c12 += a1 * b; c22 += a2 * b;
    b = BP[(bi + 3) | 0]; c03 += a0 * b; c13 += a1 * b; c23 += a2 * b;
    ai = (ai + MR) | 0;
    bi = (bi + NR) | 0;
  }
  let o = ci;
  c[o] += c00; c[o + 1] += c01; c[o + 2] += c02; c[o + 3] += c03;
  o += ldc;
  c[o] += c10; c[o + 1] += c11; c[o + 2] += c12; c[o + 3] += c13;
  o += ldc;
  c[o] += c20; c[o + 1] += c21; c[o + 2] += c22; c[o + 3] += c23;
}
