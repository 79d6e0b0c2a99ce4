/** Optimizer: turns a gradient into a new parameter value, keeping per-parameter state. */
import { dispose, keep, matmul, sqrt, square, type Tensor, tidy, type Variable } from '@dlrt/core';

/** How a state slot transforms under a change of basis: as the parameter, or as its square. */
export type SlotKind = 'linear' | 'square';

/** A change of basis p ← left·p·right (either side may be the identity). */
export interface BasisChange {
  left?: Tensor;
  right?: Tensor;
}

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

  /**
   * Transforms `v`'s state when an integrator changes the basis `v` is written in, so the
   * state follows the parameter (matrix-methods.md §8): a linear slot s becomes left·s·right;
   * a square slot (Adam's second moment) becomes (left·√s·right)∘2, as RobustDLRT does.
   * The step count is kept. No-op for a variable without state.
   */
  rotateState(v: Variable, change: BasisChange): void {
    const slots = this.slots.get(v);
    if (!slots) return;
    const kinds = this.slotKinds();
    const apply = (s: Tensor) => {
      const l = change.left ? matmul(change.left, s) : s;
      return change.right ? matmul(l, change.right) : l;
    };
    const next = tidy(() => slots.map((s, i) =>
      (kinds[i] ?? 'linear') === 'square' ? square(apply(sqrt(s))) : apply(s)));
    this.setState(v, next);
  }

  /** How each state slot transforms under a change of basis (default: all linear). */
  protected slotKinds(): readonly SlotKind[] {
    return [];
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
