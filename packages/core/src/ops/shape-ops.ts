/** Shape ops: reshape, transpose, slice, concat, stack, pad, gather; each with its gradient. */
import { assertInt32 } from '../dtype.js';
import { runOp, viewOp } from '../run-op.js';
import { checkPerm, fmt, normAxis, type Shape, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { assertIndices } from './value-checks.js';

/**
 * The same values under a new shape; one dim may be −1 (inferred). Shares storage, no copy.
 * @example reshape(x, [-1, 784])
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  x.assertLive('reshape');
  const free = shape.filter((d) => d === -1).length;
  const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
  if (free > 1 || shape.some((d) => !Number.isInteger(d) || d < -1)) {
    throw new Error(`reshape: invalid target shape ${fmt(shape)}`);
  }
  const out = shape.map((d) => (d === -1 ? (known === 0 ? 0 : x.size / known) : d));
  if (sizeOf(out) !== x.size || !out.every(Number.isInteger)) {
    throw new Error(`reshape: cannot reshape ${fmt(x.shape)} (${x.size} values) to ${fmt(shape)}`);
  }
  if (out.length === x.rank && out.every((d, i) => d === x.shape[i])) return clone(x);
  return viewOp('reshape', x, out, (dy) => [reshape(dy, x.shape)]);
}

/**
 * A new tensor with x's values. It shares x's storage (tensors are immutable), so it is free,
 * and disposing one leaves the other intact.
 * @example const y = clone(x); x.dispose();   // y still holds the values
 */
export function clone(x: Tensor): Tensor {
  x.assertLive('clone');
  return viewOp('clone', x, x.shape, (dy) => [dy]);
}

/**
 * Adds a size-1 dim at `axis` (default 0; −1 appends). Shares storage, like reshape.
 * @example expandDims(x, -1)   // x [N] → [N, 1]
 */
export function expandDims(x: Tensor, axis = 0): Tensor {
  const a = normAxis('expandDims', axis, x.rank + 1);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

/**
 * Removes size-1 dims (all of them, or those in `axes`; an axis whose dim is not 1 is an
 * error). Shares storage, like reshape.
 * @example squeeze(x, [1])   // x [N, 1] → [N]
 */
export function squeeze(x: Tensor, axes?: readonly number[]): Tensor {
  const drop = new Set(axes?.map((a) => normAxis('squeeze', a, x.rank)) ??
    x.shape.flatMap((d, i) => (d === 1 ? [i] : [])));
  for (const a of drop) {
    if (x.shape[a] !== 1) throw new Error(`squeeze: dim ${a} of ${fmt(x.shape)} is not 1`);
  }
  return reshape(x, x.shape.filter((_, i) => !drop.has(i)));
}

/**
 * Permutes dims (reverses them when `perm` is omitted).
 * @example transpose(x, [0, 2, 1])
 */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  x.assertLive('transpose');
  const p = perm ?? x.shape.map((_, i) => x.rank - 1 - i);
  checkPerm('transpose', p, x.rank);
  if (p.every((v, i) => v === i)) return clone(x);
  const inverse = new Array<number>(p.length);
  p.forEach((v, i) => (inverse[v] = i));
  return runOp('transpose', [x], { shape: p.map((a) => x.shape[a]), dtype: x.dtype },
    (k) => k.transpose(x, p), (dy) => [transpose(dy, inverse)]);
}

/**
 * A block of x starting at `begin`, of `size` (−1: to the end of that dim).
 * @example slice(x, [0, 2], [-1, 3])   // columns 2..4 of every row
 */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  x.assertLive('slice');
  if (begin.length !== x.rank || (size && size.length !== x.rank)) {
    throw new Error(`slice: begin [${begin}] and size [${size ?? ''}] must have rank ${x.rank} ` +
      `like x ${fmt(x.shape)}`);
  }
  const sz = x.shape.map((d, i) => (size === undefined || size[i] === -1 ? d - begin[i] : size[i]));
  x.shape.forEach((d, i) => {
    if (!Number.isInteger(begin[i]) || !Number.isInteger(sz[i]) || begin[i] < 0 || sz[i] < 0 ||
        begin[i] + sz[i] > d) {
      throw new Error(`slice: begin [${begin}] size [${sz}] is out of bounds for ${fmt(x.shape)}`);
    }
  });
  if (sz.every((d, i) => d === x.shape[i])) return clone(x);
  return runOp('slice', [x], { shape: sz, dtype: x.dtype }, (k) => k.slice(x, begin, sz),
    (dy) => [pad(dy, x.shape.map((d, i) => [begin[i], d - begin[i] - sz[i]] as [number, number]))]);
}

