/**
 * conv2d through im2col + GEMM: the patch matrix cols [C·kh·kw, Ho·Wo] of each image turns the
 * convolution into W [O, C·kh·kw] · cols; a batch's patch matrices sit side by side. A
 * backend with implicit GEMMs (ConvKernels.implicit) packs the patches straight from the
 * images instead of forming cols, and stores its results straight into the images.
 */
import type { Conv2dAttrs, Shape } from '@dlrt/core';
import type { FloatArray } from './gemm-types.js';
import type { GemmRunner } from './matmul.js';

/** A convolution's sizes, strides, paddings and dilations. */
export interface Geometry {
  /** N, the images in the batch. */
  n: number;
  /** O, the output channels. */
  o: number;
  /** C, the input channels. */
  c: number;
  /** H, the input height. */
  h: number;
  /** W, the input width. */
  w: number;
  /** The kernel height. */
  kh: number;
  /** The kernel width. */
  kw: number;
  /** Ho, the output height. */
  ho: number;
  /** Wo, the output width. */
  wo: number;
  /** The vertical stride. */
  sh: number;
  /** The horizontal stride. */
  sw: number;
  /** The padding at the top and bottom. */
  ph: number;
  /** The padding at the left and right. */
  pw: number;
  /** The vertical dilation. */
  dh: number;
  /** The horizontal dilation. */
  dw: number;
  /** Rows of the patch matrix, C·kh·kw. */
  kk: number;
  /** Output positions per image, Ho·Wo. */
  hw: number;
}

function geometry(xShape: Shape, wShape: Shape, outShape: Shape, a: Conv2dAttrs): Geometry {
  return {
    n: xShape[0], o: wShape[0], c: xShape[1], h: xShape[2], w: xShape[3], kh: wShape[2],
    kw: wShape[3], ho: outShape[2], wo: outShape[3], sh: a.stride[0], sw: a.stride[1],
    ph: a.padding[0], pw: a.padding[1], dh: a.dilation[0], dw: a.dilation[1],
    kk: xShape[1] * wShape[2] * wShape[3], hw: outShape[2] * outShape[3],
  };
}

/**
 * The output columns xx whose input column xx·sw − pw + j·dw lies inside [0, w): a range
 * [lo, hi), so the inner loops need no bounds test.
 */
function validColumns(g: Geometry, j: number): [number, number] {
  const off = j * g.dw - g.pw;
  const lo = Math.min(g.wo, Math.max(0, Math.ceil(-off / g.sw)));
  const hi = Math.max(lo, Math.min(g.wo, Math.floor((g.w - 1 - off) / g.sw) + 1));
  return [lo, hi];
}

/**
 * The batch's patch matrix: cols[(c·kh + i)·kw + j, b·Ho·Wo + y·wo + x] =
 * x[b, c, y·sh − ph + i·dh, x·sw − pw + j·dw] (0 outside), row stride N·Ho·Wo. Rows go
 * outermost and images inside them, so cols is written front to back (image by image, the
 * writes were rows N·Ho·Wo apart: a 32 KiB stride at LeNet5's batch, one cache set).
 * Every entry of cols (length kk·N·hw) is written.
 * @example const cols = new Float64Array(g.kk * g.n * g.hw); im2col(x, g, cols);
 */
export function im2col(x: FloatArray, g: Geometry, cols: FloatArray): void {
  const rowStride = g.n * g.hw, chw = g.c * g.h * g.w;
  let row = 0;
  for (let c = 0; c < g.c; c++) {
    for (let i = 0; i < g.kh; i++) {
      for (let j = 0; j < g.kw; j++, row++) {
        const [lo, hi] = validColumns(g, j);
        const off = j * g.dw - g.pw;
        for (let b = 0; b < g.n; b++) {
          const dst = row * rowStride + b * g.hw, xOff = b * chw;
          for (let y = 0; y < g.ho; y++) {
            const iy = y * g.sh - g.ph + i * g.dh;
            const d = dst + y * g.wo;
            if (iy < 0 || iy >= g.h || lo >= hi) {
              for (let xx = 0; xx < g.wo; xx++) cols[d + xx] = 0;
              continue;
            }
            const src = xOff + (c * g.h + iy) * g.w + off;
            for (let xx = 0; xx < lo; xx++) cols[d + xx] = 0;
            // A plain loop: image rows are short, and a subarray view per row costs more.
            const sw = g.sw;
            for (let xx = lo; xx < hi; xx++) cols[d + xx] = x[src + xx * sw];
            for (let xx = hi; xx < g.wo; xx++) cols[d + xx] = 0;
          }
        }
      }
    }
  }
}

