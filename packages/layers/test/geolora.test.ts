// GeoLoRA beyond the integrator suite (which runs it at full rank against dense SGD, on the
// least-squares and teacher–student recoveries and through optimizer state). Oracles: the
// closed-form first step from S = 0, ParallelBUG's step (the same update computed from the
// tangent form), hand-counted budgets, and the cycle's invariants.
import t from 'tap';
import {
  clone, diag, dispose, linalg, matmul, memory, randn, square, sub, sum, type Tensor, tidy, zeros,
} from '@dlrt/core';
import '@dlrt/backend-cpu';
import {
  GeoLoRA, LowRankDense, ParallelBUG, ReLU, SGD, Sequential,
} from '../src/index.js';
import { budgetRanks } from '../src/integrators/geolora.js';
import { factorizedParts } from '../src/integrators/parts.js';

const dtype = 'float64';

/** Orthonormal n×r from a seeded Gaussian. */
function orthonormal(n: number, r: number, seed: number): Tensor {
  return tidy(() => linalg.qr(randn([n, r], { seed, dtype })).q);
}

/** A LowRankDense m→n at rank r with the given core (bases orthonormal, seeded). */
function layer(m: number, n: number, S: Tensor, seed: number, maxRank?: number): LowRankDense {
  const r = S.shape[0];
  const U = orthonormal(n, r, seed), V = orthonormal(m, r, seed + 1);
  const l = new LowRankDense(m, n, { rank: r, maxRank, dtype, seed }, { U, S, V, bias: null });
  dispose([U, V]);
  return l;
}

/** ℓ(W) = ½‖X Wᵀ − Y‖²/N for one layer: G = (X Wᵀ − Y)ᵀ X / N. */
function leastSquares(model: LowRankDense, X: Tensor, Y: Tensor): () => Tensor {
  return () => tidy(() => sum(square(sub(model.forward(X), Y))).mul(0.5 / X.shape[0]));
}

function maxDiff(a: Tensor, b: Tensor): number {
  return tidy(() => Math.max(...Array.from(sub(a, b).abs().dataSync())));
}

t.test('GeoLoRA from S = 0: no NaN, and the first step is W = −λ U Uᵀ G V Vᵀ', async (t) => {
  const before = memory().numTensors;
  const S0 = zeros([3, 3], dtype);
  const l = layer(7, 6, S0, 1);
  S0.dispose();
  const X = randn([20, 7], { seed: 5, dtype }), Y = randn([20, 6], { seed: 6, dtype });
  const U = clone(l.U), V = clone(l.V);
  // G at W = 0: (0 − Y)ᵀ X / N.
  const G = tidy(() => matmul(Y, X, { transposeA: true }).mul(-1 / 20));
  const lr = 0.3;
  const g = new GeoLoRA(l, { optimizer: new SGD({ lr }), tol: 1e-8 });
  const r1 = await g.step(leastSquares(l, X, Y));
  const want = tidy(() => matmul(matmul(U, matmul(matmul(U, G, { transposeA: true }), V)),
    V, { transposeB: true }).mul(-lr));
  const W = l.weightMatrix();
  t.ok(Array.from(W.dataSync()).every(Number.isFinite), 'every entry finite');
  t.ok(maxDiff(W, want) < 1e-13, `W = −λ P_U G P_V (max diff ${maxDiff(W, want)})`);
  t.ok(Number(r1.ranks[Object.keys(r1.ranks)[0]]) <= 3, 'the zero directions are truncated away');
  // The second step starts from a nonzero core (S⁻¹ its pseudo-inverse) and lowers the loss.
  const loss = leastSquares(l, X, Y);
  const r2 = await g.step(loss);
  const after = tidy(() => loss().dataSync()[0]);
  t.ok(Number.isFinite(r2.loss) && after < r2.loss, `loss ${r2.loss} → ${after}`);
  dispose([X, Y, U, V, G, want, W]);
  g.dispose();
  l.dispose();
  t.equal(memory().numTensors, before, 'no tensor left behind');
});

