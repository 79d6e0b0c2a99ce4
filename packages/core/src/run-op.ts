/** Op dispatch: validate, run the kernel, wrap the result, record it on the gradient tape. */
import type { Backend, DataId } from './backend.js';
import type { DType } from './dtype.js';
import { ENGINE } from './engine.js';
import { getBackend } from './registry.js';
import { tidy } from './scope.js';
import { assertShape, type Shape } from './shape.js';
import { Tensor, Variable } from './tensor.js';

/**
 * Gradient of an op: given dL/dy (and y), dL/d(each input); null where there is none or where
 * `needs[i]` is false (no gradient wanted for that input, so it may be skipped).
 */
export type GradFn = (dy: Tensor, y: Tensor, needs: readonly boolean[]) =>
  readonly (Tensor | null | undefined)[];

/** The backend shared by `inputs` (the active one when there are none). */
export function backendOf(op: string, inputs: readonly Tensor[]): Backend {
  if (inputs.length === 0) return getBackend();
  for (const t of inputs) t.assertLive(op);
  const b = inputs[0].backend;
  for (const t of inputs) {
    if (t.backend !== b) {
      throw new Error(`${op}: inputs live on different backends (${b.name} and ${t.backend.name})`);
    }
  }
  return b;
}

function isWatched(t: Tensor): boolean {
  const tape = ENGINE.tape!;
  if (tape.watched.has(t.id)) return true;
  if (tape.watchVariables && t instanceof Variable && t.trainable) {
    tape.watched.add(t.id);
    return true;
  }
  return false;
}

/**
 * Runs one op: `kernel` computes storage on the inputs' backend, the result is wrapped as a
 * tensor of `out.shape` and `out.dtype`, and `grad` is recorded when a tape is watching.
 * Throws before the kernel runs unless `out.shape` holds non-negative integers and at most
 * `MAX_ELEMENTS` values, or when the inputs live on different backends or were disposed.
 * @example
 * runOp('double', [x], { shape: x.shape, dtype: x.dtype },
 *   (b) => b.binary('add', x, x, x.shape), (dy) => [mul(dy, 2)]);
 */
export function runOp(
  op: string,
  inputs: readonly Tensor[],
  out: { shape: Shape; dtype: DType },
  kernel: (backend: Backend) => DataId,
  grad?: GradFn,
): Tensor {
  const backend = backendOf(op, inputs);
  // Every op's output: integer dims (a NaN dim slips past a size test) and at most 2^30 values.
  assertShape(op, 'shape', out.shape);
  const y = new Tensor(kernel(backend), out.shape, out.dtype, backend);
  if (grad) record(op, inputs, y, grad);
  return y;
}

/** Puts `y = op(inputs)` on the tape when one is recording and any input is watched. */
function record(op: string, inputs: readonly Tensor[], y: Tensor, grad: GradFn): void {
  const tape = ENGINE.tape;
  if (!tape) return;
  let any = false;
  for (const t of inputs) if (isWatched(t)) any = true;
  if (any) {
    tape.watched.add(y.id);
    tape.needed.add(y.id);
    for (const t of inputs) tape.needed.add(t.id);
    tape.nodes.push({ op, inputs, output: y, grad: (dy, needs) => grad(dy, y, needs) });
  }
}

/**
 * An op with several outputs and no gradient (decompositions). Refuses inputs that a gradient
 * tape is differentiating, rather than silently cutting the gradient.
 */
export function runMultiOp(op: string, inputs: readonly Tensor[],
  outs: readonly { shape: Shape; dtype: DType }[], kernel: (backend: Backend) => DataId[]):
  Tensor[] {
  const backend = backendOf(op, inputs);
  for (const o of outs) assertShape(op, 'shape', o.shape);
  if (ENGINE.tape && inputs.some((t) => isWatched(t))) {
    throw new Error(`${op}: not differentiable, but an input is being differentiated ` +
      '(compute it outside valueAndGrads / variableGrads)');
  }
  const ids = kernel(backend);
  return outs.map((o, i) => new Tensor(ids[i], o.shape, o.dtype, backend));
}

/** A new tensor that shares `x`'s storage under another shape (reshape is free). */
export function viewOp(op: string, x: Tensor, shape: Shape, grad?: GradFn): Tensor {
  return runOp(op, [x], { shape, dtype: x.dtype }, () => x.dataId, grad);
}

/**
 * An op composed of other ops whose gradient is given in closed form (logSumExp, softmax, …):
 * `forward` runs off the tape, its intermediates are freed, and only `grad` is recorded.
 * @example customOp('softplus', [x], () => log(add(exp(x), 1)), (dy, y) => [mul(dy, sigmoid(x))])
 */
export function customOp(op: string, inputs: readonly Tensor[], forward: () => Tensor,
  grad: GradFn): Tensor {
  for (const t of inputs) t.assertLive(op);
  const tape = ENGINE.tape;
  ENGINE.tape = null;
  let y: Tensor;
  try {
    y = tidy(forward);
  } finally {
    ENGINE.tape = tape;
  }
  record(op, inputs, y, grad);
  return y;
}
