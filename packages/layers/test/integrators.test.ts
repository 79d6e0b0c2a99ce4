// The low-rank integrators on the small problems of papers/matrix-methods.md §10.2, in float64:
// least-squares rank recovery (rank, error, monotone loss), the invariants after every step,
// exact equivalence with dense SGD at full rank, and the errors for bad options.
import t from 'tap';
import {
  diag, dispose, eye, linalg, matmul, mul, randn, Rng, sub, sum, square, type Tensor, tensor, tidy,
} from '@dlrt/core';
import '@dlrt/backend-cpu';
import { maxAbsDiff, orthonormalityError } from '@dlrt/core/testing';
import {
  ABPSI, crossEntropy, Dense, FixedRankBUG, GradientStep, type Integrator, LowRankConv2d,
  LowRankDense, type Module, ParallelBUG, RankAdaptiveBUG, ReLU, Flatten, Sequential, SGD,
  Conv2d,
} from '../src/index.js';

const f64 = 'float64' as const;
const fro = (a: Tensor): number => tidy(() => linalg.norm(a));

/** The integrators under test, built for `model` with plain SGD at `lr` and tolerance θ. */
const schemes: [string, (m: Module, lr: number, tol: number) => Integrator][] = [
  ['RankAdaptiveBUG', (m, lr, tol) => new RankAdaptiveBUG(m, { optimizer: new SGD({ lr }), tol })],
  ['RankAdaptiveBUG passes 2', (m, lr, tol) =>
    new RankAdaptiveBUG(m, { optimizer: new SGD({ lr }), tol, passes: 2 })],
  ['ParallelBUG', (m, lr, tol) => new ParallelBUG(m, { optimizer: new SGD({ lr }), tol })],
  ['ABPSI', (m, lr, tol) => new ABPSI(m, { optimizer: new SGD({ lr }), tol })],
];

// §10.2: ℓ(W) = (1/2N)‖W X − Y‖², Y = W* X, W* 30×40 of rank 4, X 40×200 Gaussian,
// λ = 0.5/L with L = ‖XXᵀ/N‖₂, relative θ = 0.05, core 0.1·diag(|N(0,1)|), 400 steps.
function leastSquares(seed: number) {
  const rng = new Rng(seed);
  const Wstar = tidy(() => matmul(randn([30, 4], { rng, dtype: f64 }),
    randn([4, 40], { rng, dtype: f64 })).div(Math.sqrt(30)));
  const X = randn([200, 40], { rng, dtype: f64 });        // rows are samples: Y = X W*ᵀ
  const Y = matmul(X, Wstar, { transposeB: true });
  const L = linalg.svd(tidy(() => matmul(X, X, { transposeA: true }).div(200))).s.dataSync()[0];
  return { rng, Wstar, X, Y, lr: 0.5 / L };
}

function lowRankStart(rng: Rng, r: number): LowRankDense {
  const f = tidy(() => ({
    U: linalg.orth(randn([30, r], { rng, dtype: f64 })),
    S: diag(Array.from({ length: r }, () => 0.1 * Math.abs(rng.normal())), f64),
    V: linalg.orth(randn([40, r], { rng, dtype: f64 })),
  }));
  return new LowRankDense(40, 30, { rank: r, dtype: f64, bias: false }, f);
}

