/**
 * The wasm backend's non-GEMM kernels on the calling thread: float32 elementwise rows (SIMD),
 * the convolutions' im2col/col2im, and 2×2 max pooling. Each returns false (or runs the cpu
 * backend's TS kernel) when its operands are not all in the wasm memory or the case is not one
 * it covers, and the caller falls back to the cpu backend.
 */
import { type ConvGeometry, type ConvKernels, type FloatArray } from '@dlrt/backend-cpu';
import type { BinaryOp, UnaryOp } from '@dlrt/core';
import type { WasmHeap } from './heap.js';
import type { KernelExports } from './kernels.js';

/** Binary ops the wasm rows compute, in the order of the codes in assembly/elementwise.ts. */
const BINARY_OPS: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum',
  'greater', 'less', 'greaterEqual', 'lessEqual', 'equal', 'notEqual'];
/** Unary ops the wasm kernel computes, in the order of the codes in assembly/elementwise.ts. */
const UNARY_OPS: readonly UnaryOp[] = ['relu', 'neg', 'abs', 'square', 'sqrt'];

/**
 * Unary ops with a SIMD polynomial kernel (assembly/erf.ts, to a few ulp where the TS kernel
 * rounds a float64 result), in the order of its codes.
 */
const TRANSCENDENTAL_OPS: readonly UnaryOp[] = ['exp', 'erf', 'gelu'];

export const binaryCode = (op: BinaryOp): number => BINARY_OPS.indexOf(op);
export const unaryCode = (op: UnaryOp): number => UNARY_OPS.indexOf(op);
export const transcendentalCode = (op: UnaryOp): number => TRANSCENDENTAL_OPS.indexOf(op);

/** Order of the i32 geometry fields that assembly/conv.ts reads. */
const GEOMETRY = ['c', 'h', 'w', 'kh', 'kw', 'ho', 'wo', 'sh', 'sw', 'ph', 'pw', 'dh', 'dw',
  'n'] as const;
export const GEOMETRY_BYTES = GEOMETRY.length * 4;

/**
 * im2col, col2im and the block swap over the wasm memory (the TS kernels from `fallback`
 * when an operand is outside it), and, on one thread, the convolution passes as implicit
 * GEMMs (`implicit`; `scratch` is the calling thread's GEMM scratch). `geometry` is a
 * GEOMETRY_BYTES block the wrapper writes before each call.
 */
export function convKernels(k: KernelExports, heap: WasmHeap, geometry: number,
  fallback: Pick<ConvKernels, 'im2col' | 'col2im' | 'swap01'>, scratch: number | null):
  Pick<ConvKernels, 'im2col' | 'col2im' | 'swap01' | 'implicit'> {
  const put = (g: ConvGeometry) => {
    const v = new Int32Array(heap.memory.buffer, geometry, GEOMETRY.length);
    GEOMETRY.forEach((f, i) => { v[i] = g[f]; });
  };
  return {
    im2col: (x, g, cols) => {
      if (!heap.owns(x) || !heap.owns(cols)) {
        fallback.im2col(x, g, cols);
        return;
      }
      put(g);
      (x.BYTES_PER_ELEMENT === 8 ? k.im2colF64 : k.im2colF32)(x.byteOffset, geometry,
        cols.byteOffset);
    },
    col2im: (cols, g, dx) => {
      if (!heap.owns(cols) || !heap.owns(dx)) {
        fallback.col2im(cols, g, dx);
        return;
      }
      put(g);
      (dx.BYTES_PER_ELEMENT === 8 ? k.col2imF64 : k.col2imF32)(cols.byteOffset, geometry,
        dx.byteOffset);
    },
    // With threads, the pool splits the im2col path's GEMM instead (its kernel has no
    // geometry argument).
    implicit: scratch === null ? undefined : implicitConv(k, heap, put, geometry, scratch),
    swap01: (src, a, n, b, dst) => {
      if (!heap.owns(src) || !heap.owns(dst)) {
        fallback.swap01(src, a, n, b, dst);
        return;
      }
      k.swap01(src.byteOffset, a, n, b * src.BYTES_PER_ELEMENT, dst.byteOffset);
    },
  };
}

/** Where the implicit GEMM takes op(B) from and puts C (BFrom, CTo in assembly/gemm.ts). */
const B_PATCHES = 1, B_PATCHES_T = 2, B_IMAGES = 3;
const C_MATRIX = 0, C_IMAGES = 1, C_PATCHES = 2;

/**
 * The convolution passes as the kernels' implicit GEMMs. A column panel of the GEMM is
 * 32 bytes (8 f32 or 4 f64 output positions); the image layouts need each panel inside one
 * image, and col2im's also inside one output row with every patch entry in the image (no
 * padding, unit column stride). Other cases return false and run through im2col.
 */
