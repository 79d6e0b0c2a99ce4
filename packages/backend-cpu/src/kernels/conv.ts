/**
 * conv2d through im2col + GEMM: the patch matrix cols [C·kh·kw, Ho·Wo] of each image turns the
 * convolution into W [O, C·kh·kw] · cols; a batch's patch matrices sit side by side.
 */
import type { Conv2dAttrs, Shape } from '@dlrt/core';
import type { FloatArray } from './gemm-types.js';
import type { GemmRunner } from './matmul.js';

interface Geometry {
  c: number; h: number; w: number; kh: number; kw: number; ho: number; wo: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number;
}

function geometry(xShape: Shape, wShape: Shape, outShape: Shape, a: Conv2dAttrs): Geometry {
  return {
    c: xShape[1], h: xShape[2], w: xShape[3], kh: wShape[2], kw: wShape[3],
    ho: outShape[2], wo: outShape[3], sh: a.stride[0], sw: a.stride[1],
    ph: a.padding[0], pw: a.padding[1], dh: a.dilation[0], dw: a.dilation[1],
  };
}

/** cols[(c·kh + i)·kw + j, y·wo + x] = x[c, y·sh − ph + i·dh, x·sw − pw + j·dw] (0 outside). */
function im2col(x: FloatArray, xOff: number, g: Geometry, cols: FloatArray): void {
  const hw = g.ho * g.wo;
  let row = 0;
  for (let c = 0; c < g.c; c++) {
    for (let i = 0; i < g.kh; i++) {
      for (let j = 0; j < g.kw; j++, row++) {
        const dst = row * hw;
        for (let y = 0; y < g.ho; y++) {
          const iy = y * g.sh - g.ph + i * g.dh;
          const d = dst + y * g.wo;
          if (iy < 0 || iy >= g.h) {
            cols.fill(0, d, d + g.wo);
            continue;
          }
          const src = xOff + (c * g.h + iy) * g.w;
          for (let xx = 0; xx < g.wo; xx++) {
            const ix = xx * g.sw - g.pw + j * g.dw;
            cols[d + xx] = ix >= 0 && ix < g.w ? x[src + ix] : 0;
          }
        }
      }
    }
  }
}

/** The adjoint of im2col: adds every patch entry back onto the image it came from. */
function col2im(cols: FloatArray, g: Geometry, dx: FloatArray, dxOff: number): void {
  const hw = g.ho * g.wo;
  let row = 0;
  for (let c = 0; c < g.c; c++) {
    for (let i = 0; i < g.kh; i++) {
      for (let j = 0; j < g.kw; j++, row++) {
        for (let y = 0; y < g.ho; y++) {
          const iy = y * g.sh - g.ph + i * g.dh;
          if (iy < 0 || iy >= g.h) continue;
          const src = row * hw + y * g.wo;
          const dst = dxOff + (c * g.h + iy) * g.w;
          for (let xx = 0; xx < g.wo; xx++) {
            const ix = xx * g.sw - g.pw + j * g.dw;
            if (ix >= 0 && ix < g.w) dx[dst + ix] += cols[src + xx];
          }
        }
      }
    }
  }
}

type Alloc = (n: number) => FloatArray;

/**
 * The batch's patch matrices side by side, cols [C·kh·kw, N·Ho·Wo], so that each pass is one
 * large GEMM instead of N small ones (images of a batch are small; their GEMMs were not).
 */
function batchCols(x: FloatArray, n: number, g: Geometry, alloc: Alloc): FloatArray {
  const kk = g.c * g.kh * g.kw;
  const hw = g.ho * g.wo;
  const cols = alloc(kk * n * hw);
  const one = n === 1 ? cols : alloc(kk * hw);
  for (let b = 0; b < n; b++) {
    im2col(x, b * g.c * g.h * g.w, g, one);
    if (n === 1) break;
    for (let r = 0; r < kk; r++) cols.set(one.subarray(r * hw, (r + 1) * hw), (r * n + b) * hw);
  }
  return cols;
}

