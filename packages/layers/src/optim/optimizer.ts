/** Optimizer: turns a gradient into a new parameter value, keeping per-parameter state. */
import {
  type AxisChange, type AxisTransform, basisTransforms, changeBasis as changeTensorBasis,
  dispose, keep, reshape, type Shape, sqrt, square, type Tensor, tidy, type Variable,
} from '@dlrt/core';

/** How a state slot transforms under a change of basis: as the parameter, or as its square. */
export type SlotKind = 'linear' | 'square';

/**
 * Base of SGD, Adam, AdamW. `update(v, g)` returns the new value of v (and advances its
 * state); `step(grads)` assigns the updates. State is per Variable and can be read and
 * replaced, and `changeBasis` moves it when an integrator changes a factor's basis.
 * @example const opt: Optimizer = new Adam({ lr: 1e-3 });
 *          opt.step(grads); opt.lr *= 0.5;   // grads: a Map of Variable to gradient
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
   * Moves `v`'s state along a change of basis of the coordinates `v` is written in, so the state
   * follows the parameter: a linear slot s becomes s ×ₐ (U_newᵀU_old) for each change (core's
   * `changeBasis`); a square slot (Adam's second moment) becomes (√s ×ₐ …)∘2, as RobustDLRT
   * does (Schotthöfer, Yang & Schnake, arXiv 2505.08022). When `v` is the unfolding Mat_i of a
   * tensor (a K coefficient of a Tucker layer), `folded` gives that tensor's shape with mode i
   * first, [n_i, r_j, …]: the state is folded to it, changed there, and unfolded back. The step
   * count is kept. No-op for a variable without state.
   * @example opt.changeBasis(S, [{ axis: 0, from: U, to: Uhat }, { axis: 1, from: V, to: Vhat }])
   */
  changeBasis(v: Variable, changes: readonly (AxisChange | AxisTransform)[],
    o: { folded?: Shape } = {}): void {
    const slots = this.slots.get(v);
    if (!slots || changes.length === 0) return;
    const kinds = this.slotKinds();
    const next = tidy(() => {
      // Each change's matrix once for all slots.
      const ms = changes.map((c) => ('matrix' in c ? c : basisTransforms([c])[0]));
      const move = (s: Tensor) => {
        const x = changeTensorBasis(o.folded ? reshape(s, o.folded) : s, ms);
        return o.folded ? reshape(x, [x.shape[0], -1]) : x;
      };
      return slots.map((s, i) =>
        (kinds[i] ?? 'linear') === 'square' ? square(move(sqrt(s))) : move(s));
    });
    this.setState(v, next);
  }

  /** How each state slot transforms under a change of basis (default: all linear). */
  protected slotKinds(): readonly SlotKind[] {
    return [];
  }

  /** The variables that have state (updated at least once, or given state). */
  stateful(): Variable[] {
    return [...new Set([...this.slots.keys(), ...this.steps.keys()])];
  }

  /** How many updates `v` has had (0 before its first). */
  updates(v: Variable): number {
    return this.steps.get(v) ?? 0;
  }

  /** Sets how many updates `v` has had (a checkpoint's count, for Adam's bias correction). */
  setUpdates(v: Variable, count: number): void {
    if (!(Number.isInteger(count) && count >= 0)) {
      throw new Error(`${this.constructor.name}.setUpdates: count must be an integer ≥ 0, ` +
        `got ${count}`);
    }
    if (count === 0) this.steps.delete(v);
    else this.steps.set(v, count);
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

/** Throws `op: name must be in [lo, hi), got v` unless lo ≤ v < hi (or ≤ hi, if inclusive). */
export function checkRange(op: string, name: string, v: number, lo: number, hi: number,
  o: { inclusive?: boolean } = {}): void {
  const ok = typeof v === 'number' && v >= lo && (o.inclusive ? v <= hi : v < hi);
  if (!ok) {
    const shown = typeof v === 'string' ? `'${v}'` : String(v);
    throw new Error(`${op}: ${name} must be in [${lo}, ${hi}${o.inclusive ? ']' : ')'}, ` +
      `got ${shown}`);
  }
}
