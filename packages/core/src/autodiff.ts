/**
 * Reverse-mode autodiff on a tape. Ops record how to push a gradient back to their inputs
 * (see runOp); `gradients` replays the tape backwards, accumulating dL/dx for each source.
 */
import { isFloat } from './dtype.js';
import { ENGINE, type Tape } from './engine.js';
import { add } from './ops/arithmetic.js';
import { onesLike, zerosLike } from './ops/creation.js';
import { fmt, shapesEqual } from './shape.js';
import { collectTensors } from './scope.js';
import { Tensor, Variable } from './tensor.js';

interface Result {
  value: Tensor;
  grads: Tensor[];
  touched: Tensor[];
}

function gradients(op: string, f: () => Tensor, sources: readonly Tensor[], watchVariables: boolean,
  dy?: Tensor): Result {
  if (ENGINE.tape) throw new Error(`${op}: nested gradient tapes are not supported`);
  for (const s of sources) {
    s.assertLive(op);
    if (!isFloat(s.dtype)) throw new Error(`${op}: cannot differentiate an ${s.dtype} input`);
  }
  const tape: Tape = { nodes: [], watched: new Set(sources.map((s) => s.id)), watchVariables,
    needed: new Set(sources.map((s) => s.id)), deferred: [] };
  ENGINE.scopes.push([]);
  ENGINE.tape = tape;
  let result: Result | undefined;
  try {
    const value = f();
    if (!(value instanceof Tensor)) throw new Error(`${op}: f must return a Tensor`);
    ENGINE.tape = null;
    if (dy && !shapesEqual(dy.shape, value.shape)) {
      throw new Error(`${op}: dy ${fmt(dy.shape)} does not match f's value ${fmt(value.shape)}`);
    }
    const grads = backward(tape, value, dy ?? onesLike(value));
    // With watchVariables, every trainable Variable the value depends on is a source too.
    const touched = !watchVariables ? [] : [...new Set(tape.nodes.flatMap((n) => n.inputs))]
      .filter((t) => t instanceof Variable && tape.watched.has(t.id) && !sources.includes(t));
    const all = [...sources, ...touched];
    result = { value, grads: all.map((s) => grads.get(s.id) ?? zerosLike(s)), touched };
  } finally {
    ENGINE.tape = null;
    const scope = ENGINE.scopes.pop()!;
    const keep = collectTensors(result ? [result.value, result.grads] : undefined);
    const parent = ENGINE.scopes[ENGINE.scopes.length - 1];
    for (const t of scope) {
      if (!keep.has(t)) t.dispose();
      else if (parent) parent.push(t);
    }
    for (const t of tape.deferred) t.finishDeferredDispose();
  }
  return result;
}

/** Walks the tape backwards; returns dL/dt for every tensor that got one, by id. */
function backward(tape: Tape, value: Tensor, seed: Tensor): Map<number, Tensor> {
  const grads = new Map<number, Tensor>([[value.id, seed]]);
  for (let i = tape.nodes.length - 1; i >= 0; i--) {
    const node = tape.nodes[i];
    const dy = grads.get(node.output.id);
    if (!dy) continue;
    const dxs = node.grad(dy, node.inputs.map((x) => tape.watched.has(x.id)));
    node.inputs.forEach((x, j) => {
      const dx = dxs[j];
      if (!dx || !tape.watched.has(x.id)) return;
      if (!shapesEqual(dx.shape, x.shape) || dx.dtype !== x.dtype) {
        throw new Error(`${node.op} gradient: got ${fmt(dx.shape)} ${dx.dtype} for input ` +
          `${fmt(x.shape)} ${x.dtype}`);
      }
      const prev = grads.get(x.id);
      grads.set(x.id, prev ? add(prev, dx) : dx);
    });
  }
  return grads;
}

/**
 * `f`'s value at `xs` and the gradient of its sum (or of ⟨dy, f⟩) with respect to each x.
 * @example const { value, grads } = valueAndGrads((x, w) => matmul(x, w).square().sum())([x, w]);
 */
export function valueAndGrads(f: (...xs: Tensor[]) => Tensor) {
  return (xs: readonly Tensor[], dy?: Tensor): {
    /** f's value at `xs`. */
    value: Tensor;
    /** d(sum f)/dx, or d⟨dy, f⟩/dx, for each x of `xs` in order, each shaped like its x. */
    grads: Tensor[];
  } => {
    const r = gradients('valueAndGrads', () => f(...xs), xs, false, dy);
    return { value: r.value, grads: r.grads };
  };
}

/**
 * The gradient of `f`'s sum (or of ⟨dy, f⟩) with respect to its single input.
 * @example const dx = grad((x) => x.square().sum())(x);   // 2x
 */
export function grad(f: (x: Tensor) => Tensor) {
  return (x: Tensor, dy?: Tensor): Tensor => {
    const r = gradients('grad', () => f(x), [x], false, dy);
    r.value.dispose();
    return r.grads[0];
  };
}

/**
 * The loss and its gradient with respect to trainable variables: `vars` if given, else every
 * trainable Variable the loss depends on.
 * @example const { value, grads } = variableGrads(() => crossEntropy(model.forward(x), y));
 */
export function variableGrads(f: () => Tensor, vars?: readonly Variable[]): {
  /** The loss, f's value. */
  value: Tensor;
  /** The gradient of the loss's sum for each variable, shaped like it. */
  grads: Map<Variable, Tensor>;
} {
  const r = gradients('variableGrads', f, vars ?? [], vars === undefined);
  const grads = new Map<Variable, Tensor>();
  if (vars) vars.forEach((v, i) => grads.set(v, r.grads[i]));
  else r.touched.forEach((v, i) => grads.set(v as Variable, r.grads[i]));
  return { value: r.value, grads };
}