/**
 * The adjoint of im2col: adds every patch entry of the batch's cols back onto the image it
 * came from, reading cols front to back (each dx entry still takes its rows in row order).
 * dx is accumulated into, not overwritten: zero it first for a plain gradient.
 * @example dx.fill(0); col2im(dcols, g, dx);   // dx [N, C, H, W] from dcols [kk, N·hw]
 */
export function col2im(cols: FloatArray, g: Geometry, dx: FloatArray): void {
  const rowStride = g.n * g.hw, chw = g.c * g.h * g.w;
  let row = 0;
  for (let c = 0; c < g.c; c++) {
    for (let i = 0; i < g.kh; i++) {
      for (let j = 0; j < g.kw; j++, row++) {
        const [lo, hi] = validColumns(g, j);
        const off = j * g.dw - g.pw;
        for (let b = 0; b < g.n; b++) {
          const dxOff = b * chw;
          for (let y = 0; y < g.ho; y++) {
            const iy = y * g.sh - g.ph + i * g.dh;
            if (iy < 0 || iy >= g.h) continue;
            const src = row * rowStride + b * g.hw + y * g.wo;
            const dst = dxOff + (c * g.h + iy) * g.w + off;
            for (let xx = lo; xx < hi; xx++) dx[dst + xx * g.sw] += cols[src + xx];
          }
        }
      }
    }
  }
}

type Alloc = (n: number) => FloatArray;

/**
 * What the convolutions run on: the GEMM, scratch storage, and the patch gathering and its
 * adjoint (this file's by default; backend-wasm passes its own).
 */
export interface ConvKernels {
  /** Runs the passes' GEMMs. */
  gemm: GemmRunner;
  /** Scratch storage of n floats (the patch matrices and reordered outputs). */
  alloc: Alloc;
  /** Gathers the batch's patch matrix (see `im2col`). */
  im2col: typeof im2col;
  /** Adds a patch matrix back onto the images (see `col2im`). */
  col2im: typeof col2im;
  /** The block swap between NCHW and the channel-major layout (see `swap01`). */
  swap01: typeof swap01;
  /** The passes as implicit GEMMs, where a backend has them. */
  implicit?: ImplicitConv;
}

/**
 * A convolution's passes as implicit GEMMs: the patch matrix P [C·kh·kw, N·Ho·Wo] of the NCHW
 * images is packed straight from them, and the results go straight to their NCHW or patch
 * places, with no im2col, col2im or layout swap. Each returns false when it did not run
 * (a layout it does not take); conv.ts then forms P itself. All arrays are contiguous.
 */
export interface ImplicitConv {
  /** out [N, O, Ho, Wo] = conv2d(x, w): W [O, C·kh·kw]·P. */
  forward(x: FloatArray, w: FloatArray, g: Geometry, out: FloatArray): boolean;
  /** dw [O, C·kh·kw] = dY·Pᵀ, with dY channel-major [O, N·Ho·Wo]. */
  filter(x: FloatArray, dyT: FloatArray, g: Geometry, dw: FloatArray): boolean;
  /** dx [N, C, H, W] += the input gradient of dy [N, O, Ho, Wo]: col2im(Wᵀ·dY). */
  input(dy: FloatArray, w: FloatArray, g: Geometry, dx: FloatArray): boolean;
}

/**
 * The batch's patch matrices side by side, cols [C·kh·kw, N·Ho·Wo], so that each pass is one
 * large GEMM instead of N small ones (images of a batch are small; their GEMMs were not).
 */
function batchCols(x: FloatArray, g: Geometry, k: ConvKernels): FloatArray {
  const { n, kk, hw } = g;
  if (pointwise(g)) return channelMajor(x, n, g.c, hw, k);
  const cols = k.alloc(kk * n * hw);
  k.im2col(x, g, cols);
  return cols;
}

