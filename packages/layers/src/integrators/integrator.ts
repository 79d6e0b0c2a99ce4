/** The interface every training method shares, dense or low-rank. */
import { dispose, type Tensor } from '@dlrt/core';

/** A factorized layer's rank: one number (a matrix), or one per basis (a Tucker core). */
export type Rank = number | readonly number[];

/** What one training step reports. */
export interface StepResult {
  /** The loss at the parametrization the step started from. */
  loss: number;
  /** Rank of each factorized layer by module name (empty for dense training). */
  ranks: Record<string, Rank>;
}

/**
 * A training method: `step(lossFn)` evaluates the loss at the model's current parameters
 * (as often as the method needs) and updates them.
 */
export interface Integrator {
  /** The method's name, as errors and logs show it (e.g. 'RankAdaptiveBUG'). */
  readonly name: string;
  /**
   * One training step on the mini-batch `lossFn` closes over; `lossFn` must return one finite
   * value (else it throws, NonFiniteLossError for NaN/∞, and nothing is updated).
   */
  step(lossFn: () => Tensor): Promise<StepResult>;
}

/**
 * Thrown when a step's loss is NaN or infinite; no update has been applied.
 * @example try { await step.step(lossFn); }
 *          catch (e) { if (!(e instanceof NonFiniteLossError)) throw e; }   // skip the batch
 */
export class NonFiniteLossError extends Error {
  /**
   * @param integrator The name of the integrator whose step failed.
   * @param loss The loss value read (NaN, Infinity or −Infinity).
   */
  constructor(readonly integrator: string, readonly loss: number) {
    super(`${integrator}: loss is ${loss}; the step was not applied`);
    this.name = 'NonFiniteLossError';
  }
}

/**
 * The value of a loss tensor, checked before any update: it must hold one value (a gradient
 * pass would silently train on the sum of a batch of losses) and be finite. On failure the
 * tensors in `owned` are disposed and nothing has changed. On success `value` is disposed and
 * `owned` left to the caller.
 * @throws Error naming `integrator` for a non-scalar loss; NonFiniteLossError for NaN or ∞.
 * @example const { value, grads } = variableGrads(lossFn, vars);
 *          const loss = await readLoss(this.name, value, grads);
 */
export async function readLoss(integrator: string, value: Tensor, owned: unknown): Promise<number> {
  if (value.size !== 1) {
    dispose([value, owned]);
    throw new Error(`${integrator}: the loss must be a scalar, got shape [${value.shape}] ` +
      '(reduce it, e.g. with mean)');
  }
  const loss = (await value.data())[0];
  value.dispose();
  if (!Number.isFinite(loss)) {
    dispose(owned);
    throw new NonFiniteLossError(integrator, loss);
  }
  return loss;
}
