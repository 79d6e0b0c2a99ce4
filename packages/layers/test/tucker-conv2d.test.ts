// TuckerConv2d, TuckerBUG (TDLRT) and the directly trained Tucker baseline, in float64.
// Oracles: the dense Conv2d with the rebuilt kernel, central finite differences, the closed-form
// one-step recovery and the 0.9ᵗ gradient flow of ½‖𝒲 − 𝒜‖², the exactness of the BUG on a
// known fixed-rank trajectory 𝒜(t), invariants checked at every change of basis, and
// RankAdaptiveBUG (one pass per mode), which takes the same step.
import t from 'tap';
import {
  add, clone, linalg, modeProduct, mul, neg, randn, Rng, sub, sum, square,
  type Tensor, tensor, tidy, unfold,
} from '@dlrt/core';
import '@dlrt/backend-cpu';
import { maxAbsDiff, orthonormalityError } from '@dlrt/core/testing';
import {
  Conv2d, crossEntropy, Dense, encodeModel, type FactorizedLayer, Flatten, GradientStep,
  loadModel, LowRankDense, modelRanks, parameterCounts, RankAdaptiveBUG, ReLU, Sequential, SGD,
  TuckerBUG, TuckerConv2d, TuckerFactorsConv2d, vggMini,
} from '../src/index.js';
import { directionalCheck, recordSteps, weightDiff } from './support.js';

const f64 = 'float64' as const;
const fro = (a: Tensor): number => tidy(() => linalg.norm(a));

/** The dense Conv2d computing what `l` computes now. */
function denseTwin(l: TuckerConv2d): Conv2d {
  const c = new Conv2d(l.inChannels, l.outChannels, l.kernelSize, { ...l.options, dtype: f64,
    seed: 1 });
  c.weight.assign(l.kernel());
  c.bias!.assign(l.bias!);
  return c;
}

/** A kernel of exact multilinear rank `ranks` on all four modes. */
function tuckerKernel(shape: number[], ranks: number[], rng: Rng): Tensor {
  return tidy(() => ranks.reduce((c, r, m) => modeProduct(c,
    linalg.orth(randn([shape[m], r], { rng, dtype: f64 })), m), randn(ranks, { rng, dtype: f64 })));
}

t.test('the factorized and rebuilt forwards equal the dense conv', async (t) => {
  const rng = new Rng(1);
  const cases: [number, number, Record<string, number>, number[]][] = [
    [3, 1, {}, [0, 1]], [3, 2, { padding: 1 }, [0, 1]], [3, 1, { dilation: 2, padding: 1 }, [0, 1]],
    [1, 2, {}, [0, 1]], [3, 1, { padding: 1 }, [0, 1, 2, 3]], [3, 2, {}, [1]], [3, 1, {}, [0, 3]],
  ];
  for (const [k, stride, extra, modes] of cases) {
    const opts = { stride, ...extra };
    const ranks = modes.map((m) => (m < 2 ? 1 + rng.int(4) : 1 + rng.int(k)));
    const x = randn([2, 6, 7, 7], { rng, dtype: f64 });
    const outs = (['factorized', 'rebuilt', 'auto'] as const).map((path) => {
      const l = new TuckerConv2d(6, 5, k, { ...opts, modes, ranks, path, seed: 3, dtype: f64 });
      const pair = [l.forward(x), denseTwin(l).forward(x)];
      l.dispose();
      return pair;
    });
    const what = `k ${k}, ${JSON.stringify(opts)}, modes [${modes}], ranks [${ranks}]`;
    t.ok(maxAbsDiff(outs[0][0], outs[0][1]) < 1e-12, `factorized = dense: ${what}`);
    t.ok(maxAbsDiff(outs[1][0], outs[1][1]) < 1e-12, `rebuilt = dense: ${what}`);
    t.ok(maxAbsDiff(outs[2][0], outs[1][0]) < 1e-12, `auto = rebuilt: ${what}`);
  }
});

