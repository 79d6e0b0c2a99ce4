/**
 * The layer and integrator suite: the checks every backend runs on the factorized layers and
 * their integrators, beside core's `conformance`:
 *
 *   import t from 'tap';
 *   import { integratorSuite } from '@dlrt/layers/testing';
 *   import '@dlrt/backend-cpu';
 *   integratorSuite(t, { backend: 'cpu', dtype: 'float64' });
 *
 * Each group states its oracle; the tolerances follow the dtype (bounds.ts).
 */
import { closeBackends, type FloatDType, memory, setBackend } from '@dlrt/core';
import type { TestLike } from '@dlrt/core/testing';
import { type Bounds, boundsFor } from './bounds.js';
import { badLosses, badOptions } from './errors.js';
import { fullRankMomentum, fullRankSGD } from './full-rank.js';
import { augmentationKeepsW } from './invariants.js';
import { optimizersThroughRankChanges, stateFollowsAugmentation } from './optimizer-state.js';
import { leastSquaresRecovery, teacherStudentRecovery } from './recovery.js';

/**
 * How long the training groups run. 'full' runs the problems at their full size. 'short' is for
 * slow backends (a gpu.js mode takes 40–100 ms per integrator step here): fewer steps, and
 * fewer runs where a run is long (see `SIZES`); the tolerances stay those of the dtype.
 */
export type SuiteSize = 'full' | 'short';

/** Step counts of the training groups. */
export interface SuiteSteps {
  /** Steps compared with the dense twin at full rank. */
  fullRank: number;
  /** Steps of each least-squares recovery run. */
  recovery: number;
  /** Steps of each teacher–student run. */
  teacher: number;
  /** Steps of each optimizer × integrator run. */
  optimizers: number;
}

/**
 * The step counts of each size. 'short' runs 3 full-rank steps (momentum's rotation acts from
 * the second); the least-squares problem whitened (XᵀX/N = I: the error halves every step, so
 * 40 steps reach the float64 bound too), each adaptive integrator from one of its two starting
 * ranks; the teacher–student problem for ParallelBUG alone (its rank is in range by step 100);
 * each optimizer with two of the six integrators for 20 steps, where the loss must fall by 10%
 * instead of half (Adam at λ = 3e-3 has fallen about 16% by then).
 * @example for (let k = 0; k < SIZES.short.recovery; k++) await step.step(lossFn);
 */
export const SIZES: Record<SuiteSize, SuiteSteps> = {
  full: { fullRank: 4, recovery: 400, teacher: 1500, optimizers: 150 },
  short: { fullRank: 3, recovery: 40, teacher: 100, optimizers: 20 },
};

/** One backend configuration for `integratorSuite`. */
export interface IntegratorSuiteOptions {
  /** The registered backend's name, as given to `setBackend`. */
  backend: string;
  /** The backend's own options, as given to `setBackend` (e.g. `{ mode: 'webgpu' }`). */
  options?: Record<string, unknown>;
  /** The float dtype of every model and data set (default 'float64'; gpu: 'float32'). */
  dtype?: FloatDType;
  /** 'full' (default) or 'short' (see `SuiteSize`). */
  size?: SuiteSize;
}

/** What each group gets: its test, the dtype, its bounds, the size and its step counts. */
export interface SuiteContext {
  /** The group's subtest, to assert on. */
  t: TestLike;
  /** The float dtype of the group's models and data. */
  dtype: FloatDType;
  /** The tolerances for that dtype (`boundsFor(dtype)`). */
  bounds: Bounds;
  /** 'full' or 'short'. */
  size: SuiteSize;
  /** The step counts of that size (`SIZES[size]`). */
  steps: SuiteSteps;
}

/**
 * Registers the layer and integrator subtests of one backend configuration on `t`. Each
 * subtest creates the backend with `setBackend(backend, options)` and checks that it leaks no
 * tensors; the last one closes every backend instance.
 * @example integratorSuite(t, { backend: 'gpu', options: { mode: 'webasm' }, dtype: 'float32',
 *   size: 'short' });
 */
export function integratorSuite(t: TestLike, o: IntegratorSuiteOptions): void {
  const dtype = o.dtype ?? 'float64';
  const size = o.size ?? 'full';
  const label = `${o.backend}${o.options ? ` ${JSON.stringify(o.options)}` : ''} ${dtype}` +
    `${size === 'full' ? '' : ` (${size})`}`;
  const context = (tt: TestLike): SuiteContext =>
    ({ t: tt, dtype, bounds: boundsFor(dtype), size, steps: SIZES[size] });

  const group = (name: string, body: (c: SuiteContext) => Promise<void>): void => {
    void t.test(`${label}: ${name}`, async (tt) => {
      await setBackend(o.backend, o.options ?? {});
      const start = memory().numTensors;
      const began = Date.now();
      await body(context(tt));
      const leaked = memory().numTensors - start;
      tt.ok(leaked === 0, `${name}: no tensor leaked (${leaked} left)`);
      tt.comment(`${name}: ${Date.now() - began} ms`);
    });
  };

  group('full rank: each step equals a dense SGD step', fullRankSGD);
  group('full rank: each step equals a dense SGD-with-momentum step', fullRankMomentum);
  group('augmentation leaves W unchanged: every pass sees W₀', augmentationKeepsW);
  group('least-squares rank recovery, invariants after every step', leastSquaresRecovery);
  group('teacher–student: the student settles near the teacher\'s rank',
    teacherStudentRecovery);
  group('optimizer state follows an augmentation', stateFollowsAugmentation);
  group('every inner optimizer runs through rank changes', optimizersThroughRankChanges);
  group('a NaN or non-scalar loss stops the step before any update', badLosses);
  group('bad options get clear errors', badOptions);
  void t.test(`${label}: close`, async () => {
    await closeBackends();
  });
}
