/** Adam (L2 weight decay in the gradient) and AdamW (decoupled weight decay). */
import { add, div, mul, sqrt, square, sub, type Tensor, type Variable } from '@dlrt/core';
import { checkRange, Optimizer, type SlotKind } from './optimizer.js';

/** Options of `Adam` and `AdamW`; each has a default. */
export interface AdamOptions {
  /** η > 0, the learning rate (default 1e-3). */
  lr?: number;
  /** β₁ in [0, 1), the first moment's decay (default 0.9). */
  beta1?: number;
  /** β₂ in [0, 1), the second moment's decay (default 0.999). */
  beta2?: number;
  /** ε > 0, added to √v̂ (default 1e-8). */
  eps?: number;
  /** λ ≥ 0: L2 in the gradient for Adam (default 0), decoupled for AdamW (default 0.01). */
  weightDecay?: number;
}

/**
 * m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  p ← p − η·m̂/(√v̂ + ε), with m̂ = m/(1−β₁ᵗ),
 * v̂ = v/(1−β₂ᵗ). Adam adds λp to g; AdamW instead shrinks p by ηλ first.
 * @example new Adam({ lr: 1e-3 })
 */
export class Adam extends Optimizer {
  /** β₁, the first moment's decay. */
  readonly beta1: number;
  /** β₂, the second moment's decay. */
  readonly beta2: number;
  /** ε, added to √v̂. */
  readonly eps: number;
  /** λ, the weight decay (0: none). */
  readonly weightDecay: number;
  /** Whether λ shrinks p directly (AdamW) rather than adding λp to the gradient (Adam). */
  protected readonly decoupled: boolean = false;

  constructor(o: AdamOptions = {}) {
    super(o.lr ?? 1e-3);
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? this.defaultWeightDecay();
    checkRange(this.constructor.name, 'beta1', this.beta1, 0, 1);
    checkRange(this.constructor.name, 'beta2', this.beta2, 0, 1);
    checkRange(this.constructor.name, 'weightDecay', this.weightDecay, 0, Infinity);
    // ε > 0: the first step of an entry with a zero gradient divides 0 by √0 + ε.
    if (!(this.eps > 0 && this.eps < Infinity)) {
      throw new Error(`${this.constructor.name}: eps must be a positive number, got ${this.eps}`);
    }
  }

  /** λ when `weightDecay` is not given: 0 for Adam, 0.01 for AdamW. */
  protected defaultWeightDecay(): number {
    return 0;
  }

  /** (m, v): the second moment v transforms as a square. */
  protected override slotKinds(): readonly SlotKind[] {
    return ['linear', 'square'];
  }

  update(p: Variable, grad: Tensor): Tensor {
    const t = this.tick(p);
    const decay = this.weightDecay !== 0;
    const g = decay && !this.decoupled ? add(grad, mul(p, this.weightDecay)) : grad;
    const [m0, v0] = this.state(p) ?? [];
    const m = m0 ? add(mul(m0, this.beta1), mul(g, 1 - this.beta1)) : mul(g, 1 - this.beta1);
    const v = v0 ? add(mul(v0, this.beta2), mul(square(g), 1 - this.beta2))
      : mul(square(g), 1 - this.beta2);
    this.setState(p, [m, v]);
    const mHat = div(m, 1 - this.beta1 ** t);
    const denom = add(sqrt(div(v, 1 - this.beta2 ** t)), this.eps);
    const base = decay && this.decoupled ? mul(p, 1 - this.lr * this.weightDecay) : p;
    return sub(base, mul(div(mHat, denom), this.lr));
  }
}

/**
 * Adam with decoupled weight decay (default λ = 0.01, as in PyTorch).
 * @example new AdamW({ lr: 1e-3, weightDecay: 0.05 })
 */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  protected override defaultWeightDecay(): number {
    return 0.01;
  }
}
