/** SGD with momentum, dampening, Nesterov momentum and L2 weight decay (PyTorch's update rule). */
import { add, clone, mul, sub, type Tensor, type Variable } from '@dlrt/core';
import { checkRange, Optimizer } from './optimizer.js';

/** Options of `SGD`: the learning rate is required, the rest default to plain SGD. */
export interface SGDOptions {
  /** η > 0, the learning rate. */
  lr: number;
  /** μ in [0, 1), the momentum (default 0: none). */
  momentum?: number;
  /** τ in [0, 1], the dampening of the momentum buffer (default 0). */
  dampening?: number;
  /** Nesterov momentum (default false; needs momentum > 0). */
  nesterov?: boolean;
  /** L2 penalty added to the gradient. */
  weightDecay?: number;
}

/**
 * g ← g + λp;  b ← μb + (1 − τ)g (b = g at the first step);  g ← g + μb (Nesterov) or b;
 * p ← p − η g.
 * @example new SGD({ lr: 0.05, momentum: 0.9 })
 */
export class SGD extends Optimizer {
  /** μ, the momentum (0: none, no state is kept). */
  readonly momentum: number;
  /** τ, the dampening. */
  readonly dampening: number;
  /** Whether the momentum is Nesterov's. */
  readonly nesterov: boolean;
  /** λ, the L2 penalty added to the gradient (0: none). */
  readonly weightDecay: number;

  constructor(o: SGDOptions) {
    super(o.lr);
    this.momentum = o.momentum ?? 0;
    this.dampening = o.dampening ?? 0;
    this.nesterov = o.nesterov ?? false;
    this.weightDecay = o.weightDecay ?? 0;
    checkRange('SGD', 'momentum', this.momentum, 0, 1);
    checkRange('SGD', 'dampening', this.dampening, 0, 1, { inclusive: true });
    checkRange('SGD', 'weightDecay', this.weightDecay, 0, Infinity);
    if (this.nesterov && this.momentum === 0) throw new Error('SGD: nesterov needs momentum > 0');
  }

  update(v: Variable, grad: Tensor): Tensor {
    let g = this.weightDecay ? add(grad, mul(v, this.weightDecay)) : grad;
    if (this.momentum) {
      const prev = this.state(v)?.[0];
      const buf = prev ? add(mul(prev, this.momentum), mul(g, 1 - this.dampening)) : clone(g);
      this.setState(v, [buf]);
      g = this.nesterov ? add(g, mul(buf, this.momentum)) : buf;
    }
    return sub(v, mul(g, this.lr));
  }
}