/**
 * A 1×1 kernel at stride 1 without padding: each image's patch matrix is the image itself
 * ([C, H·W]), so im2col is a block copy and col2im a block add (the low-rank convolutions'
 * second factor is such a kernel).
 */
function pointwise(g: Geometry): boolean {
  return g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.ph === 0 && g.pw === 0;
}

/**
 * `[A, N, B]` ↔ `[N, A, B]` block swap (NCHW planes against channel-major batch layout): block
 * (i, j) of `src`, B long, goes to block (j, i) of `dst`.
 * @example swap01(y, o, n, hw, out)   // y [O, N, HW] → out [N, O, HW]
 */
export function swap01(src: FloatArray, a: number, n: number, b: number, dst: FloatArray): void {
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < n; j++) {
      dst.set(src.subarray((i * n + j) * b, (i * n + j + 1) * b), (j * a + i) * b);
    }
  }
}

/** dY [N, O, HW] as [O, N·HW], the layout the batched GEMMs read. */
function channelMajor(dy: FloatArray, n: number, o: number, hw: number, k: ConvKernels):
  FloatArray {
  if (n === 1) return dy;
  const out = k.alloc(o * n * hw);
  k.swap01(dy, n, o, hw, out);
  return out;
}

export function conv2d(k: ConvKernels, x: FloatArray, xShape: Shape,
  w: FloatArray, wShape: Shape, attrs: Conv2dAttrs, outShape: Shape, out: FloatArray): void {
  const g = geometry(xShape, wShape, outShape, attrs);
  const { n, o, kk, hw } = g;
  if (!pointwise(g) && k.implicit?.forward(x, w, g, out) === true) return;
  // Y [O, N·HW] = W [O, K] · cols [K, N·HW], then reorder to NCHW.
  const y = n === 1 ? out : k.alloc(o * n * hw);
  const cols = batchCols(x, g, k);
  k.gemm({ m: o, n: n * hw, k: kk, a: w, aOffset: 0, transA: false, b: cols, bOffset: 0,
    transB: false, c: y, cOffset: 0 });
  if (n > 1) k.swap01(y, o, n, hw, out);
}

export function conv2dBackpropInput(k: ConvKernels, dy: FloatArray,
  w: FloatArray, wShape: Shape, attrs: Conv2dAttrs, xShape: Shape, dyShape: Shape,
  dx: FloatArray): void {
  const g = geometry(xShape, wShape, dyShape, attrs);
  const { n, o, kk, hw } = g;
  if (!pointwise(g) && k.implicit?.input(dy, w, g, dx) === true) return;
  // dcols [K, N·HW] = Wᵀ · dY [O, N·HW], then each image's patches are added back onto dx.
  const dyT = channelMajor(dy, n, o, hw, k);
  const dcols = k.alloc(kk * n * hw);
  k.gemm({ m: kk, n: n * hw, k: o, a: w, aOffset: 0, transA: true, b: dyT, bOffset: 0,
    transB: false, c: dcols, cOffset: 0 });
  if (pointwise(g)) {
    // dx[b, c, :] += dcols[c, b·HW : (b+1)·HW]
    for (let b = 0; b < n; b++) {
      for (let c = 0; c < g.c; c++) {
        const d = (b * g.c + c) * hw, s = (c * n + b) * hw;
        for (let t = 0; t < hw; t++) dx[d + t] += dcols[s + t];
      }
    }
    return;
  }
  k.col2im(dcols, g, dx);
}

export function conv2dBackpropFilter(k: ConvKernels, x: FloatArray,
  xShape: Shape, dy: FloatArray, dyShape: Shape, attrs: Conv2dAttrs, wShape: Shape,
  dw: FloatArray): void {
  const g = geometry(xShape, wShape, dyShape, attrs);
  const { n, o, kk, hw } = g;
  const dyT = channelMajor(dy, n, o, hw, k);
  // dW [O, K] = dY [O, N·HW] · colsᵀ
  if (!pointwise(g) && k.implicit?.filter(x, dyT, g, dw) === true) return;
  const cols = batchCols(x, g, k);
  k.gemm({ m: o, n: kk, k: n * hw, a: dyT, aOffset: 0, transA: false, b: cols, bOffset: 0,
    transB: true, c: dw, cOffset: 0 });
}
