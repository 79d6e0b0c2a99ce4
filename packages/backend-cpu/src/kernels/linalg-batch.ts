/**
 * Runs the float64 linear-algebra kernels (../linalg) over every matrix of a batch: each
 * matrix is copied out as float64, factored, and its results written back in the tensor's
 * dtype (float32 inputs are computed in float64 and rounded once).
 */
import type { DType, Shape, TypedArray } from '@dlrt/core';
import type { OutAlloc } from './alloc.js';
import { allocArray } from '@dlrt/core';
import { inner } from '../linalg/inner.js';

/** One matrix (and the matching matrix of a second input) in, one array per result out. */
export type MatrixKernel =
  (a: Float64Array, rows: number, cols: number, b?: Float64Array) => readonly Float64Array[];

/**
 * `sizes[j]` is the length of result j per matrix; `fn` gets one matrix (and, for two-input
 * kernels, the matching matrix of `second`) and returns one Float64Array per result.
 */
export function perMatrix(x: TypedArray, shape: Shape, dtype: DType, sizes: readonly number[],
  fn: MatrixKernel, second?: { values: TypedArray; cols: number },
  alloc: OutAlloc = allocArray): TypedArray[] {
  const [m, n] = shape.slice(-2);
  const per = m * n;
  const count = per === 0 ? shape.slice(0, -2).reduce((p, d) => p * d, 1) : x.length / per;
  const outs = sizes.map((s) => alloc(dtype, s * count));
  const copy = (src: TypedArray) => {              // float64, where the inner loops run
    const y = inner().alloc(src.length);
    y.set(src);
    return y;
  };
  for (let i = 0; i < count; i++) {
    const a = copy(x.subarray(i * per, (i + 1) * per));
    const bPer = second ? m * second.cols : 0;
    const b = second && copy(second.values.subarray(i * bPer, (i + 1) * bPer));
    const results = fn(a, m, n, b);
    results.forEach((r, j) => outs[j].set(r, i * sizes[j]));
  }
  return outs;
}
