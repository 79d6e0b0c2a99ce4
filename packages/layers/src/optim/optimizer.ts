/** Optimizer: turns a gradient into a new parameter value, keeping per-parameter state. */
import { dispose, keep, type Tensor, tidy, type Variable } from '@dlrt/core';

/**
 * Base of SGD, Adam, AdamW. `update(v, g)` returns the new value of v (and advances its
 * state); `step(grads)` assigns the updates. State is per Variable and can be read and
 * replaced, so an integrator that changes a factor's basis can transform the state with it.
 */
export abstract class Optimizer {
  /** Learning rate; may be changed between steps (schedules). */
  lr: number;
  private readonly slots = new Map<Variable, Tensor[]>();
  private readonly steps = new Map<Variable, number>();

  constructor(lr: number) {
    if (!(lr > 0) || !Number.isFinite(lr)) {
      throw new Error(`${this.constructor.name}: lr must be a positive number, got ${lr}`);
    }
    this.lr = lr;
  }

  /** The new value of `v` given its gradient `g`; records the new state. */
  abstract update(v: Variable, g: Tensor): Tensor;

  /** Applies `update` to every (variable, gradient) pair. */
  step(grads: Map<Variable, Tensor>): void {
    for (const [v, g] of grads) {
      const next = tidy(() => this.update(v, g));
      v.assign(next);
      next.dispose();
    }
  }

  /** The state tensors of `v` (e.g. Adam's [m, v]); undefined before its first update. */
  state(v: Variable): readonly Tensor[] | undefined {
    return this.slots.get(v);
  }

  /** Replaces `v`'s state (the optimizer takes ownership of the tensors). */
  setState(v: Variable, tensors: readonly Tensor[]): void {
    const old = this.slots.get(v);
    this.slots.set(v, tensors.map((t) => keep(t)));
    if (old) dispose(old.filter((t) => !tensors.includes(t)));
  }

  /** Forgets `v`'s state (its next update starts afresh). */
  resetState(v: Variable): void {
    dispose(this.slots.get(v));
    this.slots.delete(v);
    this.steps.delete(v);
  }

  /** How many updates `v` has had, counting the one in progress. */
  protected tick(v: Variable): number {
    const t = (this.steps.get(v) ?? 0) + 1;
    this.steps.set(v, t);
    return t;
  }

  /** Frees all state. */
  dispose(): void {
    for (const s of this.slots.values()) dispose(s);
    this.slots.clear();
    this.steps.clear();
  }
}

export function checkRange(op: string, name: string, v: number, lo: number, hi: number): void {
  if (!(v >= lo && v < hi)) throw new Error(`${op}: ${name} must be in [${lo}, ${hi}), got ${v}`);
}
