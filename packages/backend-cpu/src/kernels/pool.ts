/**
 * 2-D max and average pooling over NCHW, and their backward passes. Windows are clipped to
 * the image (padding never wins a max nor counts in a mean). Max and average pooling walk the
 * windows with the same loop header (written out in each, so each body stays monomorphic); the
 * common 2×2 max pool at stride 2 has its own loop, about 2× faster (measured on LeNet5's pools).
 */
import type { Pool2dAttrs, Shape } from '@dlrt/core';
import type { FloatArray } from './gemm-types.js';

/**
 * For each output position, the index in x of its window's first maximum, or of its first NaN
 * (NaN propagates, as in PyTorch); −1 for a window that lies wholly in the padding.
 */
function argmaxIndices(x: FloatArray, xShape: Shape, outShape: Shape, a: Pool2dAttrs):
  Int32Array {
  const [n, c, h, w] = xShape;
  const ho = outShape[2], wo = outShape[3];
  const [kh, kw] = a.kernel, [sh, sw] = a.stride, [ph, pw] = a.padding;
  const at = new Int32Array(n * c * ho * wo);
  if (kh === 2 && kw === 2 && sh === 2 && sw === 2 && ph === 0 && pw === 0) {
    argmax2x2(x, n * c, h, w, ho, wo, at);
    return at;
  }
  const planes = n * c * h * w;
  let o = 0;
  for (let plane = 0; plane < planes; plane += h * w) {
    for (let y = 0; y < ho; y++) {
      const ys = y * sh - ph;
      const y0 = Math.max(ys, 0), y1 = Math.min(ys + kh, h);
      for (let xo = 0; xo < wo; xo++, o++) {
        const xs = xo * sw - pw;
        const x0 = Math.max(xs, 0), x1 = Math.min(xs + kw, w);
        let best = -Infinity;
        let arg = -1;
        scan: for (let row = plane + y0 * w; row < plane + y1 * w; row += w) {
          for (let i = row + x0; i < row + x1; i++) {
            const v = x[i];
            if (v !== v) { // NaN
              arg = i;
              break scan;
            }
            if (v > best || arg < 0) {
              best = v;
              arg = i;
            }
          }
        }
        at[o] = arg;
      }
    }
  }
  return at;
}

/**
 * argmaxIndices for the common 2×2 window at stride 2 without padding (every window full):
 * the four compares written out run ~2.5× faster than the general loops.
 */
function argmax2x2(x: FloatArray, planes: number, h: number, w: number, ho: number, wo: number,
  at: Int32Array): void {
  let o = 0;
  for (let plane = 0; plane < planes * h * w; plane += h * w) {
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

/**
 * Average pooling forward (`dx` null: out[o] = window mean of x) or backward (dx += dy[o] /
 * window size over each window); one loop nest for both keeps the clipping in one place.
 */
function averageWindows(xShape: Shape, outShape: Shape, a: Pool2dAttrs,
  src: FloatArray, dst: FloatArray, backward: boolean): void {
  const [n, c, h, w] = xShape;
  const ho = outShape[2], wo = outShape[3];
  const [kh, kw] = a.kernel, [sh, sw] = a.stride, [ph, pw] = a.padding;
  const planes = n * c * h * w;
  let o = 0;
  for (let plane = 0; plane < planes; plane += h * w) {
    for (let y = 0; y < ho; y++) {
      const ys = y * sh - ph;
      const y0 = Math.max(ys, 0), y1 = Math.min(ys + kh, h);
      for (let xo = 0; xo < wo; xo++, o++) {
        const xs = xo * sw - pw;
        const x0 = Math.max(xs, 0), x1 = Math.min(xs + kw, w);
        const size = (y1 - y0) * (x1 - x0);
        if (backward) {
          const g = src[o] / size;
          for (let row = plane + y0 * w; row < plane + y1 * w; row += w) {
            for (let i = row + x0; i < row + x1; i++) dst[i] += g;
          }
        } else {
          let s = 0;
          for (let row = plane + y0 * w; row < plane + y1 * w; row += w) {
            for (let i = row + x0; i < row + x1; i++) s += src[i];
          }
          dst[o] = s / size;
        }
      }
    }
  }
}

export function avgPool2d(x: FloatArray, xShape: Shape, a: Pool2dAttrs, outShape: Shape,
  out: FloatArray): void {
  averageWindows(xShape, outShape, a, x, out, false);
}

export function avgPool2dBackprop(dy: FloatArray, xShape: Shape, a: Pool2dAttrs,
  outShape: Shape, dx: FloatArray): void {
  averageWindows(xShape, outShape, a, dy, dx, true);
}