t.test('GeoLoRA equals ParallelBUG (one pass in the factors form against the tangent form)',
  async (t) => {
    const make = () => new Sequential([
      layer(9, 8, diag([3, 2, 1.5, 0.5], dtype), 11), new ReLU(),
      layer(8, 5, diag([2, 1, 0.25], dtype), 21)]);
    const a = make(), b = make();
    const X = randn([16, 9], { seed: 7, dtype }), Y = randn([16, 5], { seed: 8, dtype });
    const loss = (m: Sequential) => () => tidy(() =>
      sum(square(sub(m.forward(X), Y))).mul(0.5 / 16));
    // Momentum, so the K and L coefficients' state is exercised too.
    const geo = new GeoLoRA(a, { optimizer: new SGD({ lr: 0.1, momentum: 0.5 }), tol: 0.05 });
    const par = new ParallelBUG(b, { optimizer: new SGD({ lr: 0.1, momentum: 0.5 }), tol: 0.05 });
    let worst = 0;
    for (let s = 0; s < 5; s++) {
      const [ra, rb] = [await geo.step(loss(a)), await par.step(loss(b))];
      t.same(ra.ranks, rb.ranks, `step ${s + 1}: same ranks`);
      factorizedParts(a).layers.forEach((la, i) => {
        const lb = factorizedParts(b).layers[i] as LowRankDense;
        const wa = (la as LowRankDense).weightMatrix(), wb = lb.weightMatrix();
        worst = Math.max(worst, maxDiff(wa, wb));
        dispose([wa, wb]);
      });
    }
    t.ok(worst < 1e-12, `max weight difference over 5 steps ${worst.toExponential(2)}`);
    dispose([X, Y]);
    geo.dispose();
    par.dispose();
    a.dispose();
    b.dispose();
  });

t.test('GeoLoRA from a non-diagonal core takes the step of the same weight written with Σ',
  async (t) => {
    // W = U S Vᵀ with S = P Σ Qᵀ full, and its twin (U P) Σ (V Q)ᵀ. S⁻¹ is the SVD's
    // pseudo-inverse for the first and read off the diagonal for the second; plain SGD has no
    // state, so the step depends on W alone.
    const S = tidy(() => matmul(matmul(orthonormal(4, 4, 31), diag([3, 2, 1, 0.5], dtype)),
      orthonormal(4, 4, 32), { transposeB: true }));
    const a = layer(9, 8, S, 41);
    const { u: P, s: sigma, v: Q } = linalg.svd(S);
    const U = matmul(a.U, P), V = matmul(a.V, Q), D = diag(Array.from(sigma.dataSync()), dtype);
    const b = new LowRankDense(9, 8, { rank: 4, dtype, seed: 41 }, { U, S: D, V, bias: null });
    const X = randn([16, 9], { seed: 7, dtype }), Y = randn([16, 8], { seed: 8, dtype });
    const wa0 = a.weightMatrix(), wb0 = b.weightMatrix();
    t.ok(maxDiff(wa0, wb0) < 1e-14, 'the two layers hold the same weight');
    const ga = new GeoLoRA(a, { optimizer: new SGD({ lr: 0.1 }), tol: 0.01 });
    const gb = new GeoLoRA(b, { optimizer: new SGD({ lr: 0.1 }), tol: 0.01 });
    await ga.step(leastSquares(a, X, Y));
    await gb.step(leastSquares(b, X, Y));
    const wa = a.weightMatrix(), wb = b.weightMatrix();
    const d = maxDiff(wa, wb), moved = maxDiff(wa, wa0);
    t.ok(moved > 1e-3 && d < 1e-12, `the step moved W by ${moved.toExponential(2)}; the two ` +
      `differ by ${d.toExponential(2)}`);
    dispose([S, P, sigma, Q, U, V, D, X, Y, wa0, wb0, wa, wb]);
    ga.dispose();
    gb.dispose();
    a.dispose();
    b.dispose();
  });