/**
 * Pads each dim with `paddings[i] = [before, after]` entries of `value`.
 * @example pad(x, [[0, 0], [2, 2]])
 */
export function pad(x: Tensor, paddings: readonly (readonly [number, number])[], value = 0): Tensor {
  x.assertLive('pad');
  if (paddings.length !== x.rank ||
      paddings.some((p) => p.length !== 2 || p.some((v) => !Number.isInteger(v) || v < 0))) {
    throw new Error(`pad: paddings ${JSON.stringify(paddings)} must be ${x.rank} pairs of ` +
      `non-negative integers for x ${fmt(x.shape)}`);
  }
  // An int32 x would store a fractional or out-of-range fill truncated or wrapped.
  if (x.dtype === 'int32') assertInt32('pad', value, '(the fill value, for int32 x)');
  const shape = x.shape.map((d, i) => d + paddings[i][0] + paddings[i][1]);
  return runOp('pad', [x], { shape, dtype: x.dtype }, (k) => k.pad(x, paddings, value),
    (dy) => [slice(dy, paddings.map((p) => p[0]), x.shape)]);
}

/**
 * Joins tensors along an existing `axis`; other dims and dtypes must match.
 * @example concat([a, b], 1)
 */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error('concat: needs at least one tensor');
  const first = xs[0];
  const a = normAxis('concat', axis, first.rank);
  for (const [i, t] of xs.entries()) {
    t.assertLive('concat');
    if (t.rank !== first.rank || t.dtype !== first.dtype ||
        t.shape.some((d, j) => j !== a && d !== first.shape[j])) {
      throw new Error(`concat: tensor ${i} ${fmt(t.shape)} ${t.dtype} does not match tensor 0 ` +
        `${fmt(first.shape)} ${first.dtype} off axis ${a}`);
    }
  }
  if (xs.length === 1) return clone(first);
  const shape = [...first.shape];
  shape[a] = xs.reduce((s, t) => s + t.shape[a], 0);
  return runOp('concat', xs, { shape, dtype: first.dtype }, (k) => k.concat(xs, a), (dy) => {
    let offset = 0;
    return xs.map((t) => {
      const begin = t.shape.map((_, j) => (j === a ? offset : 0));
      offset += t.shape[a];
      return slice(dy, begin, t.shape);
    });
  });
}

/**
 * Joins same-shape tensors along a new `axis` (default 0).
 * @example stack([a, b, c], 0)   // three [2, 3] → [3, 2, 3]
 */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error('stack: needs at least one tensor');
  const a = normAxis('stack', axis, xs[0].rank + 1);
  for (const [i, t] of xs.entries()) {
    if (t.rank !== xs[0].rank || t.shape.some((d, j) => d !== xs[0].shape[j])) {
      throw new Error(`stack: tensor ${i} ${fmt(t.shape)} differs from tensor 0 ${fmt(xs[0].shape)}`);
    }
  }
  return concat(xs.map((t) => expandDims(t, a)), a);
}

/**
 * Entries of x along `axis` at int32 `indices`; the result's shape is
 * x.shape[:axis] + indices.shape + x.shape[axis+1:].
 * @example gather(embeddings, tokenIds, 0)
 */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  x.assertLive('gather');
  indices.assertLive('gather');
  if (indices.dtype !== 'int32') {
    throw new Error(`gather: indices must be int32, got ${indices.dtype} ${fmt(indices.shape)}`);
  }
  const a = normAxis('gather', axis, x.rank);
  assertIndices('gather', 'indices', indices, x.shape[a]);
  const shape: Shape = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)];
  return runOp('gather', [x, indices], { shape, dtype: x.dtype },
    (k) => k.gather(x, indices, a),
    (dy) => [runOp('scatterAdd', [dy, indices], { shape: x.shape, dtype: x.dtype },
      (k) => k.scatterAdd(dy, indices, a, x.shape)), null]);
}
