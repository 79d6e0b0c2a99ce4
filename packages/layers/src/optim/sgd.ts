/** SGD with momentum, dampening, Nesterov momentum and L2 weight decay (PyTorch's update rule). */
import { add, clone, mul, sub, type Tensor, type Variable } from '@dlrt/core';
import { checkRange, Optimizer } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
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
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
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
