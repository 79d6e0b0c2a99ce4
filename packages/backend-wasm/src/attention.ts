/**
 * Float32 attention on the wasm backend, one block of query rows at a time: the block's
 * scores S = Q Kᵀ and the products with them run in the SIMD GEMM, the row softmax and its
 * gradient in SIMD kernels (assembly/attention.ts). A block holds ROWS × Nk scores (and, going
 * back, as many for dP): O(N) extra memory for a fixed block, never the N×N matrix. The cpu
 * backend's tiled kernel (kernels/attention.ts) sums in float64 and stays the reference and
 * the float64 path; the two agree to float32 rounding.
 */
import {
  type AttentionShapes, type FloatArray, type StridedGemm, keyEnd, kvHead, noKey,
} from '@dlrt/backend-cpu';
import type { AttentionAttrs } from '@dlrt/core';
import type { WasmHeap } from './heap.js';
import type { KernelExports } from './kernels.js';

/** Query rows per block: enough rows for the GEMM's 4-row tiles, few keys wasted by causality. */
export const ATTENTION_ROWS = 32;

/** What the passes need: the kernels, the calling thread's GEMM, the memory. */
export interface AttentionKernels {
  k: KernelExports;
  gemm: StridedGemm;
  heap: WasmHeap;
}

/** Float32 scratch of `n` floats in the wasm memory, freed after `fn`. */
function withBlocks<R>(heap: WasmHeap, n: number, count: number,
  fn: (...blocks: Float32Array[]) => R): R {
  const blocks: Float32Array[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const p = heap.malloc(4 * n);
      if (p === null) throw new Error(`attention: out of wasm memory for ${n} scratch floats`);
      blocks.push(heap.view('float32', p, n) as Float32Array);
    }
    return fn(...blocks);
  } finally {
    for (const b of blocks) heap.free(b.byteOffset);
  }
}

/** Scratch bytes a pass holds: `count` blocks of ROWS × Nk floats. */
export const attentionScratchBytes = (sh: AttentionShapes, count: number): number =>
  4 * Math.min(ATTENTION_ROWS, sh.nq) * sh.nk * count;

/**
 * Scores of rows i0 … i0 + rows − 1 of head bh against keys 0 … end − 1, softmaxed in place
 * into s (rows × end, row stride end).
 */
function probabilities(x: AttentionKernels, q: FloatArray, k: FloatArray,
  mask: FloatArray | null, sh: AttentionShapes, a: AttentionAttrs, bh: number, i0: number,
  rows: number, end: number, s: Float32Array): void {
  const { nq, nk, d } = sh;
  x.gemm(rows, end, d, q, (bh * nq + i0) * d, d, false, k, kvHead(bh, sh.h, a.groups) * nk * d,
    d, true, s, 0, end, false);
  const last = a.causal ? i0 + nk - nq : end;
  const bad = x.k.softmaxRowsF32(s.byteOffset, end, rows, end, a.scale,
    mask ? mask.byteOffset + 4 * i0 * nk : 0, nk, last);
  if (bad >= 0) throw noKey(i0 + bad);
}

/** out [B, H, Nq, dv] = softmax(scale·Q Kᵀ + mask) V. */
export function attentionForwardF32(x: AttentionKernels, q: FloatArray, k: FloatArray,
  v: FloatArray, mask: FloatArray | null, sh: AttentionShapes, a: AttentionAttrs,
  out: FloatArray): void {
  const { h, nq, nk, dv } = sh;
  withBlocks(x.heap, Math.min(ATTENTION_ROWS, nq) * nk, 1, (s) => {
    for (let bh = 0; bh < sh.b * h; bh++) {
      const v0 = kvHead(bh, h, a.groups) * nk * dv;
      for (let i0 = 0; i0 < nq; i0 += ATTENTION_ROWS) {
        const rows = Math.min(ATTENTION_ROWS, nq - i0);
        const end = keyEnd(sh, a, i0, rows);
        probabilities(x, q, k, mask, sh, a, bh, i0, rows, end, s);
        x.gemm(rows, dv, end, s, 0, end, false, v, v0, dv, false, out, (bh * nq + i0) * dv, dv,
          false);
      }
    }
  });
}

/**
 * dq, dk, dv (zeroed on entry) for dy, given the output y. Per block: P again from the scores,
 * dV += Pᵀ dY, dP = dY Vᵀ, dS = scale·P ⊙ (dP − rowsum(dY ⊙ Y)), dQ = dS K, dK += dSᵀ Q.
 */
export function attentionBackwardF32(x: AttentionKernels, q: FloatArray, k: FloatArray,
  v: FloatArray, mask: FloatArray | null, y: FloatArray, dy: FloatArray, sh: AttentionShapes,
  a: AttentionAttrs, dq: FloatArray, dk: FloatArray, dvOut: FloatArray): void {
  const { h, nq, nk, d, dv } = sh;
  withBlocks(x.heap, Math.min(ATTENTION_ROWS, nq) * nk, 2, (p, ds) => {
    for (let bh = 0; bh < sh.b * h; bh++) {
      const kvh = kvHead(bh, h, a.groups);
      const k0 = kvh * nk * d, v0 = kvh * nk * dv;
      for (let i0 = 0; i0 < nq; i0 += ATTENTION_ROWS) {
        const rows = Math.min(ATTENTION_ROWS, nq - i0);
        const end = keyEnd(sh, a, i0, rows);
        const qi = (bh * nq + i0) * d, yi = (bh * nq + i0) * dv;
        probabilities(x, q, k, mask, sh, a, bh, i0, rows, end, p);
        x.gemm(end, dv, rows, p, 0, end, true, dy, yi, dv, false, dvOut, v0, dv, true);
        x.gemm(rows, end, dv, dy, yi, dv, false, v, v0, dv, true, ds, 0, end, false);
        x.k.softmaxGradRowsF32(p.byteOffset, ds.byteOffset, end, rows, end,
          y.byteOffset + 4 * yi, dy.byteOffset + 4 * yi, dv, a.scale);
        x.gemm(rows, d, end, ds, 0, end, false, k, k0, d, false, dq, qi, d, false);
        x.gemm(end, d, rows, ds, 0, end, true, q, qi, d, false, dk, k0, d, true);
      }
    }
  });
}
