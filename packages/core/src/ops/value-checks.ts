/**
 * Checks on the values of a tensor, for ops whose kernels assume them (an index in range, a
 * float that fits int32). They read two or three reductions, so they are cheap next to the op.
 */
import { INT32_MAX, INT32_MIN } from '../dtype.js';
import { tidy } from '../scope.js';
import { fmt } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { mul } from './arithmetic.js';
import { max, min, sum } from './reduce.js';

/** The smallest and largest value of a non-empty tensor. */
function range(x: Tensor): [number, number] {
  return tidy(() => [min(x).item(), max(x).item()]);
}

/**
 * Throws `op: what range over [lo, hi], outside [0, n)` unless every value of the int32 tensor
 * `indices` is a valid index into a dim of size n.
 */
export function assertIndices(op: string, what: string, indices: Tensor, n: number): void {
  if (indices.size === 0) return;
  const [lo, hi] = range(indices);
  if (lo < 0 || hi >= n) {
    throw new Error(`${op}: ${what} range over [${lo}, ${hi}], outside [0, ${n})`);
  }
}

/**
 * Throws unless every value of the float tensor `x` is finite and inside the int32 range, so
 * that truncating it to int32 loses only its fraction (NaN would become 0, 3e9 would wrap).
 */
export function assertInt32Range(op: string, x: Tensor): void {
  if (x.size === 0) return;
  // x·0 is NaN exactly where x is NaN or ±∞.
  if (Number.isNaN(tidy(() => sum(mul(x, 0)).item()))) {
    throw new Error(`${op}: ${fmt(x.shape)} ${x.dtype} holds NaN or ±Infinity, which int32 ` +
      'cannot hold');
  }
  const [lo, hi] = range(x);
  if (lo < INT32_MIN || hi >= INT32_MAX + 1) {
    throw new Error(`${op}: ${fmt(x.shape)} ${x.dtype} ranges over [${lo}, ${hi}], outside ` +
      `int32's [${INT32_MIN}, ${INT32_MAX}]`);
  }
}