t.test('auto takes the path with fewer multiply-adds', async (t) => {
  // 64→64 3×3 on 14×14 (padding 1): factorized at ranks [8, 8] costs
  // 196·(64·8 + 8·8·9 + 8·64) = 0.31M multiply-adds per image, rebuilt 196·64·64·9 = 7.2M; at
  // ranks [60, 60] factorized costs 196·(64·60 + 60·60·9 + 60·64) = 7.9M. The two paths round
  // differently, so bit equality tells which one ran.
  const x = randn([1, 64, 14, 14], { seed: 1, dtype: f64 });
  for (const [ranks, want] of [[[8, 8], 'factorized'], [[60, 60], 'rebuilt']] as const) {
    const out = (path: 'auto' | 'factorized' | 'rebuilt') => {
      const l = new TuckerConv2d(64, 64, 3, { ranks, padding: 1, seed: 2, dtype: f64, path });
      const y = l.forward(x);
      l.dispose();
      return y;
    };
    const auto = out('auto');
    t.equal(maxAbsDiff(auto, out(want)), 0, `ranks [${ranks}]: auto runs ${want}`);
    t.ok(maxAbsDiff(auto, out(want === 'rebuilt' ? 'factorized' : 'rebuilt')) > 0);
  }
  const full = new TuckerConv2d(64, 64, 3, { padding: 1, seed: 2 });
  t.same(full.ranks, [64, 64], 'maxRanks, and the ranks, default to min(nᵢ, Π others)');
  full.dispose();
});

t.test('parameter counts: factored and dense', async (t) => {
  const l = new TuckerConv2d(20, 50, 5, { ranks: [7, 4], seed: 1 });
  const c = parameterCounts(new Sequential([l]));
  t.equal(c.parameters, 7 * 4 * 25 + 50 * 7 + 20 * 4 + 50, 'core + bases + bias');
  t.equal(c.dense, 50 * 20 * 25 + 50);
  const d = new TuckerFactorsConv2d(20, 50, 5, { ranks: [7, 4], seed: 1 });
  t.same(parameterCounts(new Sequential([d])), c, 'the direct baseline counts the same');
});

t.test('gradients through both paths match central finite differences', async (t) => {
  for (const path of ['factorized', 'rebuilt'] as const) {
    const rng = new Rng(4);
    const l = new TuckerConv2d(5, 4, 3, { ranks: [3, 2], padding: 1, stride: 2, path, rng,
      dtype: f64 });
    const x = randn([2, 5, 6, 6], { rng, dtype: f64 });
    const y = randn([2, 4, 3, 3], { rng, dtype: f64 });
    const loss = () => mul(sum(square(sub(l.forward(x), y))), 0.5);
    for (const p of [l.core, ...l.bases, l.bias!]) {
      directionalCheck(t, loss, p, rng, `${path}: ∂ℓ/∂${p.name}`);
    }
    l.dispose();
  }
});

t.test('TuckerBUG: one step recovers a kernel of known Tucker rank (λ = 1)', async (t) => {
  const rng = new Rng(5);
  const shape = [12, 8, 3, 3];
  const A = tuckerKernel(shape, [3, 2, 2, 2], rng);
  const l = new TuckerConv2d(8, 12, 3, { modes: [0, 1, 2, 3], ranks: [4, 3, 3, 3], rng,
    dtype: f64 });
  const bug = new TuckerBUG(new Sequential([l]), { optimizer: new SGD({ lr: 1 }), tol: 1e-8,
    rMin: 1 });
  await bug.step(() => mul(sum(square(sub(l.kernel(), A))), 0.5));
  const err = fro(sub(l.kernel(), A)) / fro(A);
  t.ok(err < 1e-10, `‖𝒲 − 𝒜‖/‖𝒜‖ = ${err.toExponential(2)}`);
  t.same(l.ranks, [3, 2, 2, 2], 'the ranks of 𝒜');
});

t.test('TuckerBUG: the gradient flow of ½‖𝒲 − 𝒜‖² contracts by exactly 1 − λ per step', async (t) => {
  // Explicit Euler for 𝒲' = −(𝒲 − 𝒜): 𝒲ₜ − 𝒜 = 0.9ᵗ(𝒲₀ − 𝒜), of rank ≤ r + r* ≤ 2r, which
  // the augmented bases hold; the integrator adds no error (ε = 0: the flow stays on the
  // manifold of ranks r + r*).
  const rng = new Rng(6);
  const A = tuckerKernel([12, 8, 3, 3], [3, 2, 3, 3], rng);
  const l = new TuckerConv2d(8, 12, 3, { ranks: [4, 3], rng, dtype: f64 });
  const bug = new TuckerBUG(new Sequential([l]), { optimizer: new SGD({ lr: 0.1 }), tol: 1e-13,
    rMin: 1 });
  const e0 = fro(sub(l.kernel(), A));
  let worst = 0;
  for (let step = 1; step <= 12; step++) {
    await bug.step(() => mul(sum(square(sub(l.kernel(), A))), 0.5));
    worst = Math.max(worst, Math.abs(fro(sub(l.kernel(), A)) / (0.9 ** step * e0) - 1));
  }
  t.ok(worst < 1e-10, `|‖𝒲ₜ − 𝒜‖ / (0.9ᵗ‖𝒲₀ − 𝒜‖) − 1| ≤ ${worst.toExponential(2)}`);
  t.same(l.ranks, [7, 5], 'ranks r + r* = [4 + 3, 3 + 2]');
});

