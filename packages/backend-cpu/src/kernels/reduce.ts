/** Reductions: sum, max, min, argmax, argmin over sorted axes. */
import type { DType, ReduceOp, Shape, TypedArray } from '@dlrt/core';
import type { OutAlloc } from './alloc.js';
import { allocArray, sizeOf } from '@dlrt/core';
import { transpose } from './layout.js';

/**
 * Moves the reduced axes last (a copy, unless they already are), then folds each contiguous
 * run of `inner` values into one output.
 */
export function reduce(op: ReduceOp, x: TypedArray, shape: Shape, axes: readonly number[],
  dtype: DType, alloc: OutAlloc = allocArray): TypedArray {
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const inner = sizeOf(axes.map((a) => shape[a]));
  const outer = sizeOf(kept.map((a) => shape[a]));
  const outDtype: DType = op === 'argmax' || op === 'argmin' ? 'int32' : dtype;
  const out = alloc(outDtype, outer);
  const leading = axes.every((a, i) => a === i);
  if (op === 'sum' && leading && axes.length < shape.length) {
    // Sum of leading axes (bias gradients): add whole rows, no transpose, in float64 sums
    // row by row, as the wasm backend's sumLeadingF32.
    const acc = new Float64Array(outer);
    for (let r = 0; r < inner; r++) {
      const base = r * outer;
      for (let j = 0; j < outer; j++) acc[j] += x[base + j];
    }
    out.set(acc);
    return out;
  }
  const trailing = axes.every((a, i) => a === shape.length - axes.length + i);
  const middle = kept.every((a, i) => a === kept[0] + i);
  if (op === 'sum' && !trailing && middle) {
    // Kept axes in one block (a conv bias gradient keeps axis 1 of [N, C, H, W]): sum in
    // place, in the order the transposed fold below would, with float64 sums as it has.
    const before = sizeOf(shape.slice(0, kept[0])), after = inner / before;
    const acc = new Float64Array(outer);
    for (let b = 0, i = 0; b < before; b++) {
      for (let k = 0; k < outer; k++) {
        let sk = acc[k];
        for (const end = i + after; i < end; i++) sk += x[i];
        acc[k] = sk;
      }
    }
    out.set(acc);
    return out;
  }
  const src = trailing ? x : transpose(x, shape, [...kept, ...axes], dtype);
  for (let o = 0; o < outer; o++) out[o] = fold(op, src, o * inner, inner);
  return out;
}

/**
 * Σ v[start, start + n) in float64, in eight interleaved partial sums sₖ (element i to sum
 * i mod 8), combined as ((s₀ + s₄) + (s₂ + s₆)) + ((s₁ + s₅) + (s₃ + s₇)): independent
 * dependency chains instead of one, in the order of the wasm backend's SIMD sum
 * (assembly/reduce.ts: four f64x2 accumulators), so both give the same bits.
 */
export function sumRun(v: TypedArray, start: number, n: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
  let i = start;
  for (const end8 = start + n - (n % 8); i < end8; i += 8) {
    s0 += v[i]; s1 += v[i + 1]; s2 += v[i + 2]; s3 += v[i + 3];
    s4 += v[i + 4]; s5 += v[i + 5]; s6 += v[i + 6]; s7 += v[i + 7];
  }
  const left = start + n - i;
  if (left > 0) s0 += v[i];
  if (left > 1) s1 += v[i + 1];
  if (left > 2) s2 += v[i + 2];
  if (left > 3) s3 += v[i + 3];
  if (left > 4) s4 += v[i + 4];
  if (left > 5) s5 += v[i + 5];
  if (left > 6) s6 += v[i + 6];
  return ((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7));
}

function fold(op: ReduceOp, v: TypedArray, start: number, n: number): number {
  const end = start + n;
  if (op === 'sum') return sumRun(v, start, n);
  if (op === 'max' || op === 'min') {
    let m = op === 'max' ? -Infinity : Infinity;
    for (let i = start; i < end; i++) {
      const x = v[i];
      if (Number.isNaN(x)) return NaN;
      if (op === 'max' ? x > m : x < m) m = x;
    }
    return m;
  }
  let best = 0;
  for (let i = start + 1; i < end; i++) {
    const x = v[i];
    const b = v[start + best];
    if (Number.isNaN(b)) break;
    if (Number.isNaN(x) || (op === 'argmax' ? x > b : x < b)) best = i - start;
  }
  return best;
}
