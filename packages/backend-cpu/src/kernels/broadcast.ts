/** Walking broadcast operands row by row: the innermost dim is a strided run. */
import type { Shape } from '@dlrt/core';

/** Strides of `shape` seen from `outShape` under NumPy broadcasting (0 where it repeats). */
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
 * Calls `row(outOffset, offsets, length, steps)` once per innermost row of `outShape`, with the
 * matching start offset and innermost step of each operand.
 */
export function forEachRow(
  outShape: Shape,
  strides: readonly (readonly number[])[],
  row: (out: number, offsets: readonly number[], length: number, steps: readonly number[]) => void,
): void {
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