t.test('fixed-rank TuckerBUG is exact on a trajectory of fixed Tucker rank', async (t) => {
  // 𝒜(t) = 𝒞(t) ×₀ U₀(t) ×₁ U₁(t), 𝒞(t) = eᵗ𝒞₀ + t𝒞₁, Uᵢ(t) = Q of (Uᵢ⁰ + tBᵢ). With the
  // loss −⟨𝒲, 𝒜(tₖ₊₁) − 𝒜(tₖ)⟩ and λ = 1 each substep integrates 𝒲' = 𝒜' exactly, so the
  // BUG reproduces 𝒜(tₖ) (Ceruti & Lubich's exactness property) to round-off.
  const rng = new Rng(7);
  const ranks = [3, 2];
  const C0 = randn([3, 2, 3, 3], { rng, dtype: f64 });
  const C1 = randn([3, 2, 3, 3], { rng, dtype: f64 });
  const U0 = [linalg.orth(randn([9, 3], { rng, dtype: f64 })),
    linalg.orth(randn([6, 2], { rng, dtype: f64 }))];
  const B = [randn([9, 3], { rng, dtype: f64 }), randn([6, 2], { rng, dtype: f64 })];
  const At = (time: number) => tidy(() => {
    const core = add(mul(C0, Math.exp(time)), mul(C1, time));
    return U0.reduce((c, u, i) => modeProduct(c, linalg.qr(add(u, mul(B[i], time))).q, i), core);
  });
  const h = 0.05;
  const l = TuckerConv2d.fromKernel(At(0), { ranks });
  const bug = new TuckerBUG(new Sequential([l]), { optimizer: new SGD({ lr: 1 }), rank: 'fixed' });
  let worst = 0;
  for (let k = 0; k < 20; k++) {
    const dA = tidy(() => sub(At((k + 1) * h), At(k * h)));
    await bug.step(() => neg(sum(mul(l.kernel(), dA))));
    dA.dispose();
    const target = At((k + 1) * h);
    worst = Math.max(worst, fro(sub(l.kernel(), target)) / fro(target));
    target.dispose();
  }
  t.ok(worst < 1e-12, `max ‖𝒲ₖ − 𝒜(tₖ)‖/‖𝒜(tₖ)‖ = ${worst.toExponential(2)} over 20 steps`);
  t.same(l.ranks, ranks);
});

