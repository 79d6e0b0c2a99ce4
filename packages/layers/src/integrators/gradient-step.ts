/** Plain (dense) training as an integrator: one backward pass, one optimizer step. */
import { dispose, variableGrads, type Tensor } from '@dlrt/core';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { type Integrator, readLoss, type StepResult } from './integrator.js';

/** Options of `GradientStep`. */
export interface GradientStepOptions {
  /** Steps every trainable parameter of the model. */
  optimizer: Optimizer;
}

/**
 * θ ← optimizer(θ, ∇θ ℓ) over every trainable parameter of `model`.
 * @example const step = new GradientStep(model, { optimizer: new Adam({ lr: 1e-3 }) });
 *          await step.step(() => crossEntropy(model.forward(x), y));
 */
export class GradientStep implements Integrator {
  readonly name = 'GradientStep';

  /**
   * @param model The model; its trainable parameters (at each step) are what is stepped.
   * @param options The optimizer.
   */
  constructor(readonly model: Module, readonly options: GradientStepOptions) {}

  async step(lossFn: () => Tensor): Promise<StepResult> {
    const vars = this.model.parameters().filter((v) => v.trainable);
    const { value, grads } = variableGrads(lossFn, vars);
    const loss = await readLoss(this.name, value, grads);
    this.options.optimizer.step(grads);
    dispose(grads);
    return { loss, ranks: {} };
  }
}
