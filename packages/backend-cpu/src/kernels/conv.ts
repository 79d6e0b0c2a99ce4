/**
 * conv2d through im2col + GEMM, per image: the patch matrix cols [C·kh·kw, Ho·Wo] turns the
 * convolution into W [O, C·kh·kw] · cols, written straight into NCHW output.
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

export function conv2d(run: GemmRunner, alloc: Alloc, x: FloatArray, xShape: Shape,
  w: FloatArray, wShape: Shape, attrs: Conv2dAttrs, outShape: Shape, out: FloatArray): void {
  const g = geometry(xShape, wShape, outShape, attrs);
  const [n, o] = [xShape[0], wShape[0]];
  const kk = g.c * g.kh * g.kw;
  const hw = g.ho * g.wo;
  const cols = alloc(kk * hw);
  for (let b = 0; b < n; b++) {
    im2col(x, b * g.c * g.h * g.w, g, cols);
    run({ m: o, n: hw, k: kk, a: w, aOffset: 0, transA: false, b: cols, bOffset: 0,
      transB: false, c: out, cOffset: b * o * hw });
  }
}

export function conv2dBackpropInput(run: GemmRunner, alloc: Alloc, dy: FloatArray,
  w: FloatArray, wShape: Shape, attrs: Conv2dAttrs, xShape: Shape, dyShape: Shape,
  dx: FloatArray): void {
  const g = geometry(xShape, wShape, dyShape, attrs);
  const [n, o] = [xShape[0], wShape[0]];
  const kk = g.c * g.kh * g.kw;
  const hw = g.ho * g.wo;
  const dcols = alloc(kk * hw);
  for (let b = 0; b < n; b++) {
    // dcols = Wᵀ · dy[b], then scattered back onto dx[b].
    run({ m: kk, n: hw, k: o, a: w, aOffset: 0, transA: true, b: dy, bOffset: b * o * hw,
      transB: false, c: dcols, cOffset: 0 });
    col2im(dcols, g, dx, b * g.c * g.h * g.w);
  }
}

export function conv2dBackpropFilter(run: GemmRunner, alloc: Alloc, x: FloatArray,
  xShape: Shape, dy: FloatArray, dyShape: Shape, attrs: Conv2dAttrs, wShape: Shape,
  dw: FloatArray): void {
  const g = geometry(xShape, wShape, dyShape, attrs);
  const [n, o] = [xShape[0], wShape[0]];
  const kk = g.c * g.kh * g.kw;
  const hw = g.ho * g.wo;
  const cols = alloc(kk * hw);
  for (let b = 0; b < n; b++) {
    // dW += dy[b] · cols[b]ᵀ
    im2col(x, b * g.c * g.h * g.w, g, cols);
    run({ m: o, n: kk, k: hw, a: dy, aOffset: b * o * hw, transA: false, b: cols, bOffset: 0,
      transB: true, c: dw, cOffset: 0, accumulate: b > 0 });
  }
}
