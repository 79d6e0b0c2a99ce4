/**
 * Rank recovery on two small problems (docs/low-rank-training.md): a least-squares problem whose
 * minimizer has rank 4 (oracle: W* itself), and a teacher–student network whose teacher's first
 * layer has rank 3 (oracle: the rank, and the dense student's test loss).
 */
import { type FloatDType, Rng } from '@dlrt/core';
import { GradientStep } from '../integrators/gradient-step.js';
import type { Integrator } from '../integrators/integrator.js';
import { Dense } from '../nn/dense.js';
import { mse } from '../nn/losses.js';
import { LowRankDense } from '../nn/low-rank-dense.js';
import { type Module, Sequential } from '../nn/module.js';
import { ReLU } from '../nn/simple.js';
import { SGD } from '../optim/sgd.js';
import {
  ADAPTIVE, FIXED, leastSquares, lowRankStart, relDiff, release, type Scheme, teacherStudent,
  train,
} from './fixtures.js';
import { Invariants } from './invariants.js';
import type { SuiteContext } from './suite.js';

/**
 * ℓ(W) = (1/2N)‖X Wᵀ − Y‖² with rank(W*) = 4, θ = 0.05. Each adaptive integrator starts from
 * rank 2 (it must grow) and from rank 10 (it must shrink); FixedRankBUG starts at rank 4. At the
 * end: rank 4 and ‖W − W*‖/‖W*‖ at the dtype's floor; at every step: the loss does not rise
 * beyond roundoff, and the invariants hold. The short size starts each adaptive integrator from
 * one of the two ranks, in turn, on the whitened problem, and leaves out GeoLoRA, whose step is
 * ParallelBUG's (packages/layers/test/geolora.test.ts).
 */
export async function leastSquaresRecovery(c: SuiteContext): Promise<void> {
  const short = c.size === 'short';
  const cases: [Scheme, number][] = [
    ...ADAPTIVE.filter((s) => !short || s.name !== 'GeoLoRA')
      .flatMap((s, i) => (short ? [i % 2 ? 10 : 2] : [2, 10]).map((r0) =>
        [s, r0] as [Scheme, number])),
    [FIXED, 4],
  ];
  const steps = c.steps.recovery;
  const { recovery, orthonormality, rise } = c.bounds;
  for (const [scheme, r0] of cases) {
    const name = `${scheme.name} from rank ${r0}`;
    const p = leastSquares(11, c.dtype, short);
    const layer = lowRankStart(p.rng, r0, c.dtype);
    const model = new Sequential([layer]);
    const opt = new SGD({ lr: p.lr });
    const integrator = scheme.make(model, opt, 0.05);
    const losses: number[] = [];
    const seen = new Invariants();
    for (let i = 0; i < steps; i++) {
      losses.push((await integrator.step(() => p.loss(model))).loss);
      seen.record(layer, scheme !== FIXED);
    }
    const W = layer.weightMatrix();
    const err = relDiff(W, p.Wstar);
    W.dispose();
    const rises = losses.filter((l, i) => i > 0 &&
      l > losses[i - 1] * (1 + rise.relative) + rise.floor * losses[0]);
    c.t.ok(layer.rank === 4, `${name}: ends at rank 4 (got ${layer.rank})`);
    c.t.ok(err <= recovery, `${name}: ‖W − W*‖/‖W*‖ = ${err.toExponential(2)} ≤ ` +
      `${recovery.toExponential(0)} after ${steps} steps`);
    c.t.ok(rises.length === 0, `${name}: the loss never rises beyond roundoff (` +
      `${losses[0].toExponential(2)} → ${losses[steps - 1].toExponential(2)}, ` +
      `${rises.length} rises)`);
    c.t.ok(seen.orthonormality <= orthonormality, `${name}: ‖UᵀU − I‖, ‖VᵀV − I‖ ≤ ` +
      `${seen.orthonormality.toExponential(1)} every step ` +
      `(bound ${orthonormality.toExponential(0)})`);
    c.t.ok(seen.minRank >= 2 && seen.maxRank <= 30,
      `${name}: ranks within [2, 30]: ${seen.minRank}..${seen.maxRank}`);
    c.t.ok(seen.notDiagonal === 0, `${name}: S diagonal, positive, sorted after every step`);
    release(integrator);
    model.dispose();
    opt.dispose();
    p.dispose();
  }
}

const student = (first: Module, rng: Rng, dtype: FloatDType) =>
  new Sequential([first, new ReLU(), new Dense(20, 5, { rng, dtype })]);

/**
 * Teacher y = W₂ relu(W₁ x), rank(W₁) = 3, the student's first layer starting at rank 10,
 * SGD λ = 0.5, θ = 0.2, batches of 100. Oracle: the final rank lies in [3, 5], and the test
 * loss is at most 1.5 times that of the dense student trained alike. The short size trains
 * ParallelBUG alone (one pass per step, the cheapest); the full size leaves out GeoLoRA, whose
 * step equals ParallelBUG's (packages/layers/test/geolora.test.ts: 2.6e-15 over five steps).
 */
export async function teacherStudentRecovery(c: SuiteContext): Promise<void> {
  const { dtype } = c;
  const steps = c.steps.teacher;
  const data = teacherStudent(dtype);
  const r0 = new Rng(7);
  const dense = student(new Dense(50, 20, { rng: r0, dtype }), r0, dtype);
  const denseOpt = new SGD({ lr: 0.5 });
  const d = await train(dense, new GradientStep(dense, { optimizer: denseOpt }), data, steps, mse);
  const schemes = ADAPTIVE.filter((s) => c.size === 'short' ? s.name === 'ParallelBUG'
    : s.name !== 'RankAdaptiveBUG passes 2' && s.name !== 'GeoLoRA');
  for (const scheme of schemes) {
    const rng = new Rng(7);
    const model = student(new LowRankDense(50, 20, { rank: 10, rng, dtype }), rng, dtype);
    const opt = new SGD({ lr: 0.5 });
    const integrator: Integrator = scheme.make(model, opt, 0.2);
    const r = await train(model, integrator, data, steps, mse);
    const rank = r.ranks['0'] as number;
    c.t.ok(rank >= 3 && rank <= 5, `${scheme.name}: rank 10 → ${rank} in ${steps} steps`);
    c.t.ok(r.test <= 1.5 * d.test, `${scheme.name}: test loss ${r.test.toExponential(2)} ≤ ` +
      `1.5 × dense ${d.test.toExponential(2)}`);
    release(integrator);
    model.dispose();
    opt.dispose();
  }
  dense.dispose();
  denseOpt.dispose();
  for (const x of Object.values(data)) x.dispose();
}
