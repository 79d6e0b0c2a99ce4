/** Elementwise binary ops with NumPy broadcasting, `where`, and their gradients. */
import type { ArithmeticOp, BinaryOp, CompareOp } from '../backend.js';
import { allocArray, assertInt32 } from '../dtype.js';
import { runOp } from '../run-op.js';
import { broadcastShapes, fmt, type Shape, shapesEqual } from '../shape.js';
import { Tensor } from '../tensor.js';
import { fromValues } from './creation.js';
import { log, neg } from './unary.js';
import { clone, reshape } from './shape-ops.js';
import { sum } from './reduce.js';

/**
 * A number becomes a scalar of `like`'s dtype on the active backend. For an int32 `like` it
 * must be an int32 value: `add(i, 0.5)` would add 0, and `where(mask, 0.5, 1.5)` (both numbers
 * take the int32 mask's dtype) would give 0 and 1. A tensor `v` is returned as is.
 * @example asTensor('myOp', 2, x)   // a scalar of x's dtype
 */
export function asTensor(op: string, v: Tensor | number, like: Tensor): Tensor {
  if (v instanceof Tensor) return v;
  if (typeof v !== 'number') throw new Error(`${op}: expected a Tensor or a number, got ${typeof v}`);
  if (like.dtype === 'int32') {
    assertInt32(op, v, `(a number operand, taking int32 from the tensor ${fmt(like.shape)})`);
  }
  const a = allocArray(like.dtype, 1);
  a[0] = v;
  return fromValues(op, a, [], like.dtype);
}

function operands(op: string, a: Tensor | number, b: Tensor | number): [Tensor, Tensor, number[]] {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) {
    throw new Error(`${op}: at least one operand must be a Tensor`);
  }
  const ta = asTensor(op, a, b instanceof Tensor ? b : (a as Tensor));
  const tb = asTensor(op, b, ta);
  if (ta.dtype !== tb.dtype) {
    throw new Error(`${op}: dtypes differ: a ${fmt(ta.shape)} ${ta.dtype} vs ` +
      `b ${fmt(tb.shape)} ${tb.dtype} (cast one first)`);
  }
  return [ta, tb, broadcastShapes(op, ta.shape, tb.shape)];
}

/**
 * Sums `dy` over the axes that broadcasting added or stretched, back to `shape`: the gradient
 * of an input that was broadcast. Returns `dy` itself when the shapes already match.
 * @example reduceTo(dy, [1, 3])   // dy [4, 3] → [1, 3] (column sums)
 */
export function reduceTo(dy: Tensor, shape: Shape): Tensor {
  if (shapesEqual(dy.shape, shape)) return dy;
  const lead = dy.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < dy.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && dy.shape[i] !== 1)) axes.push(i);
  }
  return reshape(axes.length ? sum(dy, axes) : dy, shape);
}

function arithmetic(op: ArithmeticOp, a: Tensor | number, b: Tensor | number,
  grad: (dy: Tensor, x: Tensor, y: Tensor, out: Tensor, needs: readonly boolean[]) =>
    [Tensor | null, Tensor | null]): Tensor {
  const [x, y, shape] = operands(op, a, b);
  return runOp(op, [x, y], { shape, dtype: x.dtype }, (k) => k.binary(op, x, y, shape),
    (dy, out, needs) => {
      const [dx, dyy] = grad(dy, x, y, out, needs);
      return [dx && reduceTo(dx, x.shape), dyy && reduceTo(dyy, y.shape)];
    });
}

/** a + b, broadcasting. @example add(x, 1) */
export function add(a: Tensor | number, b: Tensor | number): Tensor {
  return arithmetic('add', a, b, (dy) => [dy, dy]);
}

/** a − b, broadcasting. @example sub(1, p) */
export function sub(a: Tensor | number, b: Tensor | number): Tensor {
  return arithmetic('sub', a, b, (dy, _x, _y, _o, needs) => [dy, needs[1] ? neg(dy) : null]);
}

/** a · b elementwise, broadcasting. @example mul(x, 0.5) */
export function mul(a: Tensor | number, b: Tensor | number): Tensor {
  return arithmetic('mul', a, b, (dy, x, y, _, needs) => [
    needs[0] ? mul(dy, y) : null, needs[1] ? mul(dy, x) : null]);
}

/** a / b elementwise (int32: floor division). @example div(x, x.sum(-1, true)) */
export function div(a: Tensor | number, b: Tensor | number): Tensor {
  return arithmetic('div', a, b, (dy, x, y, out, needs) => [
    needs[0] ? div(dy, y) : null, needs[1] ? neg(div(mul(dy, out), y)) : null]);
}