t.test('least-squares rank recovery: rank 4, error ≤ 1e-10, loss never increases (§10.2)',
  async (t) => {
    const cases: [string, (m: Module, lr: number) => Integrator, number][] = [
      ...schemes.flatMap(([name, make]) => [2, 10].map((r0) =>
        [`${name} from rank ${r0}`, (m: Module, lr: number) => make(m, lr, 0.05), r0] as
          [string, (m: Module, lr: number) => Integrator, number])),
      ['FixedRankBUG at rank 4', (m, lr) => new FixedRankBUG(m, { optimizer: new SGD({ lr }) }), 4],
    ];
    for (const [name, make, r0] of cases) {
      const p = leastSquares(11);
      const layer = lowRankStart(p.rng, r0);
      const model = new Sequential([layer]);
      const integrator = make(model, p.lr);
      const lossFn = () => mul(sum(square(sub(model.forward(p.X), p.Y))), 0.5 / 200);
      const losses: number[] = [];
      let worst = { orth: 0, rank: [Infinity, 0], diag: 0 };
      for (let i = 0; i < 400; i++) {
        const { loss, ranks } = await integrator.step(lossFn);
        losses.push(loss);
        const r = ranks['0'] as number;
        const off = tidy(() => fro(sub(layer.S, mul(layer.S, eye(r, r, f64)))));
        const s = Array.from(tidy(() => layer.S.mul(eye(r, r, f64)).sum(1)).dataSync());
        worst = {
          orth: Math.max(worst.orth, orthonormalityError(layer.U), orthonormalityError(layer.V)),
          rank: [Math.min(worst.rank[0], r), Math.max(worst.rank[1], r)],
          diag: Math.max(worst.diag, name.startsWith('Fixed') ? 0
            : off + (s.every((v, j) => v > 0 && (j === 0 || v <= s[j - 1])) ? 0 : 1)),
        };
      }
      const err = tidy(() => fro(sub(layer.weightMatrix(), p.Wstar)) / fro(p.Wstar));
      // Rises below roundoff (1e-24 of the starting loss, once the residual is at ε·‖Y‖) don't count.
      const rises = losses.filter((l, i) => i > 0 && l > losses[i - 1] * (1 + 1e-12) + 1e-24 * losses[0]);
      t.equal(layer.rank, 4, `${name}: ends at rank 4`);
      t.ok(err <= 1e-10, `${name}: ‖W − W*‖/‖W*‖ = ${err.toExponential(2)} ≤ 1e-10`);
      t.equal(rises.length, 0, `${name}: the loss never increases (${losses[0].toExponential(2)} → ` +
        `${losses[399].toExponential(2)})`);
      t.ok(worst.orth < 1e-10, `${name}: ‖UᵀU − I‖, ‖VᵀV − I‖ ≤ ${worst.orth.toExponential(1)} every step`);
      t.ok(worst.rank[0] >= 2 && worst.rank[1] <= 30, `${name}: ranks within [2, 30]: ${worst.rank}`);
      t.ok(worst.diag < 1e-12, `${name}: S diagonal, positive, sorted after every truncation`);
      dispose([p.Wstar, p.X, p.Y]);
      model.dispose();
    }
  });

t.test('augmentation leaves W unchanged: every pass sees W₀ (§1.4)', async (t) => {
  for (const [name, make] of schemes) {
    const p = leastSquares(3);
    const layer = lowRankStart(p.rng, 3);
    const model = new Sequential([layer]);
    const integrator = make(model, p.lr, 0.05);
    for (let step = 0; step < 3; step++) {
      const seen: number[] = [];
      const W0 = layer.weightMatrix();
      const drift: number[] = [];
      await integrator.step(() => {
        // W = U S Vᵀ in any form: augmentation must not move it (checked at every pass).
        const w = layer.weightMatrix();
        drift.push(fro(sub(w, W0)));
        const loss = mul(sum(square(sub(model.forward(p.X), p.Y))), 0.5 / 200);
        seen.push(loss.dataSync()[0]);
        return loss;
      });
      const spread = Math.max(...seen) - Math.min(...seen);
      t.ok(spread <= 1e-13 * seen[0], `${name} step ${step}: ${seen.length} passes, loss spread ` +
        `${spread.toExponential(1)}`);
      t.ok(drift.every((d) => d < 1e-13), `${name} step ${step}: ‖W_pass − W₀‖ ≤ 1e-13`);
      W0.dispose();
    }
    model.dispose();
  }
});