function implicitConv(k: KernelExports, heap: WasmHeap, put: (g: ConvGeometry) => void,
  geometry: number, scratch: number): ConvKernels['implicit'] {
  const owned = (...xs: FloatArray[]) => xs.every((x) => heap.owns(x));
  const gemm = (e: number) => (e === 8 ? k.convGemmF64 : k.convGemmF32);
  const panel = (e: number) => 32 / e;
  return {
    forward: (x, w, g, out) => {
      const e = out.BYTES_PER_ELEMENT;
      if (!owned(x, w, out) || g.hw % panel(e) !== 0) return false;
      put(g);
      gemm(e)(g.o, g.n * g.hw, g.kk, w.byteOffset, g.kk, 0, x.byteOffset, geometry, B_PATCHES,
        out.byteOffset, 0, C_IMAGES, 0, scratch);
      return true;
    },
    filter: (x, dyT, g, dw) => {
      if (!owned(x, dyT, dw)) return false;
      put(g);
      gemm(dw.BYTES_PER_ELEMENT)(g.o, g.kk, g.n * g.hw, dyT.byteOffset, g.n * g.hw, 0,
        x.byteOffset, geometry, B_PATCHES_T, dw.byteOffset, g.kk, C_MATRIX, 0, scratch);
      return true;
    },
    input: (dy, w, g, dx) => {
      const e = dx.BYTES_PER_ELEMENT;
      if (!owned(dy, w, dx) || g.wo % panel(e) !== 0 || g.sw !== 1 || g.ph !== 0 ||
        g.pw !== 0) return false;
      put(g);
      // dcols = Wᵀ·dY, added straight onto dx: A = W read transposed, B = dy's channels.
      gemm(e)(g.kk, g.n * g.hw, g.o, w.byteOffset, g.kk, 1, dy.byteOffset, geometry, B_IMAGES,
        dx.byteOffset, 0, C_PATCHES, 1, scratch);
      return true;
    },
  };
}

/** 2×2 max pooling at stride 2 (forward: dy and dx null; backward: out null, dx zeroed). */
export function maxPool2x2(k: KernelExports, x: FloatArray, shape: readonly number[],
  out: FloatArray | null, dy: FloatArray | null, dx: FloatArray | null): void {
  const [n, c, h, w] = shape;
  const f = x.BYTES_PER_ELEMENT === 8 ? k.maxPool2x2F64 : k.maxPool2x2F32;
  f(x.byteOffset, n * c, h, w, Math.floor(h / 2), Math.floor(w / 2), out?.byteOffset ?? 0,
    dy?.byteOffset ?? 0, dx?.byteOffset ?? 0, dx ? 1 : 0);
}

/**
 * Runs every non-GEMM kernel a few times on scratch data in the `bytes`-byte region at
 * `region` (≥ 3·64 KiB), so V8 compiles them optimized before the first training step, as
 * warmUp (gemm.ts) does for the GEMM: a kernel's first calls run in the baseline tier.
 */
export function warmUpOps(k: KernelExports, memory: WebAssembly.Memory, region: number,
  geometry: number): void {
  const n = 16384, a = region, b = region + 4 * n, out = region + 8 * n;
  new Float32Array(memory.buffer, region, 3 * n).fill(0.5);
  const g = new Int32Array(memory.buffer, geometry, GEOMETRY.length);
  // c, h, w, kh, kw, ho, wo, sh, sw, ph, pw, dh, dw, n: one image, 4 channels of 16×16,
  // 3×3, padding 1.
  g.set([4, 16, 16, 3, 3, 16, 16, 1, 1, 1, 1, 1, 1, 1]);
  for (let rep = 0; rep < 4; rep++) {
    for (let op = 0; op < BINARY_OPS.length; op++) k.binaryRowF32(op, out, a, 1, b, rep & 1, n);
    for (let op = 0; op < UNARY_OPS.length; op++) k.unaryF32(op, out, a, n);
    for (let op = 0; op < TRANSCENDENTAL_OPS.length; op++) k.transcendentalF32(op, out, a, n);
    k.whereRowF32(out, a, 1, a, 1, b, rep & 1, n);
    k.maxPool2x2F32(a, 16, 32, 32, 16, 16, out, 0, 0, 0);
    k.maxPool2x2F32(a, 16, 32, 32, 16, 16, 0, b, out, 1);
    k.transposeLast2(a, 1, 128, 128, out);
    k.swap01(a, 16, 16, 256, out);
    k.im2colF32(a, geometry, b);           // cols: 36 rows × 256 (4·16·16 = 1024 inputs)
    k.col2imF32(b, geometry, out);
    k.sumRowsF32(a, 16, 1023, out);
    k.sumLeadingF32(a, 16, 255, b, out);
    k.copyRows(a, 36, 64, 20, out, 20);
  }
}
