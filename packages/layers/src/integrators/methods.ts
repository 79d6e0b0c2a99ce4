/** Training methods by name, as the CLI, the experiments and the benches choose them. */
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { ABPSI, type ABPSIOptions } from './abpsi.js';
import { FixedRankBUG } from './fixed-rank-bug.js';
import { GeoLoRA } from './geolora.js';
import { GradientStep } from './gradient-step.js';
import type { Integrator } from './integrator.js';
import type { AdaptiveOptions } from './options.js';
import { ParallelBUG } from './parallel-bug.js';
import { RankAdaptiveBUG } from './rank-adaptive-bug.js';
import { TuckerBUG } from './tucker-bug.js';

/**
 * - `dense`: plain training (GradientStep);
 * - `bug`: RankAdaptiveBUG, the 3-pass DLRT step; `bug-2pass`: its single-basis-backprop variant;
 * - `bug-fixed`: FixedRankBUG; `parallel`: ParallelBUG; `abpsi`: ABPSI; `geolora`: GeoLoRA;
 * - `tdlrt`: TuckerBUG, TDLRT's 2-pass step (any factorized layer); `tdlrt-1pass`: the same
 *   step from one pass in the weight form; `tdlrt-fixed`: its fixed-rank variant;
 * - `direct`: the factorized model's factors trained as ordinary parameters (GradientStep; the
 *   model is built with TuckerFactorsConv2d convolutions, the baseline TDLRT compares with).
 * @example const method = METHODS.find((m) => m === arg) ?? 'bug'
 */
export const METHODS = ['dense', 'bug', 'bug-fixed', 'bug-2pass', 'parallel', 'abpsi',
  'geolora', 'tdlrt', 'tdlrt-1pass', 'tdlrt-fixed', 'direct'] as const;
/** One of `METHODS`, a training method by name. */
export type Method = (typeof METHODS)[number];
/**
 * The methods of the matrix family, for models whose factorized layers are U S Vᵀ: dense
 * training and the integrators of the DLRT, abPSI and GeoLoRA papers (the experiments on MLPs
 * run these; the Tucker methods need Tucker convolutions to differ from them).
 * @example for (const method of MATRIX_METHODS) console.log(method)   // dense, bug, …, geolora
 */
export const MATRIX_METHODS = ['dense', 'bug', 'bug-fixed', 'bug-2pass', 'parallel', 'abpsi',
  'geolora'] as const satisfies readonly Method[];

/**
 * The integrator for `method`; `tol` and the truncation options matter for adaptive ones,
 * `side` and `denseStep` for abPSI alone. `tol` defaults to 0.1; `dense` and `direct` both give
 * a GradientStep (for `direct`, the caller builds the model with trainable factors).
 * @throws Error for an unknown method, or whatever the integrator's constructor throws.
 * @example const step = integratorFor('bug', model, { optimizer: new SGD({ lr: 0.05 }), tol: 0.1 })
 */
export function integratorFor(method: Method, model: Module,
  o: { optimizer: Optimizer } & Partial<Omit<ABPSIOptions, 'optimizer'>> & {
    /** tdlrt and tdlrt-1pass: TuckerBUG's `localSteps` (cycles of n steps). */
    localSteps?: number;
  }): Integrator {
  const { side, denseStep, localSteps, ...rest } = o;
  if (localSteps !== undefined && method !== 'tdlrt' && method !== 'tdlrt-1pass') {
    throw new Error(`integratorFor: localSteps is TuckerBUG's (tdlrt, tdlrt-1pass), not ${method}'s`);
  }
  const adaptive: AdaptiveOptions = { ...rest, tol: o.tol ?? 0.1 };
  switch (method) {
    case 'dense':
    case 'direct': return new GradientStep(model, { optimizer: o.optimizer });
    case 'bug': return new RankAdaptiveBUG(model, adaptive);
    case 'bug-2pass': return new RankAdaptiveBUG(model, { ...adaptive, passes: 2 });
    case 'bug-fixed': return new FixedRankBUG(model, { optimizer: o.optimizer });
    case 'parallel': return new ParallelBUG(model, adaptive);
    case 'abpsi': return new ABPSI(model, { ...adaptive, side, denseStep });
    case 'geolora': return new GeoLoRA(model, adaptive);
    case 'tdlrt': return new TuckerBUG(model, { ...adaptive, localSteps });
    case 'tdlrt-1pass': return new TuckerBUG(model, { ...adaptive, passes: 1, localSteps });
    case 'tdlrt-fixed': return new TuckerBUG(model, { optimizer: o.optimizer, rank: 'fixed' });
    default: throw new Error(`integratorFor: unknown method '${method as string}'; ` +
      `known: ${METHODS.join(', ')}`);
  }
}