t.test('GeoLoRA coefficient steps: one augmentation, S-steps in fixed bases, then truncation',
  async (t) => {
    const l = layer(10, 9, diag([2, 1, 0.5], dtype), 31);
    const X = randn([24, 10], { seed: 9, dtype }), Y = randn([24, 9], { seed: 10, dtype });
    const g = new GeoLoRA(l, { optimizer: new SGD({ lr: 0.2 }), tol: 0.02,
      coefficientSteps: 2 });
    const rank = async () => Number(Object.values((await g.step(leastSquares(l, X, Y))).ranks)[0]);
    // Largest off-diagonal entry of the core relative to its largest entry.
    const offDiagonal = () => tidy(() => {
      const r = l.S.shape[0], v = l.S.dataSync();
      let off = 0, all = 0;
      v.forEach((x, k) => {
        all = Math.max(all, Math.abs(x));
        if (Math.floor(k / r) !== k % r) off = Math.max(off, Math.abs(x));
      });
      return off / all;
    });
    t.equal(await rank(), 6, 'step 1 augments to 2r');
    const U = clone(l.U), V = clone(l.V);
    t.equal(await rank(), 6, 'step 2 keeps rank 2r');
    t.ok(maxDiff(l.U, U) === 0 && maxDiff(l.V, V) === 0, 'the bases did not move');
    t.ok(offDiagonal() > 1e-3, `the 2r×2r core is full before the truncation (${offDiagonal()})`);
    const r3 = await rank();
    t.ok(r3 <= 6 && offDiagonal() < 1e-12, `step 3 truncates: rank ${r3}, core diagonal ` +
      `(${offDiagonal()})`);
    t.equal(await rank(), Math.min(2 * r3, 9), 'step 4 augments again');
    dispose([X, Y, U, V]);
    g.dispose();
    l.dispose();
  });

t.test('GeoLoRA rank budget: the B largest singular values of all cores together', async (t) => {
  const model = new Sequential([layer(8, 8, diag([5, 3, 1, 0.5], dtype), 41), new ReLU(),
    layer(8, 6, diag([4, 2, 0.1], dtype), 51)]);
  const parts = factorizedParts(model);
  // Floors of 1: 5 and 4; then 3 (first layer) and 2 (second) are the two largest left.
  t.same(budgetRanks('GeoLoRA', parts, 4, { rMin: 1 }), [2, 2]);
  // Then 3, 2, 1 and 0.5: the first layer takes three of the four.
  t.same(budgetRanks('GeoLoRA', parts, 6, { rMin: 1 }), [4, 2]);
  t.same(budgetRanks('GeoLoRA', parts, 20, { rMin: 1 }), [4, 3], 'all 7 when B exceeds them');
  t.same(budgetRanks('GeoLoRA', parts, 4, {}), [2, 2], 'default floor 2');
  t.throws(() => budgetRanks('GeoLoRA', parts, 3, {}),
    /^GeoLoRA: rankBudget 3 is below the 2 layers' floors \(rMin each, 4 in all\)/);
  // In training: after every step the ranks add up to B.
  const X = randn([32, 8], { seed: 12, dtype });
  const Y = tidy(() => matmul(X, randn([8, 6], { seed: 13, dtype })));
  const loss = () => tidy(() => sum(square(sub(model.forward(X), Y))).mul(1 / 64));
  const g = new GeoLoRA(model, { optimizer: new SGD({ lr: 0.05 }), rankBudget: 5 });
  for (let s = 0; s < 3; s++) {
    const r = await g.step(loss);
    const total = Object.values(r.ranks).reduce((a: number, b) => a + Number(b), 0);
    t.equal(total, 5, `step ${s + 1}: ranks ${JSON.stringify(r.ranks)} add up to 5`);
  }
  dispose([X, Y]);
  g.dispose();
  model.dispose();
});

t.test('GeoLoRA rejects bad options, naming them', async (t) => {
  const l = layer(4, 4, diag([1, 1], dtype), 61);
  const optimizer = new SGD({ lr: 0.1 });
  const cases: [string, () => unknown, RegExp][] = [
    ['no tol', () => new GeoLoRA(l, { optimizer }), /^GeoLoRA: tol must be a finite number/],
    ['tol and budget', () => new GeoLoRA(l, { optimizer, tol: 0.1, rankBudget: 4 }),
      /^GeoLoRA: rankBudget replaces tol, tolerance and truncation/],
    ['budget 0', () => new GeoLoRA(l, { optimizer, rankBudget: 0 }),
      /^GeoLoRA: rankBudget must be a positive integer, got 0/],
    ['budget 2.5', () => new GeoLoRA(l, { optimizer, rankBudget: 2.5 }),
      /^GeoLoRA: rankBudget must be a positive integer, got 2.5/],
    ['coefficientSteps −1', () => new GeoLoRA(l, { optimizer, tol: 0.1, coefficientSteps: -1 }),
      /^GeoLoRA: coefficientSteps must be an integer ≥ 0, got -1/],
    ['rMin 0 with budget', () => new GeoLoRA(l, { optimizer, rankBudget: 3, rMin: 0 }),
      /^GeoLoRA: rMin must be a positive integer, got 0/],
  ];
  for (const [what, make, re] of cases) t.throws(make, re, what);
  l.dispose();
});