t.test('TuckerBUG invariants at every change of basis', async (t) => {
  // Least squares Y = conv(X, 𝒲*); the spy sees each rebase: augmentation leaves 𝒲 as it was,
  // truncation moves it by at most √d·τ‖𝒞‖ (each mode's tail is below τ‖σ‖₂ = τ‖𝒞‖), and the
  // bases stay orthonormal.
  const rng = new Rng(8);
  const teacher = new TuckerConv2d(6, 10, 3, { ranks: [3, 2], padding: 1, rng, dtype: f64,
    bias: false });
  const X = randn([16, 6, 5, 5], { rng, dtype: f64 });
  const Y = tidy(() => teacher.forward(X));
  const l = new TuckerConv2d(6, 10, 3, { ranks: [5, 4], padding: 1, rng, dtype: f64,
    bias: false });
  const tau = 0.05;
  const seen = { augment: 0, truncate: 0, worstAugment: 0, worstTruncate: 0, worstOrth: 0 };
  const rebase = l.rebase.bind(l);
  let call = 0;
  (l as { rebase: FactorizedLayer['rebase'] }).rebase = (next, o) => {
    const before = l.kernel();
    const coreNorm = fro(l.core);
    rebase(next, o);
    const moved = fro(sub(l.kernel(), before));
    before.dispose();
    if (call++ % 2 === 0) {
      seen.augment++;
      seen.worstAugment = Math.max(seen.worstAugment, moved / fro(l.core));
    } else {
      seen.truncate++;
      seen.worstTruncate = Math.max(seen.worstTruncate, moved / (Math.SQRT2 * tau * coreNorm));
    }
    seen.worstOrth = Math.max(seen.worstOrth, ...l.bases.map((u) => orthonormalityError(u)));
  };
  const bug = new TuckerBUG(new Sequential([l]), { optimizer: new SGD({ lr: 0.3 }), tol: tau });
  for (let s = 0; s < 30; s++) {
    await bug.step(() => mul(sum(square(sub(l.forward(X), Y))), 0.5 / (16 * 25)));
  }
  t.equal(seen.augment, 30);
  t.equal(seen.truncate, 30);
  t.ok(seen.worstAugment < 1e-13, `augmentation: ‖Δ𝒲‖/‖𝒲‖ ≤ ${seen.worstAugment.toExponential(2)}`);
  t.ok(seen.worstTruncate <= 1, `truncation: ‖Δ𝒲‖ ≤ ${seen.worstTruncate.toFixed(3)}·√2·τ‖𝒞‖`);
  t.ok(seen.worstOrth < 1e-13, `‖UᵢᵀUᵢ − I‖ ≤ ${seen.worstOrth.toExponential(2)}`);
  t.same(l.ranks, [3, 2], 'ends at the teacher\'s ranks');
});

t.test('TuckerBUG takes RankAdaptiveBUG\'s step in two passes, with matrix and dense layers', async (t) => {
  const run = async (make: (m: Sequential) => RankAdaptiveBUG | TuckerBUG) => {
    const rng = new Rng(9);
    const model = new Sequential([
      new TuckerConv2d(3, 8, 3, { ranks: [4, 2], padding: 1, rng, dtype: f64 }), new ReLU(),
      new Flatten(), new LowRankDense(8 * 16, 12, { rank: 4, rng, dtype: f64 }), new ReLU(),
      new Dense(12, 5, { rng, dtype: f64 }),
    ]);
    const x = randn([6, 3, 4, 4], { rng, dtype: f64 });
    const y = randn([6, 5], { rng, dtype: f64 });
    return recordSteps(model, make(model), () => mul(sum(square(sub(model.forward(x), y))), 0.1),
      4);
  };
  const options = () => ({ optimizer: new SGD({ lr: 0.05, momentum: 0.9 }), tol: 0.1 });
  const a = await run((m) => new TuckerBUG(m, options()));
  const b = await run((m) => new RankAdaptiveBUG(m, options()));
  t.same(a.ranks, b.ranks, 'the same ranks at every step');
  t.equal(a.passes, 2 * 4, 'TuckerBUG: 2 passes per step');
  t.equal(b.passes, 3 * 4, 'RankAdaptiveBUG: one per basis, then the core');
  const worst = weightDiff(a, b);
  t.ok(worst < 1e-12, `every parameter agrees to ${worst.toExponential(2)}`);
});

t.test('TuckerBUG with one pass (the weight form) takes the two-pass step', async (t) => {
  const run = async (passes: 1 | 2) => {
    const rng = new Rng(13);
    const model = new Sequential([
      new TuckerConv2d(3, 8, 3, { ranks: [4, 2], padding: 1, rng, dtype: f64 }), new ReLU(),
      new TuckerConv2d(8, 6, 3, { modes: [0, 1, 2], ranks: [3, 4, 2], rng, dtype: f64 }),
      new ReLU(), new Flatten(), new LowRankDense(6 * 4, 12, { rank: 4, rng, dtype: f64 }),
      new ReLU(), new Dense(12, 5, { rng, dtype: f64 }),
    ]);
    const x = randn([6, 3, 4, 4], { rng, dtype: f64 });
    const y = randn([6, 5], { rng, dtype: f64 });
    const bug = new TuckerBUG(model, { optimizer: new SGD({ lr: 0.05, momentum: 0.9 }), tol: 0.1,
      passes });
    return recordSteps(model, bug, () => mul(sum(square(sub(model.forward(x), y))), 0.1), 4);
  };
  const one = await run(1);
  const two = await run(2);
  t.equal(one.passes, 4, 'one pass per step');
  t.same(one.ranks, two.ranks, 'the same ranks at every step');
  const worst = weightDiff(one, two);
  t.ok(worst < 1e-12, `every parameter agrees to ${worst.toExponential(2)}`);
  const m = new Sequential([new TuckerConv2d(4, 6, 3, { seed: 1 })]);
  t.throws(() => new TuckerBUG(m, { optimizer: new SGD({ lr: 0.1 }), rank: 'fixed', passes: 1 }),
    /passes 1 needs the rank-adaptive step/);
  t.throws(() => new TuckerBUG(m, { optimizer: new SGD({ lr: 0.1 }), tol: 0.1,
    passes: 3 as 2 }), /TuckerBUG: passes must be 1 or 2, got 3/);
});

