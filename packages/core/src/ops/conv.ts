/** 2-D convolution and pooling on NCHW tensors, with their gradients. */
import type { Conv2dAttrs, Pool2dAttrs } from '../backend.js';
import { assertFloat } from '../dtype.js';
import { runOp } from '../run-op.js';
import { fmt } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** A number for both spatial dims, or [height, width]. */
export type Pair = number | readonly [number, number];

/** Options of `conv2d` and `conv2dOutputSize`. */
export interface Conv2dOptions {
  /** Step of the window (default 1). */
  stride?: Pair;
  /** Zeros added on each side of H and W (default 0). */
  padding?: Pair;
  /** Spacing between filter taps (default 1: contiguous). */
  dilation?: Pair;
}

/** Options of `maxPool2d` and `avgPool2d`. */
export interface Pool2dOptions {
  /** Window size. */
  kernelSize: Pair;
  /** Defaults to kernelSize. */
  stride?: Pair;
  /** Implicit padding on each side (default 0), at most half of `kernelSize`. */
  padding?: Pair;
}

function pair(op: string, name: string, v: Pair, min: number): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (p.some((x) => !Number.isInteger(x) || x < min)) {
    throw new Error(`${op}: ${name} ${JSON.stringify(v)} must be integers ≥ ${min}`);
  }
  return p;
}

function outSize(op: string, x: Tensor, size: number, k: number, s: number, p: number, d: number,
  dim: string): number {
  const n = Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
  if (n < 1) {
    throw new Error(`${op}: x ${fmt(x.shape)}: window ${k} (dilation ${d}) exceeds padded ` +
      `${dim} ${size + 2 * p}`);
  }
  return n;
}

function convAttrs(op: string, opts: Conv2dOptions): Conv2dAttrs {
  return {
    stride: pair(op, 'stride', opts.stride ?? 1, 1),
    padding: pair(op, 'padding', opts.padding ?? 0, 0),
    dilation: pair(op, 'dilation', opts.dilation ?? 1, 1),
  };
}

/**
 * [H', W'], the spatial size of conv2d(x, w, opts) for x [N, C, H, W] and a kh×kw window
 * (layers use it to cost their forward paths); a window that does not fit is an error.
 * @example conv2dOutputSize(x, [5, 5], { padding: 2 })   // x [8,1,28,28] → [28, 28]
 */
export function conv2dOutputSize(x: Tensor, kernel: readonly [number, number],
  opts: Conv2dOptions = {}): [number, number] {
  const { stride: s, padding: p, dilation: d } = convAttrs('conv2d', opts);
  return [outSize('conv2d', x, x.shape[2], kernel[0], s[0], p[0], d[0], 'height'),
    outSize('conv2d', x, x.shape[3], kernel[1], s[1], p[1], d[1], 'width')];
}

/**
 * Cross-correlation of x [N, C, H, W] with filters w [O, C, kh, kw] (as in PyTorch).
 * @example conv2d(x, w, { stride: 1, padding: 2 })
 */
export function conv2d(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
  x.assertLive('conv2d');
  w.assertLive('conv2d');
  if (x.rank !== 4 || w.rank !== 4) {
    throw new Error(`conv2d: x ${fmt(x.shape)} must be [N,C,H,W] and w ${fmt(w.shape)} [O,C,kh,kw]`);
  }
  if (x.shape[1] !== w.shape[1]) {
    throw new Error(`conv2d: x ${fmt(x.shape)} vs w ${fmt(w.shape)}: channels ` +
      `${x.shape[1]} ≠ ${w.shape[1]}`);
  }
  if (x.dtype !== w.dtype) throw new Error(`conv2d: dtypes ${x.dtype} vs ${w.dtype}`);
  assertFloat('conv2d', 'x', x.dtype);
  const attrs = convAttrs('conv2d', opts);
  const shape = [x.shape[0], w.shape[0], ...conv2dOutputSize(x, [w.shape[2], w.shape[3]], opts)];
  return runOp('conv2d', [x, w], { shape, dtype: x.dtype }, (k) => k.conv2d(x, w, attrs, shape),
    (dy, _, needs) => [
      needs[0] ? runOp('conv2dBackpropInput', [dy, w], { shape: x.shape, dtype: x.dtype },
        (k) => k.conv2dBackpropInput(dy, w, attrs, x.shape)) : null,
      needs[1] ? runOp('conv2dBackpropFilter', [x, dy], { shape: w.shape, dtype: w.dtype },
        (k) => k.conv2dBackpropFilter(x, dy, attrs, w.shape)) : null,
    ]);
}

function poolAttrs(op: string, x: Tensor, opts: Pool2dOptions): [Pool2dAttrs, number[]] {
  x.assertLive(op);
  if (x.rank !== 4) throw new Error(`${op}: x ${fmt(x.shape)} must be [N,C,H,W]`);
  assertFloat(op, 'x', x.dtype);
  const kernel = pair(op, 'kernelSize', opts.kernelSize, 1);
  const attrs: Pool2dAttrs = {
    kernel,
    stride: pair(op, 'stride', opts.stride ?? kernel, 1),
    padding: pair(op, 'padding', opts.padding ?? 0, 0),
  };
  if (attrs.padding.some((p, i) => 2 * p > kernel[i])) {
    throw new Error(`${op}: padding [${attrs.padding}] must be at most half of kernelSize [${kernel}]`);
  }
  const [n, c, h, w] = x.shape;
  const shape = [n, c, outSize(op, x, h, kernel[0], attrs.stride[0], attrs.padding[0], 1, 'height'),
    outSize(op, x, w, kernel[1], attrs.stride[1], attrs.padding[1], 1, 'width')];
  return [attrs, shape];
}

/**
 * Max over each window; padding never wins. The gradient goes to the first maximum.
 * @example maxPool2d(x, { kernelSize: 2 })
 */
export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const [attrs, shape] = poolAttrs('maxPool2d', x, opts);
  return runOp('maxPool2d', [x], { shape, dtype: x.dtype }, (k) => k.maxPool2d(x, attrs, shape),
    (dy) => [runOp('maxPool2dBackprop', [dy, x], { shape: x.shape, dtype: x.dtype },
      (k) => k.maxPool2dBackprop(dy, x, attrs))]);
}

/**
 * Mean over each window's in-bounds entries (padding is not counted), for x [N, C, H, W].
 * @example avgPool2d(x, { kernelSize: 2 })   // x [8, 16, 28, 28] → [8, 16, 14, 14]
 */
export function avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const [attrs, shape] = poolAttrs('avgPool2d', x, opts);
  return runOp('avgPool2d', [x], { shape, dtype: x.dtype }, (k) => k.avgPool2d(x, attrs, shape),
    (dy) => [runOp('avgPool2dBackprop', [dy], { shape: x.shape, dtype: x.dtype },
      (k) => k.avgPool2dBackprop(dy, attrs, x.shape))]);
}
