// Training behaviour of the low-rank integrators (papers/matrix-methods.md §8, §10.2): the
// optimizer state follows a change of basis exactly, every inner optimizer runs through rank
// changes, and a teacher–student problem recovers the teacher's rank.
import t from 'tap';
import {
  concat, linalg, matmul, mul, randn, relu, Rng, slice, sub, sum, square, type Tensor, tidy,
} from '@dlrt/core';
import '@dlrt/backend-cpu';
import {
  ABPSI, Adam, Dense, FixedRankBUG, GradientStep, type Integrator, LowRankDense, mse, type Module,
  type Optimizer, ParallelBUG, RankAdaptiveBUG, ReLU, Sequential, SGD,
} from '../src/index.js';

const f64 = 'float64' as const;
const fro = (a: Tensor): number => tidy(() => linalg.norm(a));

// ℓ = ½‖U S Vᵀ − A‖² with A = U Sₐ Vᵀ: the optimum lies in span U ⊗ span V, so after
// augmenting to Û = orth([U | Z]), V̂ = orth([V | Z']) the gradient in the new basis is the old
// one mapped through M = ÛᵀU and N = V̂ᵀV. With the state rotated the next step must be the
// old-basis step mapped the same way; with the state dropped it is not.
t.test('optimizer state follows an augmentation (§8, §10.2)', async (t) => {
  // Adam divides by √v + ε: the roundoff left in the new blocks (~1e-16·m) is scaled by 1/ε.
  const makers: [string, () => Optimizer, number][] = [
    ['Adam', () => new Adam({ lr: 0.05 }), 1e-7],
    ['SGD momentum 0.9', () => new SGD({ lr: 0.05, momentum: 0.9 }), 1e-13],
  ];
  for (const [name, make, tol] of makers) {
    const run = async (how: 'old basis' | 'rotated' | 'reset') => {
      const rng = new Rng(4);
      const layer = new LowRankDense(10, 12, { rank: 3, dtype: f64, rng, bias: false });
      const A = tidy(() => matmul(matmul(layer.U, randn([3, 3], { rng, dtype: f64 })), layer.V,
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
          const Uh = linalg.orth(concat([layer.U, randn([12, 3], { rng, dtype: f64 })], 1));
          const Vh = linalg.orth(concat([layer.V, randn([10, 3], { rng, dtype: f64 })], 1));
          const M = matmul(Uh, layer.U, { transposeA: true });
          const N = matmul(layer.V, Vh, { transposeA: true });
          return { core: matmul(matmul(M, layer.S), N), bases: [Uh, Vh] };
        });
        if (how === 'reset') opt.resetState(layer.S);
        layer.rebase(next, { optimizer: opt });
        t.equal(layer.rank, 6, `${name}: augmented to rank 6`);
      }
      step();
      return layer.weightMatrix();
    };
    const want = await run('old basis');
    const rotated = fro(sub(await run('rotated'), want)) / fro(want);
    const reset = fro(sub(await run('reset'), want)) / fro(want);
    t.ok(rotated < tol, `${name}: rotated state, step equals the old-basis step (${rotated.toExponential(1)})`);
    t.ok(reset > 1e-3, `${name}: dropped state, it does not (${reset.toExponential(1)})`);
  }
});

// Teacher y = W₂ relu(W₁ x) with rank(W₁) = 3 (20×50); the student's first layer starts at
// rank 10 (§10.2).
function teacherStudent() {
  const rng = new Rng(1);
  const W1 = tidy(() => matmul(randn([20, 3], { rng, dtype: f64 }), randn([3, 50], { rng, dtype: f64 }))
    .div(Math.sqrt(50)));
  const W2 = tidy(() => randn([5, 20], { rng, dtype: f64 }).div(Math.sqrt(20)));
  const teacher = (x: Tensor) => matmul(relu(matmul(x, W1, { transposeB: true })), W2, { transposeB: true });
  const X = randn([1000, 50], { rng, dtype: f64 });
  const Xt = randn([500, 50], { rng, dtype: f64 });
  return { X, Y: teacher(X), Xt, Yt: teacher(Xt) };
}

async function train(model: Module, integrator: Integrator, data: ReturnType<typeof teacherStudent>,
  steps: number): Promise<{ test: number; ranks: Record<string, number>; first: number; last: number }> {
  let ranks = {};
  let first = NaN;
  let last = NaN;
  for (let s = 0; s < steps; s++) {
    const i0 = (s * 100) % 1000;
    const xb = slice(data.X, [i0, 0], [100, 50]);
    const yb = slice(data.Y, [i0, 0], [100, 5]);
    const r = await integrator.step(() => mse(model.forward(xb), yb));
    ranks = r.ranks;
    if (s === 0) first = r.loss;
    last = r.loss;
    xb.dispose();
    yb.dispose();
  }
  return { test: tidy(() => mse(model.forward(data.Xt), data.Yt).item()), ranks, first, last };
}

