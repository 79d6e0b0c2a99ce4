/** The interface every training method shares, dense or low-rank. */
import type { Tensor } from '@dlrt/core';

/** What one training step reports. */
export interface StepResult {
  /** The loss at the parametrization the step started from. */
  loss: number;
  /** Rank of each low-rank layer by parameter name (empty for dense training). */
  ranks: Record<string, number>;
}

/**
 * A training method: `step(lossFn)` evaluates the loss at the model's current parameters
 * (as often as the method needs) and updates them.
 */
export interface Integrator {
  readonly name: string;
  step(lossFn: () => Tensor): Promise<StepResult>;
}

/** Thrown when a step's loss is NaN or infinite; no update has been applied. */
export class NonFiniteLossError extends Error {
  constructor(readonly integrator: string, readonly loss: number) {
    super(`${integrator}: loss is ${loss}; the step was not applied`);
    this.name = 'NonFiniteLossError';
  }
}
