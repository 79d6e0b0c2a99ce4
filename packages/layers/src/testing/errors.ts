/**
 * Failures an integrator must report before touching the model: a loss that is not one finite
 * value, and bad options. Oracle: the error message, and the parameters bit for bit unchanged.
 */
import { mul, randn, Rng, square, sum, type Tensor } from '@dlrt/core';
import { checkThrows } from '@dlrt/core/testing';
import { ABPSI } from '../integrators/abpsi.js';
import { GradientStep } from '../integrators/gradient-step.js';
import type { Integrator } from '../integrators/integrator.js';
import { ParallelBUG } from '../integrators/parallel-bug.js';
import { RankAdaptiveBUG } from '../integrators/rank-adaptive-bug.js';
import { LowRankDense } from '../nn/low-rank-dense.js';
import { type Module, Sequential } from '../nn/module.js';
import { SGD } from '../optim/sgd.js';
import { ADAPTIVE, FIXED, release } from './fixtures.js';
import type { SuiteContext } from './suite.js';

const escape = (s: string) => s.replace(/[()[\]]/g, '\\$&');

/** Every parameter's values, to compare bit for bit. */
const snapshot = (m: Module) => m.parameters().map((p) => Array.from(p.dataSync()));

/**
 * Each integrator (and GradientStep) stepped with `lossFn` must reject with a message matching
 * `want(name)`, leaving every parameter as it was and its optimizer without state.
 */
async function rejectsBeforeUpdate(c: SuiteContext, what: string,
  lossFn: (model: Module, x: Tensor) => Tensor, want: (name: string) => RegExp): Promise<void> {
  const rng = new Rng(2);
  const layer = new LowRankDense(4, 3, { rank: 2, rng, dtype: c.dtype });
  const model = new Sequential([layer]);
  const x = randn([2, 4], { rng, dtype: c.dtype });
  const before = snapshot(model);
  const makers = [...ADAPTIVE, FIXED].map((s) => (o: SGD) => s.make(model, o, 0.1));
  makers.push((o) => new GradientStep(model, { optimizer: o }));
  for (const make of makers) {
    const opt = new SGD({ lr: 0.1, momentum: 0.9 });
    const integrator: Integrator = make(opt);
    const name = integrator.name;
    let message = '(no error)';
    try {
      await integrator.step(() => lossFn(model, x));
    } catch (e) {
      message = (e as Error).message;
    }
    c.t.ok(want(name).test(message), `${name}, ${what}: rejects with '${message}'`);
    const same = JSON.stringify(snapshot(model)) === JSON.stringify(before);
    const stateless = model.parameters().every((p) => opt.state(p) === undefined);
    c.t.ok(same && stateless, `${name}, ${what}: parameters unchanged, no optimizer state`);
    release(integrator);
    opt.dispose();
  }
  model.dispose();
  x.dispose();
}

/** A NaN loss, and a per-example loss vector [2] (a mean was forgotten). */
export async function badLosses(c: SuiteContext): Promise<void> {
  await rejectsBeforeUpdate(c, 'NaN loss',
    (m, x) => mul(sum(square(m.forward(x))), NaN),
    (name) => new RegExp(`^${escape(name)}: loss is NaN; the step was not applied`));
  await rejectsBeforeUpdate(c, 'loss of shape [2]',
    (m, x) => square(m.forward(x)).mean(1),
    (name) => new RegExp(`^${escape(name)}: the loss must be a scalar, got shape \\[2\\]`));
}

/** Constructor errors name the integrator, the option and the value. */
export async function badOptions(c: SuiteContext): Promise<void> {
  const m = new Sequential([new LowRankDense(6, 5, { rank: 2, seed: 1, dtype: c.dtype })]);
  const optimizer = new SGD({ lr: 0.1 });
  const cases: [string, () => unknown, RegExp][] = [
    ['tol −0.1', () => new RankAdaptiveBUG(m, { optimizer, tol: -0.1 }),
      /^RankAdaptiveBUG: tol must be a finite number ≥ 0, got -0.1/],
    ['tol NaN', () => new ParallelBUG(m, { optimizer, tol: NaN }), /^ParallelBUG: tol must be/],
    ['tol −1', () => new ABPSI(m, { optimizer, tol: -1 }), /^ABPSI: tol must be/],
    ['passes 4', () => new RankAdaptiveBUG(m, { optimizer, tol: 0.1, passes: 4 as 3 }),
      /passes must be 2 or 3, got 4/],
    ['rMin 0', () => new RankAdaptiveBUG(m, { optimizer, tol: 0.1, rMin: 0 }),
      /rMin must be a positive integer, got 0/],
    ['absolute T-2022', () => new ParallelBUG(m, { optimizer, tol: 0.1, tolerance: 'absolute',
      truncation: '2022' }), /^ParallelBUG: the 2022 truncation rule is relative only/],
  ];
  for (const [label, fn, pattern] of cases) checkThrows(c.t, label, fn, pattern);
  m.dispose();
}
