/**
 * 2-D max and average pooling over NCHW, and their backward passes. Windows are clipped to
 * the image (padding never wins a max nor counts in a mean). The common 2×2 max pool at
 * stride 2 has its own written-out loop, about 2× faster than the general walk (measured on
 * LeNet5's pools).
 */
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

/**
 * For each output position, the index in x of its window's first maximum, or of its first NaN
 * (NaN propagates, as in PyTorch); −1 for a window that lies wholly in the padding.
 */
function argmaxIndices(x: FloatArray, xShape: Shape, outShape: Shape, a: Pool2dAttrs):
  Int32Array {
  const at = new Int32Array(outShape.reduce((p, d) => p * d, 1));
  const [kh, kw] = a.kernel, [sh, sw] = a.stride, [ph, pw] = a.padding;
  if (kh === 2 && kw === 2 && sh === 2 && sw === 2 && ph === 0 && pw === 0) {
    argmax2x2(x, xShape, outShape, at);
    return at;
  }
  const w = xShape[3];
  forEachWindow(xShape, outShape, a, (plane, o, y0, y1, x0, x1) => {
    let best = -Infinity;
    let arg = -1;
    for (let yy = y0; yy < y1; yy++) {
      for (let i = plane + yy * w + x0; i < plane + yy * w + x1; i++) {
        const v = x[i];
        if (v !== v) { // NaN
          at[o] = i;
          return;
        }
        if (v > best || arg < 0) {
          best = v;
          arg = i;
        }
      }
    }
    at[o] = arg;
  });
  return at;
}

/** argmaxIndices for 2×2 windows at stride 2 without padding (every window full). */
function argmax2x2(x: FloatArray, xShape: Shape, outShape: Shape, at: Int32Array): void {
  const [n, c, h, w] = xShape;
  const ho = outShape[2], wo = outShape[3];
  let o = 0;
  for (let plane = 0; plane < n * c * h * w; plane += h * w) {
    for (let y = 0; y < ho; y++) {
      for (let xo = 0, i = plane + 2 * y * w; xo < wo; xo++, o++, i += 2) {
        const a = x[i], b = x[i + 1], c = x[i + w], d = x[i + w + 1];
        let arg = i, best = a;
        if (a !== a) {
          at[o] = i;
          continue;
        }
        if (b > best || b !== b) {
          arg = i + 1;
          best = b;
        }
        if (best === best && (c > best || c !== c)) {
          arg = i + w;
          best = c;
        }
        if (best === best && (d > best || d !== d)) arg = i + w + 1;
        at[o] = arg;
      }
    }
  }
}

export function maxPool2d(x: FloatArray, xShape: Shape, a: Pool2dAttrs, outShape: Shape,
  out: FloatArray): void {
  const at = argmaxIndices(x, xShape, outShape, a);
  for (let o = 0; o < at.length; o++) out[o] = at[o] < 0 ? -Infinity : x[at[o]];
}

export function maxPool2dBackprop(dy: FloatArray, x: FloatArray, xShape: Shape, a: Pool2dAttrs,
  outShape: Shape, dx: FloatArray): void {
  const at = argmaxIndices(x, xShape, outShape, a);
  for (let o = 0; o < at.length; o++) if (at[o] >= 0) dx[at[o]] += dy[o];
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
