/** Data-movement kernels: transpose, slice, pad, concat, gather and its adjoint scatterAdd. */
import type { DType, Shape, TypedArray } from '@dlrt/core';
import type { OutAlloc } from './alloc.js';
import { allocArray, sizeOf, stridesOf } from '@dlrt/core';
import { forEachRow } from './broadcast.js';

/**
 * Copies x[from, from + len) to out[to, …). Short runs are copied by a loop: a `subarray`
 * allocates a view, which costs more than copying a few dozen numbers (concat of two [500, 8]
 * bases made 1,000 views).
 */
export function copyRun(out: TypedArray, to: number, x: TypedArray, from: number, len: number):
  void {
  if (len >= 64) {
    out.set(x.subarray(from, from + len), to);
    return;
  }
  for (let j = 0; j < len; j++) out[to + j] = x[from + j];
}

export function transpose(x: TypedArray, shape: Shape, perm: readonly number[], dtype: DType,
  alloc: OutAlloc = allocArray): TypedArray {
  const outShape = perm.map((p) => shape[p]);
  const out = alloc(dtype, x.length);
  const inStrides = stridesOf(shape);
  // Reading x through permuted strides while writing the output in order.
  const strides = [perm.map((p) => inStrides[p])];
  forEachRow(outShape, strides, (o, [i], len, [s]) => {
    for (let j = 0; j < len; j++) out[o + j] = x[i + j * s];
  });
  return out;
}

export function slice(x: TypedArray, shape: Shape, begin: readonly number[],
  size: readonly number[], dtype: DType, alloc: OutAlloc = allocArray): TypedArray {
  const out = alloc(dtype, sizeOf(size));
  const strides = stridesOf(shape);
  const start = begin.reduce((acc, b, i) => acc + b * strides[i], 0);
  forEachRow(size, [strides], (o, [i], len) => {
    copyRun(out, o, x, start + i, len);
  });
  return out;
}

export function pad(x: TypedArray, shape: Shape, paddings: readonly (readonly [number, number])[],
  value: number, dtype: DType, alloc: OutAlloc = allocArray): TypedArray {
  const outShape = shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
  const out = alloc(dtype, sizeOf(outShape));
  if (value !== 0) out.fill(value);
  const outStrides = stridesOf(outShape);
  const start = paddings.reduce((acc, p, i) => acc + p[0] * outStrides[i], 0);
  // Each input row lands at its shifted place in the output.
  forEachRow(shape, [outStrides], (i, [o], len) => {
    copyRun(out, start + o, x, i, len);
  });
  return out;
}

export function concat(xs: readonly { values: TypedArray; shape: Shape }[], axis: number,
  dtype: DType, alloc: OutAlloc = allocArray): TypedArray {
  const shape0 = xs[0].shape;
  const outer = sizeOf(shape0.slice(0, axis));
  const inner = sizeOf(shape0.slice(axis + 1));
  const total = xs.reduce((s, x) => s + x.values.length, 0);
  const out = alloc(dtype, total);
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (const x of xs) {
      const chunk = x.shape[axis] * inner;
      copyRun(out, o, x.values, i * chunk, chunk);
      o += chunk;
    }
  }
  return out;
}

function checkIndex(op: string, idx: number, dim: number, axis: number): void {
  if (!(idx >= 0 && idx < dim)) {
    throw new Error(`${op}: index ${idx} is out of range [0, ${dim}) on axis ${axis}`);
  }
}

export function gather(x: TypedArray, shape: Shape, indices: TypedArray, axis: number,
  dtype: DType, alloc: OutAlloc = allocArray): TypedArray {
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1));
  const dim = shape[axis];
  const out = alloc(dtype, outer * indices.length * inner);
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (let k = 0; k < indices.length; k++) {
      const idx = indices[k];
      checkIndex('gather', idx, dim, axis);
      const src = (i * dim + idx) * inner;
      copyRun(out, o, x, src, inner);
      o += inner;
    }
  }
  return out;
}

export function scatterAdd(updates: TypedArray, indices: TypedArray, axis: number,
  outShape: Shape, dtype: DType, alloc: OutAlloc = allocArray): TypedArray {
  const outer = sizeOf(outShape.slice(0, axis));
  const inner = sizeOf(outShape.slice(axis + 1));
  const dim = outShape[axis];
  const out = alloc(dtype, sizeOf(outShape));
  let u = 0;
  for (let i = 0; i < outer; i++) {
    for (let k = 0; k < indices.length; k++) {
      const idx = indices[k];
      checkIndex('scatterAdd', idx, dim, axis);
      const dst = (i * dim + idx) * inner;
      for (let j = 0; j < inner; j++) out[dst + j] += updates[u++];
    }
  }
  return out;
}