const student = (first: Module, rng: Rng) =>
  new Sequential([first, new ReLU(), new Dense(20, 5, { rng, dtype: f64 })]);

t.test('teacher–student: the student settles near the teacher\'s rank 3 (§10.2)', async (t) => {
  const data = teacherStudent();
  const rng = new Rng(7);
  const dense = student(new Dense(50, 20, { rng, dtype: f64 }), rng);
  const d = await train(dense, new GradientStep(dense, { optimizer: new SGD({ lr: 0.5 }) }), data, 1500);
  const schemes: [string, (m: Module) => Integrator][] = [
    ['RankAdaptiveBUG', (m) => new RankAdaptiveBUG(m, { optimizer: new SGD({ lr: 0.5 }), tol: 0.2 })],
    ['ParallelBUG', (m) => new ParallelBUG(m, { optimizer: new SGD({ lr: 0.5 }), tol: 0.2 })],
    ['ABPSI', (m) => new ABPSI(m, { optimizer: new SGD({ lr: 0.5 }), tol: 0.2 })],
  ];
  for (const [name, make] of schemes) {
    const r7 = new Rng(7);
    const model = student(new LowRankDense(50, 20, { rank: 10, rng: r7, dtype: f64 }), r7);
    const r = await train(model, make(model), data, 1500);
    t.ok(r.ranks['0'] >= 3 && r.ranks['0'] <= 5, `${name}: rank 10 → ${r.ranks['0']}`);
    t.ok(r.test <= 1.5 * d.test, `${name}: test loss ${r.test.toExponential(2)} vs dense ` +
      `${d.test.toExponential(2)}`);
  }
});

t.test('every inner optimizer runs through rank changes', async (t) => {
  const data = teacherStudent();
  const optimizers: [string, () => Optimizer][] = [
    ['SGD', () => new SGD({ lr: 0.2 })],
    ['SGD momentum', () => new SGD({ lr: 0.05, momentum: 0.9 })],
    ['Adam', () => new Adam({ lr: 3e-3 })],
  ];
  const schemes: [string, (m: Module, o: Optimizer) => Integrator][] = [
    ['FixedRankBUG', (m, optimizer) => new FixedRankBUG(m, { optimizer })],
    ['RankAdaptiveBUG', (m, optimizer) => new RankAdaptiveBUG(m, { optimizer, tol: 0.15 })],
    ['RankAdaptiveBUG passes 2', (m, optimizer) =>
      new RankAdaptiveBUG(m, { optimizer, tol: 0.15, passes: 2 })],
    ['RankAdaptiveBUG T-2022', (m, optimizer) =>
      new RankAdaptiveBUG(m, { optimizer, tol: 0.15, truncation: '2022' })],
    ['ParallelBUG', (m, optimizer) => new ParallelBUG(m, { optimizer, tol: 0.15 })],
    ['ABPSI', (m, optimizer) => new ABPSI(m, { optimizer, tol: 0.15 })],
  ];
  for (const [oname, makeOpt] of optimizers) {
    for (const [sname, make] of schemes) {
      const rng = new Rng(3);
      const model = student(new LowRankDense(50, 20, { rank: 8, rng, dtype: f64 }), rng);
      const r = await train(model, make(model, makeOpt()), data, 150);
      t.ok(r.last < 0.5 * r.first && Number.isFinite(r.test),
        `${sname} + ${oname}: loss ${r.first.toFixed(3)} → ${r.last.toFixed(4)}, rank ${r.ranks['0']}`);
    }
  }
});

t.test('a NaN loss stops the step before any update', async (t) => {
  const rng = new Rng(2);
  const layer = new LowRankDense(4, 3, { rank: 2, rng, dtype: f64 });
  const model = new Sequential([layer]);
  const before = layer.weightMatrix().dataSync();
  for (const integrator of [new RankAdaptiveBUG(model, { optimizer: new SGD({ lr: 0.1 }), tol: 0.1 }),
    new ParallelBUG(model, { optimizer: new SGD({ lr: 0.1 }), tol: 0.1 }),
    new ABPSI(model, { optimizer: new SGD({ lr: 0.1 }), tol: 0.1 }),
    new FixedRankBUG(model, { optimizer: new SGD({ lr: 0.1 }) })]) {
    await t.rejects(integrator.step(() => mul(sum(square(model.forward(randn([2, 4], { rng, dtype: f64 })))), NaN)),
      new RegExp(`${integrator.name.replace(/[()]/g, '.')}: loss is NaN; the step was not applied`));
    t.same(Array.from(layer.weightMatrix().dataSync()), Array.from(before), `${integrator.name}: W unchanged`);
  }
});
