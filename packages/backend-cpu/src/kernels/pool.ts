/** 2-D max and average pooling over NCHW, and their backward passes. */
import type { Pool2dAttrs, Shape } from '@dlrt/core';
import type { FloatArray } from './gemm-types.js';

/**
 * Visits every output position with its window clipped to the image:
 * `visit(plane offset, output index, y0, y1, x0, x1)`.
 */
function forEachWindow(xShape: Shape, outShape: Shape, a: Pool2dAttrs,
  visit: (plane: number, o: number, y0: number, y1: number, x0: number, x1: number) => void): void {
  const [n, c, h, w] = xShape;
  const [ho, wo] = [outShape[2], outShape[3]];
  let o = 0;
  for (let p = 0; p < n * c; p++) {
    const plane = p * h * w;
    for (let y = 0; y < ho; y++) {
      const ys = y * a.stride[0] - a.padding[0];
      const y0 = Math.max(ys, 0);
      const y1 = Math.min(ys + a.kernel[0], h);
      for (let x = 0; x < wo; x++, o++) {
        const xs = x * a.stride[1] - a.padding[1];
        visit(plane, o, y0, y1, Math.max(xs, 0), Math.min(xs + a.kernel[1], w));
      }
    }
  }
}

/** Index (in x) of the first maximum (or first NaN) of each window; −1 for an empty one. */
function argmaxWindows(x: FloatArray, xShape: Shape, outShape: Shape, a: Pool2dAttrs,
  each: (o: number, at: number) => void): void {
  const w = xShape[3];
  forEachWindow(xShape, outShape, a, (plane, o, y0, y1, x0, x1) => {
    let best = -Infinity;
    let at = -1;
    for (let yy = y0; yy < y1; yy++) {
      for (let xx = x0; xx < x1; xx++) {
        const i = plane + yy * w + xx;
        const v = x[i];
        if (Number.isNaN(v)) return each(o, i);   // NaN propagates, as in PyTorch
        if (v > best || at < 0) {
          best = v;
          at = i;
        }
      }
    }
    each(o, at);
  });
}

export function maxPool2d(x: FloatArray, xShape: Shape, a: Pool2dAttrs, outShape: Shape,
  out: FloatArray): void {
  argmaxWindows(x, xShape, outShape, a, (o, at) => (out[o] = at < 0 ? -Infinity : x[at]));
}

export function maxPool2dBackprop(dy: FloatArray, x: FloatArray, xShape: Shape, a: Pool2dAttrs,
  outShape: Shape, dx: FloatArray): void {
  argmaxWindows(x, xShape, outShape, a, (o, at) => {
    if (at >= 0) dx[at] += dy[o];
  });
}

export function avgPool2d(x: FloatArray, xShape: Shape, a: Pool2dAttrs, outShape: Shape,
  out: FloatArray): void {
  const w = xShape[3];
  forEachWindow(xShape, outShape, a, (plane, o, y0, y1, x0, x1) => {
    let s = 0;
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) s += x[plane + yy * w + xx];
    out[o] = s / ((y1 - y0) * (x1 - x0));
  });
}

export function avgPool2dBackprop(dy: FloatArray, xShape: Shape, a: Pool2dAttrs,
  outShape: Shape, dx: FloatArray): void {
  const w = xShape[3];
  forEachWindow(xShape, outShape, a, (plane, o, y0, y1, x0, x1) => {
    const g = dy[o] / ((y1 - y0) * (x1 - x0));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) dx[plane + yy * w + xx] += g;
  });
}