// At r = min(n, m) with θ = 0 every scheme's step is exactly an SGD step on W, biases included.
t.test('full rank: each step equals a dense SGD step within 1e-10 (§10.2)', async (t) => {
  const build = (square: boolean) => {
    const rng = new Rng(8);
    const layers: Module[] = square
      ? [new LowRankDense(8, 8, { rank: 8, dtype: f64, rng }), new ReLU(),
          new Dense(8, 3, { dtype: f64, rng })]
      : [new LowRankConv2d(2, 8, 2, { rank: 8, dtype: f64, rng }), new ReLU(), new Flatten(),
          new LowRankDense(128, 6, { rank: 6, dtype: f64, rng }), new ReLU(),
          new Dense(6, 3, { dtype: f64, rng })];
    const lowRank = new Sequential(layers);
    const twin = new Sequential(layers.map((l) => {
      if (l instanceof LowRankDense) {
        const d = new Dense(l.inFeatures, l.outFeatures, { dtype: f64, seed: 1 });
        d.weight.assign(l.weightMatrix());
        d.bias!.assign(l.bias!);
        return d;
      }
      if (l instanceof LowRankConv2d) {
        const c = new Conv2d(2, 8, 2, { dtype: f64, seed: 1 });
        c.weight.assign(l.weightMatrix().reshape([8, 2, 2, 2]));
        c.bias!.assign(l.bias!);
        return c;
      }
      if (l instanceof Dense) {
        const d = new Dense(l.inFeatures, l.outFeatures, { dtype: f64, seed: 1 });
        d.weight.assign(l.weight);
        d.bias!.assign(l.bias!);
        return d;
      }
      return l;
    }));
    const x = randn(square ? [16, 8] : [16, 2, 5, 5], { rng, dtype: f64 });
    const y = Int32Array.from({ length: 16 }, () => rng.int(3));
    return { lowRank, twin, x, y };
  };
  const cases: [string, (m: Module) => Integrator, boolean][] = [
    ...schemes.flatMap(([name, make]) => [true, false].map((sq) =>
      [`${name} (${sq ? 'dense 8×8' : 'conv + dense'})`, (m: Module) => make(m, 0.1, 0), sq] as
        [string, (m: Module) => Integrator, boolean])),
    ['FixedRankBUG (dense 8×8)', (m) => new FixedRankBUG(m, { optimizer: new SGD({ lr: 0.1 }) }), true],
  ];
  for (const [name, make, sq] of cases) {
    const { lowRank, twin, x, y } = build(sq);
    const target = tensor(y, [16], 'int32');
    const lr = make(lowRank);
    const dense = new GradientStep(twin, { optimizer: new SGD({ lr: 0.1 }) });
    let worst = 0;
    for (let step = 0; step < 4; step++) {
      const a = await lr.step(() => crossEntropy(lowRank.forward(x), target));
      const b = await dense.step(() => crossEntropy(twin.forward(x), target));
      worst = Math.max(worst, Math.abs(a.loss - b.loss));
      const pairs = lowRank.layers.map((l, i) => [l, twin.layers[i]] as const);
      for (const [l, d] of pairs) {
        if (l instanceof LowRankDense || l instanceof LowRankConv2d) {
          const dw = (d as Dense | Conv2d).weight;
          worst = Math.max(worst, maxAbsDiff(l.weightMatrix(), dw.reshape([dw.shape[0], -1])),
            maxAbsDiff(l.bias!, (d as Dense).bias!));
        } else if (l instanceof Dense) {
          worst = Math.max(worst, maxAbsDiff(l.weight, (d as Dense).weight),
            maxAbsDiff(l.bias!, (d as Dense).bias!));
        }
      }
    }
    t.ok(worst < 1e-10, `${name}: max difference from dense SGD over 4 steps ${worst.toExponential(2)}`);
  }
});

t.test('bad options get clear errors', async (t) => {
  const m = new Sequential([new LowRankDense(6, 5, { rank: 2, seed: 1 })]);
  const opt = new SGD({ lr: 0.1 });
  t.throws(() => new RankAdaptiveBUG(m, { optimizer: opt, tol: -0.1 }), /RankAdaptiveBUG: tol must be a finite number ≥ 0, got -0.1/);
  t.throws(() => new ParallelBUG(m, { optimizer: opt, tol: NaN }), /ParallelBUG: tol must be/);
  t.throws(() => new ABPSI(m, { optimizer: opt, tol: -1 }), /ABPSI: tol must be/);
  t.throws(() => new RankAdaptiveBUG(m, { optimizer: opt, tol: 0.1, passes: 4 as 3 }), /passes must be 2 or 3, got 4/);
  t.throws(() => new RankAdaptiveBUG(m, { optimizer: opt, tol: 0.1, rMin: 0 }), /rMin must be a positive integer/);
});