t.test('fixed-rank TuckerBUG keeps the ranks and its bases orthonormal', async (t) => {
  const rng = new Rng(10);
  const l = new TuckerConv2d(4, 6, 3, { ranks: [3, 2], padding: 1, rng, dtype: f64 });
  const x = randn([4, 4, 5, 5], { rng, dtype: f64 });
  const y = randn([4, 6, 5, 5], { rng, dtype: f64 });
  const bug = new TuckerBUG(new Sequential([l]), { optimizer: new SGD({ lr: 0.05 }),
    rank: 'fixed' });
  const losses = [];
  for (let s = 0; s < 5; s++) {
    losses.push((await bug.step(() => mul(sum(square(sub(l.forward(x), y))), 0.01))).loss);
  }
  t.same(l.ranks, [3, 2]);
  t.ok(losses[4] < losses[0], `the loss falls: ${losses[0].toFixed(4)} → ${losses[4].toFixed(4)}`);
  t.ok(Math.max(...l.bases.map((u) => orthonormalityError(u))) < 1e-13);
});

t.test('fromConv2d: the truncated HOSVD of a dense kernel', async (t) => {
  const rng = new Rng(11);
  const c = new Conv2d(8, 10, 3, { padding: 1, rng, dtype: f64 });
  const x = randn([2, 8, 5, 5], { rng, dtype: f64 });
  const full = TuckerConv2d.fromConv2d(c, { ranks: [10, 8] });
  t.ok(maxAbsDiff(full.forward(x), c.forward(x)) < 1e-12, 'at full ranks: the same conv');
  for (const tol of [0.1, 0.3]) {
    const l = TuckerConv2d.fromConv2d(c, { tol });
    const err = fro(sub(l.kernel(), c.weight)) / fro(c.weight);
    t.ok(err <= Math.SQRT2 * tol, `τ ${tol}: ranks [${l.ranks}], ‖Δ𝒲‖/‖𝒲‖ = ${err.toFixed(3)}`);
    if (tol === 0.3) t.ok(l.ranks[0] + l.ranks[1] < 18, `the ranks [${l.ranks}] fall below [10, 8]`);
    l.dispose();
  }
});

t.test('a decaying spectrum: the channel unfoldings have the singular values s·qʲ', async (t) => {
  const l = new TuckerConv2d(16, 16, 3, { ranks: [6, 6], spectrum: { decay: 0.5 }, seed: 1,
    dtype: f64, init: 'he' });
  for (const i of [0, 1]) {
    const s = Array.from(tidy(() => linalg.svd(unfold(l.core, i)).s).dataSync());
    const ratios = s.slice(1).map((v, j) => v / s[j]);
    t.ok(ratios.every((r) => Math.abs(r - 0.5) < 1e-12), `mode ${i}: σⱼ₊₁/σⱼ = 0.5`);
  }
  // He's energy: E‖𝒲‖² = numel · 2/fanIn = 16·16·9·2/(16·9).
  t.ok(Math.abs(fro(l.kernel()) ** 2 - 32) < 1e-9, '‖𝒲‖² = 32');
});

t.test('the direct baseline: the same start, every factor an ordinary parameter', async (t) => {
  const rng = new Rng(12);
  const o = { ranks: [3, 2], padding: 1, seed: 5, dtype: f64 };
  const tucker = new TuckerConv2d(4, 6, 3, o);
  const direct = new TuckerFactorsConv2d(4, 6, 3, o);
  const x = randn([3, 4, 5, 5], { rng, dtype: f64 });
  const y = randn([3, 6, 5, 5], { rng, dtype: f64 });
  t.ok(maxAbsDiff(direct.forward(x), tucker.forward(x)) < 1e-14, 'the same function at init');
  t.equal(direct.parameters().filter((p) => p.trainable).length, 4, 'core, U0, U1, bias');
  const step = new GradientStep(direct, { optimizer: new SGD({ lr: 0.5 }) });
  const U0 = clone(direct.factors[0]);
  for (let s = 0; s < 3; s++) await step.step(() => mul(sum(square(sub(direct.forward(x), y))), 0.01));
  t.ok(maxAbsDiff(direct.factors[0], U0) > 1e-6, 'the factors move');
  t.ok(orthonormalityError(direct.factors[0]) > 1e-8, 'nothing keeps them orthonormal');
  t.same(direct.ranks, [3, 2]);
});