/**
 * a ** b elementwise; d/da is 0 where b = 0 (a⁰ = 1); d/db uses log a and is 0 where a ≤ 0.
 * @example pow(x, 3)
 */
export function pow(a: Tensor | number, b: Tensor | number): Tensor {
  return arithmetic('pow', a, b, (dy, x, y, out, needs) => [
    needs[0] ? where(equal(y, 0), 0, mul(dy, mul(y, pow(x, sub(y, 1))))) : null,
    needs[1] ? where(greater(x, 0), mul(dy, mul(out, log(where(greater(x, 0), x, 1)))), 0) : null,
  ]);
}

/** Elementwise larger value; on ties the gradient goes to a. @example maximum(x, 0) */
export function maximum(a: Tensor | number, b: Tensor | number): Tensor {
  return arithmetic('maximum', a, b, (dy, x, y) => {
    const m = greaterEqual(x, y);
    return [where(m, dy, 0), where(m, 0, dy)];
  });
}

/** Elementwise smaller value; on ties the gradient goes to a. @example minimum(x, 1) */
export function minimum(a: Tensor | number, b: Tensor | number): Tensor {
  return arithmetic('minimum', a, b, (dy, x, y) => {
    const m = lessEqual(x, y);
    return [where(m, dy, 0), where(m, 0, dy)];
  });
}

function compare(op: CompareOp, a: Tensor | number, b: Tensor | number): Tensor {
  const [x, y, shape] = operands(op, a, b);
  return runOp(op, [x, y], { shape, dtype: 'int32' }, (k) => k.binary(op as BinaryOp, x, y, shape));
}

/**
 * a = b as an int32 mask of 0 and 1, broadcasting. Comparisons are not differentiable; both
 * operands must share a dtype.
 * @example equal(argmax(logits), labels).sum()   // number correct
 */
export const equal = (a: Tensor | number, b: Tensor | number) => compare('equal', a, b);
/** a ≠ b as an int32 mask of 0 and 1, broadcasting. @example notEqual(ids, padId) */
export const notEqual = (a: Tensor | number, b: Tensor | number) => compare('notEqual', a, b);
/** a < b as an int32 mask of 0 and 1, broadcasting. @example less(x, 0) */
export const less = (a: Tensor | number, b: Tensor | number) => compare('less', a, b);
/** a ≤ b as an int32 mask of 0 and 1, broadcasting. @example lessEqual(x, y) */
export const lessEqual = (a: Tensor | number, b: Tensor | number) => compare('lessEqual', a, b);
/** a > b as an int32 mask of 0 and 1, broadcasting. @example where(greater(x, 0), x, 0) */
export const greater = (a: Tensor | number, b: Tensor | number) => compare('greater', a, b);
/** a ≥ b as an int32 mask of 0 and 1, broadcasting. @example greaterEqual(x, y) */
export const greaterEqual = (a: Tensor | number, b: Tensor | number) =>
  compare('greaterEqual', a, b);

/**
 * cond ≠ 0 ? a : b, all three broadcasting together.
 * @example where(greater(x, 0), x, 0)   // relu
 */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  if (!(cond instanceof Tensor)) throw new Error('where: cond must be a Tensor');
  const like = a instanceof Tensor ? a : b instanceof Tensor ? b : cond;
  const ta = asTensor('where', a, like);
  const tb = asTensor('where', b, ta);
  if (ta.dtype !== tb.dtype) {
    throw new Error(`where: dtypes differ: a ${ta.dtype} vs b ${tb.dtype}`);
  }
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, ta.shape), tb.shape);
  return runOp('where', [cond, ta, tb], { shape, dtype: ta.dtype },
    (k) => k.where(cond, ta, tb, shape),
    (dy) => [null, reduceTo(where(cond, dy, 0), ta.shape), reduceTo(where(cond, 0, dy), tb.shape)]);
}

/**
 * x broadcast to `shape` (NumPy rules); throws when x's shape does not broadcast to exactly
 * `shape`. The result is a new tensor; its gradient sums back to x's shape.
 * @example broadcastTo(bias, [32, 10])   // bias [10] → [32, 10]
 */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  const out = broadcastShapes('broadcastTo', x.shape, shape);
  if (!shapesEqual(out, shape)) {
    throw new Error(`broadcastTo: ${fmt(x.shape)} cannot broadcast to ${fmt(shape)}`);
  }
  if (shapesEqual(x.shape, shape)) return clone(x);
  const zero = asTensor('broadcastTo', 0, x);
  return runOp('broadcastTo', [x], { shape, dtype: x.dtype }, (k) => k.binary('add', x, zero, shape),
    (dy) => [reduceTo(dy, x.shape)]);
}
