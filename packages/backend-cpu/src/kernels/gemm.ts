/**
 * Single-threaded GEMM: C = op(A)·op(B) (+ C). GotoBLAS-style blocking: for each NC-wide
 * column block and KC-deep slice, op(B) is packed once; for each MC-tall row block op(A) is
 * packed and the 3×4 micro-kernel sweeps the packed panels (gemm-f64.ts / gemm-f32.ts).
 */
import type { FloatArray, GemmArgs } from './gemm-types.js';
import { KC, MC, NC } from './gemm-config.js';
import { macro32, packA32, packB32 } from './gemm-f32.js';
import { macro64, packA64, packB64 } from './gemm-f64.js';

export type { FloatArray, GemmArgs } from './gemm-types.js';

/**
 * Up to this many multiply-adds (m·n·k), direct loops beat packing (measured: 4×4×4 yes,
 * 8×8×8 no; even m = 1 or n = 1 products run faster packed).
 */
const SMALL_MNK = 128;

/**
 * C = op(A)·op(B), or C += op(A)·op(B) with `accumulate`; see GemmArgs.
 * @throws TypeError unless a, b and c are all Float32Array or all Float64Array.
 * @example gemm({ m: 2, n: 4, k: 3, a, aOffset: 0, transA: false, b, bOffset: 0,
 *   transB: true, c, cOffset: 0 })   // C [2, 4] = A [2, 3] · (B [4, 3])ᵀ
 */
export function gemm(args: GemmArgs): void {
  const { m, n, k, transA, transB } = args;
  gemmStrided(
    m, n, k,
    args.a, args.aOffset, transA ? m : k, transA,
    args.b, args.bOffset, transB ? k : n, transB,
    args.c, args.cOffset, n, args.accumulate === true,
  );
}

/** gemmStrided's signature, shared by every GEMM kernel a thread pool can run. */
export type StridedGemm = (
  m: number, n: number, k: number,
  a: FloatArray, aOff: number, lda: number, transA: boolean,
  b: FloatArray, bOff: number, ldb: number, transB: boolean,
  c: FloatArray, cOff: number, ldc: number, accumulate: boolean,
) => void;

/**
 * GEMM with explicit leading dimensions (row strides of the stored matrices), so a caller
 * can compute any row or column block of a larger product in place (the thread pool does).
 * op(A)(i, p) = a[aOff + i·lda + p], or a[aOff + p·lda + i] when transA; likewise op(B);
 * C(i, j) = c[cOff + i·ldc + j]. Only the m×n block of C is written; the rest of each row
 * of `ldc` is left alone.
 * @throws TypeError unless a, b and c are all Float32Array or all Float64Array.
 * @example gemmStrided(m, n1, k, a, 0, k, false, b, 0, n, false, c, 0, n, false)
 *   // the first n1 of n columns of C = A·B, all row-major
 */
export function gemmStrided(
  m: number, n: number, k: number,
  a: FloatArray, aOff: number, lda: number, transA: boolean,
  b: FloatArray, bOff: number, ldb: number, transB: boolean,
  c: FloatArray, cOff: number, ldc: number, accumulate: boolean,
): void {
  if (a.constructor !== c.constructor || b.constructor !== c.constructor) {
    throw new TypeError('gemm: a, b and c must all be Float32Array or all Float64Array');
  }
  if (m <= 0 || n <= 0) return;
  if (!accumulate) for (let i = 0; i < m; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + n);
  if (k <= 0) return;
  if (m * n * k <= SMALL_MNK) {
    gemmSmall(m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc);
    return;
  }
  const f64 = c instanceof Float64Array;
  // Even k slices: 300 = 150 + 150 rather than 256 + 44 (a thin slice wastes the kernel).
  const kcEven = Math.ceil(k / Math.ceil(k / KC));
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += kcEven) {
      const kc = Math.min(kcEven, k - pc);
      if (f64) packB64(b as Float64Array, bOff, ldb, transB, pc, jc, kc, nc);
      else packB32(b as Float32Array, bOff, ldb, transB, pc, jc, kc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        const ci = cOff + ic * ldc + jc;
        if (f64) {
          packA64(a as Float64Array, aOff, lda, transA, ic, pc, mc, kc);
          macro64(mc, nc, kc, c as Float64Array, ci, ldc);
        } else {
          packA32(a as Float32Array, aOff, lda, transA, ic, pc, mc, kc);
          macro32(mc, nc, kc, c as Float32Array, ci, ldc);
        }
      }
    }
  }
}

/** C += op(A)·op(B) by dot products, for tiny products (float64 sums). */
function gemmSmall(
  m: number, n: number, k: number,
  a: FloatArray, aOff: number, lda: number, transA: boolean,
  b: FloatArray, bOff: number, ldb: number, transB: boolean,
  c: FloatArray, cOff: number, ldc: number,
): void {
  const ai = transA ? 1 : lda, ap = transA ? lda : 1; // strides of op(A) along i and p
  const bp = transB ? 1 : ldb, bj = transB ? ldb : 1; // strides of op(B) along p and j
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0, x = aOff + i * ai, y = bOff + j * bj; p < k; p++, x += ap, y += bp) {
        s += a[x] * b[y];
      }
      c[cOff + i * ldc + j] += s;
    }
  }
}

/**
 * Runs every path once per element type at load, so TurboFan compiles them with type
 * feedback: a path first taken after optimization deopts, and V8 11 can keep re-entering the
 * same optimized code and deopting there on every call.
 */
function warmUp(): void {
  for (const T of [Float64Array, Float32Array]) {
    // 5×6: full and edge tiles in both directions; k just large enough for the packed path.
    const m = 5, n = 6, k = Math.floor(SMALL_MNK / 30) + 1;
    const a = new T(m * k), b = new T(k * n), c = new T(m * n);
    for (let i = 0; i < 8; i++) {
      const ta = (i & 1) !== 0, tb = (i & 2) !== 0, acc = (i & 4) !== 0;
      gemmStrided(m, n, k, a, 0, ta ? m : k, ta, b, 0, tb ? k : n, tb, c, 0, n, acc);
      gemmStrided(m, n, 2, a, 0, ta ? m : 2, ta, b, 0, tb ? 2 : n, tb, c, 0, n, acc);
    }
  }
}
warmUp();