t.test('a model file keeps each Tucker convolution at its ranks', async (t) => {
  const rng = new Rng(14);
  const make = () => vggMini({ rng: new Rng(15), conv: 'tucker', blocks: [[4, 4], [8]] });
  const trained = make();
  const x = randn([8, 784], { rng });
  const labels = tensor(Int32Array.from({ length: 8 }, (_, i) => i % 10), [8], 'int32');
  const bug = new TuckerBUG(trained, { optimizer: new SGD({ lr: 0.1 }), tol: 0.3 });
  for (let s = 0; s < 3; s++) await bug.step(() => crossEntropy(trained.forward(x), labels));
  const ranks = modelRanks(trained);
  t.not(JSON.stringify(ranks), JSON.stringify(modelRanks(make())), 'the ranks changed');
  const loaded = make();
  loadModel(loaded, encodeModel(trained));
  t.same(modelRanks(loaded), ranks);
  t.equal(maxAbsDiff(loaded.forward(x), trained.forward(x)), 0, 'the same outputs, bit for bit');
});

t.test('bad input names the option and the value', async (t) => {
  const make = (o: object, inC = 4) => () => new TuckerConv2d(inC, 6, 3, { seed: 1, ...o });
  t.throws(make({ ranks: [7, 2] }), /ranks 7 of mode 0 \(out\) is outside \[1, 6\]/);
  t.throws(make({ ranks: [3, 5] }), /ranks 5 of mode 1 \(in\) is outside \[1, 4\]/);
  t.throws(make({ modes: [0, 1, 2], ranks: [2, 2, 4] }), /ranks 4 of mode 2 \(kh\) is outside \[1, 3\]/);
  t.throws(make({ ranks: [2] }), /ranks \[2\] has 1 values for the 2 modes \[0,1\]/);
  t.throws(make({ modes: [4] }), /modes \[4\] must be distinct kernel modes/);
  t.throws(make({ modes: [0, 0] }), /modes \[0,0\] must be distinct kernel modes/);
  t.throws(make({ modes: [] }), /modes \[\] must be distinct kernel modes/);
  t.throws(make({}, 1), /mode 1 \(in\) has size 1 in kernel \[6,1,3,3\]; it cannot be factorized/);
  for (const tol of [1, -0.1, Number.NaN]) {
    t.throws(make({ tol }), new RegExp(`tol must be in \\[0, 1\\), got ${tol}`));
  }
  t.throws(make({ tol: 0.1, ranks: 2 }), /pass ranks or tol, not both/);
  t.throws(make({ maxRanks: [2, 2], ranks: [3, 2] }), /ranks 3 of mode 0 \(out\) is outside \[1, 2\] for kernel \[6,4,3,3\]/);
  t.throws(make({ modes: [0], spectrum: { decay: 0.5 } }), /needs a decay in \(0, 1\] and two or more bases/);
  t.throws(make({ path: 'fast' }), /path 'fast' is not one of auto, factorized, rebuilt/);
  const c = new Conv2d(4, 6, 3, { seed: 1 });
  t.throws(() => TuckerConv2d.fromConv2d(c, { tol: 1.5 }), /fromKernel: tol must be in \[0, 1\), got 1.5/);
  const m = new Sequential([new TuckerConv2d(4, 6, 3, { seed: 1 })]);
  t.throws(() => new TuckerBUG(m, { optimizer: new SGD({ lr: 0.1 }), tol: -1 }), /TuckerBUG: tol must be a finite number ≥ 0, got -1/);
  t.throws(() => new TuckerBUG(m, { optimizer: new SGD({ lr: 0.1 }), tol: 0.1,
    rank: 'some' } as never), /TuckerBUG: rank must be 'adaptive' or 'fixed', got 'some'/);
});