/** [A, N, B] ↔ [N, A, B] block swap (NCHW planes against channel-major batch layout). */
function swap01(src: FloatArray, a: number, n: number, b: number, dst: FloatArray): void {
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < n; j++) {
      dst.set(src.subarray((i * n + j) * b, (i * n + j + 1) * b), (j * a + i) * b);
    }
  }
}

/** dY [N, O, HW] as [O, N·HW], the layout the batched GEMMs read. */
function channelMajor(dy: FloatArray, n: number, o: number, hw: number, alloc: Alloc): FloatArray {
  if (n === 1) return dy;
  const out = alloc(o * n * hw);
  swap01(dy, n, o, hw, out);
  return out;
}

export function conv2d(run: GemmRunner, alloc: Alloc, x: FloatArray, xShape: Shape,
  w: FloatArray, wShape: Shape, attrs: Conv2dAttrs, outShape: Shape, out: FloatArray): void {
  const g = geometry(xShape, wShape, outShape, attrs);
  const [n, o] = [xShape[0], wShape[0]];
  const kk = g.c * g.kh * g.kw;
  const hw = g.ho * g.wo;
  const cols = batchCols(x, n, g, alloc);
  // Y [O, N·HW] = W [O, K] · cols [K, N·HW], then reorder to NCHW.
  const y = n === 1 ? out : alloc(o * n * hw);
  run({ m: o, n: n * hw, k: kk, a: w, aOffset: 0, transA: false, b: cols, bOffset: 0,
    transB: false, c: y, cOffset: 0 });
  if (n > 1) swap01(y, o, n, hw, out);
}

export function conv2dBackpropInput(run: GemmRunner, alloc: Alloc, dy: FloatArray,
  w: FloatArray, wShape: Shape, attrs: Conv2dAttrs, xShape: Shape, dyShape: Shape,
  dx: FloatArray): void {
  const g = geometry(xShape, wShape, dyShape, attrs);
  const [n, o] = [xShape[0], wShape[0]];
  const kk = g.c * g.kh * g.kw;
  const hw = g.ho * g.wo;
  // dcols [K, N·HW] = Wᵀ · dY [O, N·HW], then each image's patches are added back onto dx.
  const dyT = channelMajor(dy, n, o, hw, alloc);
  const dcols = alloc(kk * n * hw);
  run({ m: kk, n: n * hw, k: o, a: w, aOffset: 0, transA: true, b: dyT, bOffset: 0,
    transB: false, c: dcols, cOffset: 0 });
  const one = n === 1 ? dcols : alloc(kk * hw);
  for (let b = 0; b < n; b++) {
    if (n > 1) {
      for (let r = 0; r < kk; r++) {
        const at = (r * n + b) * hw;
        one.set(dcols.subarray(at, at + hw), r * hw);
      }
    }
    col2im(one, g, dx, b * g.c * g.h * g.w);
  }
}

export function conv2dBackpropFilter(run: GemmRunner, alloc: Alloc, x: FloatArray,
  xShape: Shape, dy: FloatArray, dyShape: Shape, attrs: Conv2dAttrs, wShape: Shape,
  dw: FloatArray): void {
  const g = geometry(xShape, wShape, dyShape, attrs);
  const [n, o] = [xShape[0], wShape[0]];
  const kk = g.c * g.kh * g.kw;
  const hw = g.ho * g.wo;
  const cols = batchCols(x, n, g, alloc);
  const dyT = channelMajor(dy, n, o, hw, alloc);
  // dW [O, K] = dY [O, N·HW] · colsᵀ
  run({ m: o, n: kk, k: n * hw, a: dyT, aOffset: 0, transA: false, b: cols, bOffset: 0,
    transB: true, c: dw, cOffset: 0 });
}
