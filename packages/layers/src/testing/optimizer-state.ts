/**
 * The inner optimizer's state through changes of basis (docs/factorized-layers.md):
 * it follows an augmentation exactly, and every optimizer trains through rank changes.
 */
import {
  concat, type FloatDType, linalg, matmul, randn, Rng, sub, type Tensor, tidy,
} from '@dlrt/core';
import { RankAdaptiveBUG } from '../integrators/rank-adaptive-bug.js';
import { Dense } from '../nn/dense.js';
import { LowRankDense } from '../nn/low-rank-dense.js';
import { mse } from '../nn/losses.js';
import { Sequential } from '../nn/module.js';
import { ReLU } from '../nn/simple.js';
import { Adam } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { SGD } from '../optim/sgd.js';
import {
  ADAPTIVE, FIXED, relDiff, release, type Scheme, teacherStudent, train,
} from './fixtures.js';
import type { SuiteContext } from './suite.js';

type Basis = 'old basis' | 'rotated' | 'reset';

/**
 * Four S-steps of ℓ = ½‖U S Vᵀ − A‖² (A = U Sₐ Vᵀ, so the optimum lies in span U ⊗ span V),
 * then, unless `how` is 'old basis', an augmentation Û = orth([U | Z]), V̂ = orth([V | Z'])
 * with the state rotated by `rebase` (or dropped), then one more step. Returns the final W
 * and rank.
 */
function run(make: () => Optimizer, how: Basis, dtype: FloatDType): { W: Tensor; rank: number } {
  const rng = new Rng(4);
  const layer = new LowRankDense(10, 12, { rank: 3, dtype, rng, bias: false });
  const A = tidy(() => matmul(matmul(layer.U, randn([3, 3], { rng, dtype })), layer.V,
    { transposeB: true }));
  const opt = make();
  const step = () => {
    const g = tidy(() => {
      const R = sub(layer.weightMatrix(), A);
      return matmul(matmul(layer.U, R, { transposeA: true }), layer.V);   // ∇_S ℓ = Uᵀ(W − A)V
    });
    opt.step(new Map([[layer.S, g]]));
    g.dispose();
  };
  for (let i = 0; i < 4; i++) step();
  if (how !== 'old basis') {
    const next = tidy(() => {
      const Uh = linalg.orth(concat([layer.U, randn([12, 3], { rng, dtype })], 1));
      const Vh = linalg.orth(concat([layer.V, randn([10, 3], { rng, dtype })], 1));
      const M = matmul(Uh, layer.U, { transposeA: true });
      const N = matmul(layer.V, Vh, { transposeA: true });
      return { core: matmul(matmul(M, layer.S), N), bases: [Uh, Vh] };
    });
    if (how === 'reset') opt.resetState(layer.S);
    layer.rebase(next, { optimizer: opt });
  }
  step();
  const out = { W: layer.weightMatrix(), rank: layer.rank };
  layer.dispose();
  opt.dispose();
  A.dispose();
  return out;
}

/**
 * Oracle: the step taken in the old basis. After the augmentation the gradient in the new basis
 * is the old one mapped through M = ÛᵀU and N = V̂ᵀV, so with the state rotated the next step is
 * the old-basis step mapped the same way (to roundoff); with the state dropped it is not.
 */
export async function stateFollowsAugmentation(c: SuiteContext): Promise<void> {
  const makers: [string, () => Optimizer, number][] = [
    ['Adam', () => new Adam({ lr: 0.05, eps: c.bounds.adamEps }), c.bounds.rotation.adam],
    ['SGD momentum 0.9', () => new SGD({ lr: 0.05, momentum: 0.9 }), c.bounds.rotation.momentum],
  ];
  for (const [name, make, tol] of makers) {
    const want = run(make, 'old basis', c.dtype).W;
    const { W: rotated, rank } = run(make, 'rotated', c.dtype);
    const reset = run(make, 'reset', c.dtype).W;
    const [eRotated, eReset] = [relDiff(rotated, want), relDiff(reset, want)];
    c.t.ok(rank === 6, `${name}: augmented to rank 6 (got ${rank})`);
    c.t.ok(eRotated <= tol, `${name}: rotated state, the step equals the old-basis step ` +
      `(${eRotated.toExponential(1)} ≤ ${tol.toExponential(0)})`);
    c.t.ok(eReset > 1e-3, `${name}: dropped state, it does not (${eReset.toExponential(1)})`);
    for (const w of [want, rotated, reset]) w.dispose();
  }
}

/**
 * Every inner optimizer with every integrator on the teacher–student problem, from rank 8
 * (θ = 0.15: the rank drops at the first step). Oracle: the training loss halves (falls by
 * 10% in the short size's 20 steps) and the test loss is finite. The short size pairs each
 * optimizer with two integrators, in turn, so that each integrator runs once.
 */
export async function optimizersThroughRankChanges(c: SuiteContext): Promise<void> {
  const { dtype } = c;
  const data = teacherStudent(dtype);
  const optimizers: [string, () => Optimizer][] = [
    ['SGD', () => new SGD({ lr: 0.2 })],
    ['SGD momentum', () => new SGD({ lr: 0.05, momentum: 0.9 })],
    ['Adam', () => new Adam({ lr: 3e-3, eps: c.bounds.adamEps })],
  ];
  const t2022: Scheme = { name: 'RankAdaptiveBUG T-2022', make: (m, optimizer, tol) =>
    new RankAdaptiveBUG(m, { optimizer, tol, truncation: '2022' }) };
  const schemes = [FIXED, ...ADAPTIVE.slice(0, 2), t2022, ...ADAPTIVE.slice(2)];
  const fall = c.size === 'short' ? 0.9 : 0.5;
  let k = 0;
  for (const [oname, makeOpt] of optimizers) {
    const pick = c.size === 'short' ? schemes.slice(2 * k, 2 * k + 2) : schemes;
    k++;
    for (const scheme of pick) {
      const rng = new Rng(3);
      const model = new Sequential([new LowRankDense(50, 20, { rank: 8, rng, dtype }), new ReLU(),
        new Dense(20, 5, { rng, dtype })]);
      const opt = makeOpt();
      const integrator = scheme.make(model, opt, 0.15);
      const r = await train(model, integrator, data, c.steps.optimizers, mse);
      c.t.ok(r.last < fall * r.first && Number.isFinite(r.test), `${scheme.name} + ${oname}: ` +
        `loss ${r.first.toFixed(3)} → ${r.last.toFixed(4)} (< ${fall} of it) in ` +
        `${c.steps.optimizers} steps, rank ${r.ranks['0']}`);
      release(integrator);
      model.dispose();
      opt.dispose();
    }
  }
  for (const x of Object.values(data)) x.dispose();
}
