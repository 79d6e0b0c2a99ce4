/** Memory scopes: tidy, keep, dispose and memory(). */
import { ENGINE, type MemoryInfo } from './engine.js';
import { Tensor } from './tensor.js';

/** Every tensor found in a value: a tensor, an array, or an object's own values. */
export function collectTensors(value: unknown, into: Set<Tensor> = new Set()): Set<Tensor> {
  if (value instanceof Tensor) into.add(value);
  else if (value instanceof Map) for (const v of value.values()) collectTensors(v, into);
  else if (Array.isArray(value)) for (const v of value) collectTensors(v, into);
  else if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    for (const v of Object.values(value)) collectTensors(v, into);
  }
  return into;
}

/**
 * Runs `fn` and disposes every tensor it created, except those in its result (a tensor, or
 * arrays / objects / maps of them), which move to the enclosing scope. `fn` must be synchronous.
 * @example const y = tidy(() => x.mul(2).add(1));   // the x·2 intermediate is freed
 */
export function tidy<T>(fn: () => T): T {
  ENGINE.scopes.push([]);
  let result: T | undefined;
  try {
    result = fn();
    if (result instanceof Promise) throw new Error('tidy: fn must be synchronous (it returned a Promise)');
  } finally {
    const scope = ENGINE.scopes.pop()!;
    const keep = collectTensors(result);
    const parent = ENGINE.scopes[ENGINE.scopes.length - 1];
    for (const t of scope) {
      if (!keep.has(t)) t.dispose();
      else if (parent) parent.push(t);
    }
  }
  return result as T;
}

/**
 * Removes `t` from every open tidy scope so that it outlives them; returns `t`.
 * @example tidy(() => { best = keep(model.forward(x)); });   // best survives the tidy
 */
export function keep<T extends Tensor>(t: T): T {
  for (const scope of ENGINE.scopes) {
    const i = scope.indexOf(t);
    if (i >= 0) scope.splice(i, 1);
  }
  return t;
}

/**
 * Disposes every tensor in `value` (a tensor, or arrays / objects / maps of them).
 * @example dispose([a, b]); dispose(grads);   // grads: a Map of tensors
 */
export function dispose(value: unknown): void {
  for (const t of collectTensors(value)) t.dispose();
}

/**
 * Live tensors and bytes, per backend and in total.
 * @example const before = memory().numTensors; step(); memory().numTensors - before   // leaks
 */
export function memory(): MemoryInfo {
  return ENGINE.memory();
}
