// The factorized-layer kit with a format the library does not ship: a Tucker-shaped conv kernel
// 𝒲 = 𝒞 ×₀ U₀ ×₁ U₁ (order-4 core, bases on the two channel modes), written against the kit
// only (kit-examples/, the examples of docs/factorized-layers.md, kept verbatim on that page).
// Oracles (float64): the dense Conv2d with the same kernel, the closed-form gradients of the
// Tucker forms, the invariance of W and of the optimizer state's weight-space image under
// augmentation and exact truncation, equality with dense SGD (with momentum) at full rank,
// recovery of a known multilinear rank, and RankAdaptiveBUG (2 passes) for the docs' integrator.
import { readFileSync } from 'node:fs';
import t from 'tap';
import {
  linalg, modeProduct, mul, randn, reshape, Rng, sub, sum, square, type Tensor, tidy, transpose,
  unfold, valueAndGrads,
} from '@dlrt/core';
import '@dlrt/backend-cpu';
import { maxAbsDiff, orthonormalityError } from '@dlrt/core/testing';
import {
  ABPSI, Conv2d, type FactorForm, FactorizedLayer, FixedRankBUG, GradientStep, type Integrator,
  parameterCounts, ParallelBUG, RankAdaptiveBUG, Sequential, SGD,
} from '../src/index.js';
import { TuckerConv } from './kit-examples/tucker-conv.js';
import { TwoPassBUG } from './kit-examples/two-pass-bug.js';

const f64 = 'float64' as const;
const fro = (a: Tensor): number => tidy(() => linalg.norm(a));

/** The layer's dense kernel 𝒞 ×₀ U₀ ×₁ U₁. */
function kernel(l: TuckerConv): Tensor {
  return tidy(() => modeProduct(modeProduct(l.core, l.bases[0], 0), l.bases[1], 1));
}

/** A TuckerConv drawing float64 values from `rng`. */
const tucker = (out: number, inC: number, ranks: [number, number], rng: Rng) =>
  new TuckerConv(out, inC, ranks, { rng, dtype: f64 });

/** The Conv2d computing the same function as `l` now. */
function denseTwin(l: TuckerConv): Conv2d {
  const c = new Conv2d(l.inC, l.out, 3, { padding: 1, dtype: f64, seed: 1 });
  c.weight.assign(kernel(l));
  c.bias!.assign(l.bias);
  return c;
}

t.test('a Tucker-shaped layer plugs into the kit: forward and parameter counts', async (t) => {
  const l = tucker(6, 5, [3, 2], new Rng(1));
  const x = randn([2, 5, 4, 4], { seed: 2, dtype: f64 });
  t.ok(maxAbsDiff(l.forward(x), denseTwin(l).forward(x)) < 1e-13, 'forward = dense conv');
  t.same(l.ranks, [3, 2]);
  const c = parameterCounts(new Sequential([l]));
  t.equal(c.parameters, 3 * 2 * 9 + 6 * 3 + 5 * 2 + 6, 'core + bases + bias');
  t.equal(c.dense, 6 * 5 * 9 + 6, 'the dense kernel and bias');
  t.ok(Math.abs(c.compression - (1 - c.parameters / c.dense)) < 1e-15);
});

t.test('the forms give the K-step and core gradients of a Tucker core', async (t) => {
  const l = tucker(6, 5, [3, 2], new Rng(3));
  const x = randn([2, 5, 4, 4], { seed: 4, dtype: f64 });
  const y = randn([2, 6, 4, 4], { seed: 5, dtype: f64 });
  const loss = (out: Tensor) => sum(square(sub(out, y)));
  const [U0, U1] = l.bases;
  // 𝒢 = ∇_W ℓ of the dense twin; ∇_𝒦ᵢ = Mat_i(𝒢 ×ⱼ Uⱼᵀ), ∇_𝒞 = 𝒢 ×₀ U₀ᵀ ×₁ U₁ᵀ.
  const twin = denseTwin(l);
  const G = valueAndGrads(() => loss(twin.forward(x)))([twin.weight]).grads[0];
  const gK = [unfold(modeProduct(G, transpose(U1), 1), 0),
    unfold(modeProduct(G, transpose(U0), 0), 1)];
  const gC = modeProduct(modeProduct(G, transpose(U0), 0), transpose(U1), 1);
  const K = [l.coefficient(0), l.coefficient(1)];
  t.same(K.map((k) => k.shape), [[6, 2 * 9], [5, 3 * 9]], '𝒦ᵢ = Uᵢ Mat(𝒞)');
  const grads = (form: FactorForm, sources: Tensor[]) => FactorizedLayer.withForms([l], [form],
    () => valueAndGrads(() => loss(l.forward(x)))(sources).grads);
  for (const i of [0, 1]) {
    const g = grads({ kind: 'K', basis: i, K: K[i] }, [K[i]])[0];
    t.ok(maxAbsDiff(g, gK[i]) < 1e-11, `K form of basis ${i}: Mat(𝒢 ×ⱼ Uⱼᵀ)`);
  }
  t.ok(maxAbsDiff(grads({ kind: 'factors' }, [l.core])[0], gC) < 1e-11, 'factors form: ∇_𝒞');
  const g = grads({ kind: 'tangent', K }, [...K, l.core]);
  t.ok(maxAbsDiff(g[0], gK[0]) < 1e-11 && maxAbsDiff(g[1], gK[1]) < 1e-11 &&
    maxAbsDiff(g[2], gC.neg()) < 1e-11, 'tangent form: both K gradients and −∇_𝒞');
});

