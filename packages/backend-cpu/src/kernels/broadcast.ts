/** Walking broadcast operands row by row: the innermost dim is a strided run. */
import type { Shape } from '@dlrt/core';

/**
 * Strides of `shape` seen from `outShape` under NumPy broadcasting (0 where it repeats), one
 * per axis of `outShape`; leading axes `shape` lacks get 0.
 * @example broadcastStrides([1, 20, 1, 1], [128, 20, 24, 24])   // [0, 1, 0, 0]
 */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const out = new Array<number>(outShape.length).fill(0);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const j = outShape.length - shape.length + i;
    out[j] = shape[i] === 1 ? 0 : acc;
    acc *= shape[i];
  }
  return out;
}

/**
 * Merges adjacent dims that every operand walks as one (contiguous, or broadcast in both), so
 * rows get as long as they can: [128, 20, 24, 24] + [1, 20, 1, 1] walks rows of 576, not 24.
 */
function coalesce(outShape: Shape, strides: readonly (readonly number[])[]):
  { shape: number[]; strides: number[][] } {
  const shape: number[] = [];
  const out: number[][] = strides.map(() => []);
  for (let d = outShape.length - 1; d >= 0; d--) {
    const merge = shape.length > 0 && strides.every((s, k) => s[d] === out[k][0] * shape[0]);
    if (merge) {
      shape[0] *= outShape[d];
    } else {
      shape.unshift(outShape[d]);
      strides.forEach((s, k) => out[k].unshift(s[d]));
    }
  }
  return { shape, strides: out };
}

/**
 * Calls `row(outOffset, offsets, length, steps)` once per innermost row of `outShape` (after
 * merging dims that can be walked as one), with the matching start offset and innermost step
 * of each operand. `offsets` is one array reused from row to row: read it, do not keep it.
 * @example forEachRow(out, [broadcastStrides(aShape, out), broadcastStrides(bShape, out)],
 *   (o, [ia, ib], n, [sa, sb]) => {
 *     for (let i = 0; i < n; i++) y[o + i] = a[ia + i * sa] + b[ib + i * sb];
 *   });
 */
export function forEachRow(
  fullShape: Shape,
  fullStrides: readonly (readonly number[])[],
  row: (out: number, offsets: readonly number[], length: number, steps: readonly number[]) => void,
): void {
  const { shape: outShape, strides } = coalesce(fullShape, fullStrides);
  const rank = outShape.length;
  const total = outShape.reduce((p, d) => p * d, 1);
  if (total === 0) return;
  if (rank === 0) {
    row(0, strides.map(() => 0), 1, strides.map(() => 0));
    return;
  }
  const len = outShape[rank - 1];
  const steps = strides.map((s) => s[rank - 1]);
  const idx = new Array<number>(rank - 1).fill(0);
  const offs = strides.map(() => 0);
  for (let out = 0; out < total; out += len) {
    row(out, offs, len, steps);
    // Advance the multi-index over the outer dims, updating each operand's offset.
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      for (let k = 0; k < strides.length; k++) offs[k] += strides[k][d];
      if (idx[d] < outShape[d]) break;
      for (let k = 0; k < strides.length; k++) offs[k] -= strides[k][d] * outShape[d];
      idx[d] = 0;
    }
  }
}
