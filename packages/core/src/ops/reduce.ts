/** Reductions along axes (with keepDims) and their gradients. */
import type { ReduceOp } from '../backend.js';
import { assertFloat } from '../dtype.js';
import { customOp, runOp } from '../run-op.js';
import { fmt, normAxes, normAxis, reducedShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { add, broadcastTo, div, equal, less, mul, sub, where } from './arithmetic.js';
import { clone, reshape } from './shape-ops.js';
import { abs, cast, exp, log } from './unary.js';

type Axes = number | readonly number[];

function reduce(op: ReduceOp, x: Tensor, axis: Axes | undefined, keepDims: boolean,
  grad?: (dyKept: Tensor, yKept: Tensor, axes: number[]) => Tensor): Tensor {
  x.assertLive(op);
  const axes = normAxes(op, axis, x.rank);
  if (axes.length === 0) return clone(x);
  const kept = reducedShape(x.shape, axes, true);
  if (op !== 'sum' && axes.some((a) => x.shape[a] === 0)) {
    throw new Error(`${op}: cannot reduce x ${fmt(x.shape)} over an empty axis`);
  }
  const dtype = op === 'argmax' || op === 'argmin' ? 'int32' : x.dtype;
  const y = runOp(op, [x], { shape: reducedShape(x.shape, axes, false), dtype },
    (k) => k.reduce(op, x, axes),
    grad && ((dy, out) => [grad(reshape(dy, kept), reshape(out, kept), axes)]));
  return keepDims ? reshape(y, kept) : y;
}

/**
 * Sum over `axis` (all axes when omitted).
 * @example sum(x, 1, true)   // row sums as a column
 */
export function sum(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  return reduce('sum', x, axis, keepDims, (dy) => broadcastTo(dy, x.shape));
}

/**
 * Arithmetic mean over `axis` (all axes when omitted; float dtypes).
 * @example mean(x, 0)   // x [N, D] → [D], the mean row
 */
export function mean(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  assertFloat('mean', 'x', x.dtype);
  const n = normAxes('mean', axis, x.rank).reduce((p, a) => p * x.shape[a], 1);
  return div(sum(x, axis, keepDims), n);
}

/** The gradient of max/min: dy shared evenly among the entries that attain the extreme. */
function extremeGrad(x: Tensor) {
  return (dy: Tensor, y: Tensor, axes: number[]): Tensor => {
    const mask = cast(equal(x, y), x.dtype);
    return div(mul(mask, dy), sum(mask, axes, true));
  };
}

/**
 * Largest entry over `axis` (all axes when omitted); an empty axis is an error. The gradient
 * is shared evenly among tied maxima.
 * @example max(x, -1, true)   // row maxima as a column
 */
export function max(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  return reduce('max', x, axis, keepDims, extremeGrad(x));
}

/**
 * Smallest entry over `axis` (all axes when omitted); an empty axis is an error. The gradient
 * is shared evenly among tied minima.
 * @example min(x).item()
 */
export function min(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  return reduce('min', x, axis, keepDims, extremeGrad(x));
}

/**
 * Index of the largest entry along `axis` (default the last; first on ties), int32.
 * @example argmax(logits)   // logits [N, C] → predicted classes [N]
 */
export function argmax(x: Tensor, axis = -1, keepDims = false): Tensor {
  return reduce('argmax', x, normAxis('argmax', axis, x.rank), keepDims);
}

/**
 * Index of the smallest entry along `axis` (default the last; first on ties), int32.
 * @example argmin(distances, 1)
 */
export function argmin(x: Tensor, axis = -1, keepDims = false): Tensor {
  return reduce('argmin', x, normAxis('argmin', axis, x.rank), keepDims);
}

/**
 * log Σ exp(x) over `axis`, computed stably as m + log Σ exp(x − m) with m the max (0 where
 * the max is infinite, so that rows of −∞ give −∞, not NaN). Gradient: dy · exp(x − y).
 * Float dtypes; all axes when `axis` is omitted.
 * @example logSumExp(logits, -1, true)   // [N, C] → [N, 1]
 */
export function logSumExp(x: Tensor, axis?: Axes, keepDims = false): Tensor {
  assertFloat('logSumExp', 'x', x.dtype);
  const axes = normAxes('logSumExp', axis, x.rank);
  const kept = reducedShape(x.shape, axes, true);
  return customOp('logSumExp', [x], () => {
    const top = max(x, axes, true);
    const m = where(less(abs(top), Infinity), top, 0);
    const y = add(log(sum(exp(sub(x, m)), axes, true)), m);
    return keepDims ? y : reshape(y, reducedShape(x.shape, axes, false));
  }, (dy, y) => [mul(reshape(dy, kept), exp(sub(x, reshape(y, kept))))]);
}