t.test('generic augmentation and truncation move the weight and the optimizer state',
  async (t) => {
    const rng = new Rng(6);
    const l = tucker(8, 7, [3, 2], rng);
    const opt = new SGD({ lr: 0.1, momentum: 0.9 });
    opt.step(new Map([[l.core, randn(l.core.shape, { rng, dtype: f64 })]]));  // a momentum state
    // The weight W and the momentum's image in weight space, m ×₀ U₀ ×₁ U₁.
    const image = () => tidy(() => modeProduct(modeProduct(opt.state(l.core)![0], l.bases[0], 0),
      l.bases[1], 1));
    const W0 = kernel(l);
    const M0 = image();

    const directions = [randn([8, 3], { rng, dtype: f64 }), randn([7, 2], { rng, dtype: f64 })];
    l.rebase(l.augmented(directions), { optimizer: opt });
    t.same(l.ranks, [6, 4], 'each basis doubled');
    t.ok(l.bases.every((u) => orthonormalityError(u) < 1e-14), 'augmented bases orthonormal');
    t.ok(fro(sub(kernel(l), W0)) < 1e-13 * fro(W0), 'augmentation leaves W unchanged');
    t.ok(fro(sub(image(), M0)) < 1e-13 * fro(M0), '… and the momentum\'s image');

    // The augmented core still has multilinear rank (3, 2): truncation at θ = 1e-10 finds it.
    const rule = { kind: 'relative', theta: 1e-10 } as const;
    const next = l.truncated([rule, rule]);
    t.same(next.truncations.map((x) => x.rank), [3, 2], 'truncation recovers the ranks');
    l.rebase(next, { optimizer: opt });
    t.same(l.core.shape, [3, 2, 3, 3]);
    t.ok(fro(sub(kernel(l), W0)) < 1e-12 * fro(W0), 'exact truncation leaves W unchanged');
    t.ok(fro(sub(image(), M0)) < 1e-12 * fro(M0), '… and the momentum\'s image');
    t.throws(() => l.rebase({ core: l.core, bases: [l.bases[1], l.bases[0]] }),
      /TuckerConv.rebase: .* do not factor this layer/);
  });

// At full rank the bases are square orthogonal changes of coordinates, so with θ = 0 every
// step of these integrators is a dense SGD step, momentum included (its buffer is rotated
// with the bases).
t.test('full rank: RankAdaptiveBUG and FixedRankBUG equal dense SGD with momentum', async (t) => {
  const makers: [string, (m: Sequential) => Integrator][] = [
    ['RankAdaptiveBUG', (m) => new RankAdaptiveBUG(m, { optimizer: sgd(), tol: 0 })],
    ['RankAdaptiveBUG passes 2', (m) =>
      new RankAdaptiveBUG(m, { optimizer: sgd(), tol: 0, passes: 2 })],
    ['FixedRankBUG', (m) => new FixedRankBUG(m, { optimizer: sgd() })],
  ];
  for (const [name, make] of makers) {
    const rng = new Rng(7);
    const l = tucker(4, 3, [4, 3], rng);
    const twin = denseTwin(l);
    const x = randn([3, 3, 5, 5], { rng, dtype: f64 });
    const y = randn([3, 4, 5, 5], { rng, dtype: f64 });
    const lr = make(new Sequential([l]));
    const dense = new GradientStep(new Sequential([twin]), { optimizer: sgd() });
    let worst = 0;
    for (let step = 0; step < 4; step++) {
      const a = await lr.step(() => mul(sum(square(sub(l.forward(x), y))), 0.01));
      const b = await dense.step(() => mul(sum(square(sub(twin.forward(x), y))), 0.01));
      worst = Math.max(worst, Math.abs(a.loss - b.loss), maxAbsDiff(kernel(l), twin.weight),
        maxAbsDiff(l.bias, twin.bias!));
    }
    t.ok(worst < 1e-10, `${name}: max difference over 4 steps ${worst.toExponential(2)}`);
  }
});

function sgd(): SGD {
  return new SGD({ lr: 0.1, momentum: 0.9 });
}

// Least squares: Y = conv(X, W*) with W* of multilinear rank (2, 3) on the channel modes; the
// layer starts at (4, 4), θ = 0.05 (relative).
t.test('RankAdaptiveBUG recovers a Tucker rank; the loss never increases', async (t) => {
  const rng = new Rng(8);
  const target = tucker(6, 5, [2, 3], rng);
  const X = randn([32, 5, 4, 4], { rng, dtype: f64 });
  const Y = tidy(() => target.forward(X).sub(reshape(target.bias, [1, 6, 1, 1])));
  const l = tucker(6, 5, [4, 4], rng);
  l.bias.assign(tidy(() => mul(l.bias, 0)));
  const bug = new RankAdaptiveBUG(new Sequential([l]), { optimizer: new SGD({ lr: 0.5 }),
    tol: 0.05 });
  const losses: number[] = [];
  for (let step = 0; step < 150; step++) {
    losses.push((await bug.step(() => mul(sum(square(sub(l.forward(X), Y))), 0.5 / (32 * 16))))
      .loss);
  }
  const err = fro(sub(kernel(l), kernel(target))) / fro(kernel(target));
  t.same(l.ranks, [2, 3], 'ends at the target\'s ranks');
  t.ok(err < 1e-10, `‖W − W*‖/‖W*‖ = ${err.toExponential(2)}`);
  const rises = losses.filter((v, i) => i > 0 && v > losses[i - 1] * (1 + 1e-12));
  t.equal(rises.length, 0, `the loss never increases (${losses[0].toExponential(2)} → ` +
    `${losses[losses.length - 1].toExponential(2)})`);
});

t.test('matrix-only integrators name a Tucker layer', async (t) => {
  const m = new Sequential([tucker(4, 3, [2, 2], new Rng(9))]);
  const x = randn([1, 3, 4, 4], { seed: 1, dtype: f64 });
  const lossFn = () => sum(square(m.forward(x)));
  for (const integrator of [new ParallelBUG(m, { optimizer: new SGD({ lr: 0.1 }), tol: 0.1 }),
    new ABPSI(m, { optimizer: new SGD({ lr: 0.1 }), tol: 0.1 })]) {
    await t.rejects(integrator.step(lossFn), new RegExp(`${integrator.name}: layer '0' ` +
      '\\(TuckerConv, core \\[2,2,3,3\\], bases on modes \\[0,1\\]\\) is not a matrix'));
  }
});

t.test('the BUG integrators name a model without factorized layers', async (t) => {
  const m = new Sequential([new Conv2d(3, 2, 3, { seed: 2, dtype: f64 })]);
  const x = randn([1, 3, 4, 4], { seed: 1, dtype: f64 });
  const lossFn = () => sum(square(m.forward(x)));
  for (const integrator of [new RankAdaptiveBUG(m, { optimizer: new SGD({ lr: 0.1 }), tol: 0.1 }),
    new FixedRankBUG(m, { optimizer: new SGD({ lr: 0.1 }) })]) {
    await t.rejects(integrator.step(lossFn), new RegExp(`${integrator.name}: the model has no ` +
      'factorized layer .*train a dense model with GradientStep'));
  }
});

t.test('the docs\' integrator example is RankAdaptiveBUG with 2 passes, bit for bit', async (t) => {
  const run = async (make: (m: Sequential) => Integrator) => {
    const rng = new Rng(10);
    const l = tucker(6, 5, [3, 3], rng);
    const x = randn([8, 5, 4, 4], { rng, dtype: f64 });
    const y = randn([8, 6, 4, 4], { rng, dtype: f64 });
    const integrator = make(new Sequential([l]));
    const out: unknown[] = [];
    for (let s = 0; s < 5; s++) {
      out.push(await integrator.step(() => mul(sum(square(sub(l.forward(x), y))), 0.01)));
    }
    return [out, Array.from(kernel(l).dataSync())];
  };
  const options = () => ({ optimizer: new SGD({ lr: 0.1, momentum: 0.9 }), tol: 0.05 });
  const a = await run((m) => new TwoPassBUG(m, options()));
  const b = await run((m) => new RankAdaptiveBUG(m, { ...options(), passes: 2 }));
  t.same(a, b, 'losses, ranks and the final kernel');
});

t.test('docs/factorized-layers.md shows the examples verbatim', async (t) => {
  const page = readFileSync(new URL('../../../docs/factorized-layers.md', import.meta.url), 'utf8');
  for (const file of ['tucker-conv.ts', 'two-pass-bug.ts']) {
    const code = readFileSync(new URL(`./kit-examples/${file}`, import.meta.url), 'utf8');
    t.ok(page.includes(`\`\`\`ts\n${code}\`\`\``), `${file} is on the page as it is here`);
  }
});
