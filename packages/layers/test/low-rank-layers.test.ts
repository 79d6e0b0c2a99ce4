// LowRankDense and LowRankConv2d against their dense twins in float64, the gradient identities
// of DLRT's K, L and S steps (each form's gradient against G = ∇_W ℓ of the dense twin),
// parameter counts, and the errors for bad ranks.
import t from 'tap';
import {
  conv2d, eye, linalg, matmul, randn, reshape, Rng, sub, sum, square, type Tensor, tidy, transpose,
  valueAndGrads,
} from '@dlrt/core';
import '@dlrt/backend-cpu';
import { maxAbsDiff, orthonormalityError } from '@dlrt/core/testing';
import {
  Conv2d, Dense, type FactorForm, FactorizedLayer, LowRankConv2d, LowRankDense, type LowRankLayer,
} from '../src/index.js';

const f64 = 'float64' as const;
t.test('LowRankDense: orthonormal random factors and the dense twin', async (t) => {
  const l = new LowRankDense(30, 20, { rank: 6, dtype: f64, seed: 4 });
  t.equal(l.rank, 6);
  t.equal(l.maxRank, 20, 'maxRank defaults to min(n, m)');
  t.ok(orthonormalityError(l.U) < 1e-14 && orthonormalityError(l.V) < 1e-14, 'U and V orthonormal');
  t.equal(l.numParameters(), 6 * (20 + 30) + 36 + 20, 'r(n + m) + r² + bias');
  t.equal(l.denseParameters, 20 * 30 + 20);
  const x = randn([7, 30], { seed: 5, dtype: f64 });
  const W = l.weightMatrix();
  const want = tidy(() => matmul(x, W, { transposeB: true }).add(l.bias!));
  t.ok(maxAbsDiff(l.forward(x), want) < 1e-13, 'forward = x Wᵀ + b');
  const s = Array.from(linalg.svd(l.S).s.dataSync());
  t.ok(s.every((v, i) => i === 0 || v <= s[i - 1]), 'S is diagonal with sorted values');
});

t.test('LowRankDense.fromDense is the truncated SVD', async (t) => {
  const d = new Dense(12, 9, { seed: 2, dtype: f64 });
  const full = LowRankDense.fromDense(d, { rank: 9 });
  t.ok(maxAbsDiff(full.weightMatrix(), d.weight) < 1e-13, 'full rank reproduces W');
  t.ok(maxAbsDiff(full.bias!, d.bias!) === 0, 'bias copied');
  const r3 = LowRankDense.fromDense(d, { rank: 3 });
  const sigma = Array.from(linalg.svd(d.weight).s.dataSync());
  const err = tidy(() => linalg.norm(sub(r3.weightMatrix(), d.weight)));
  t.ok(Math.abs(err - Math.hypot(...sigma.slice(3))) < 1e-12, '‖W − W₃‖ = ‖σ_tail‖ (Eckart–Young)');
});

t.test('LowRankConv2d equals a Conv2d with the folded kernel', async (t) => {
  for (const o of [{}, { stride: 2, padding: 1 }, { dilation: 2, padding: [0, 1] as const }]) {
    const l = new LowRankConv2d(3, 5, [3, 2], { rank: 4, dtype: f64, seed: 7, ...o });
    const c = new Conv2d(3, 5, [3, 2], { dtype: f64, seed: 1, ...o });
    c.weight.assign(tidy(() => reshape(l.weightMatrix(), [5, 3, 3, 2])));
    c.bias!.assign(l.bias!);
    const x = randn([2, 3, 7, 6], { seed: 3, dtype: f64 });
    t.ok(maxAbsDiff(l.forward(x), c.forward(x)) < 1e-13, `forward ${JSON.stringify(o)}`);
  }
  const c = new Conv2d(2, 4, 3, { dtype: f64, seed: 9, padding: 1 });
  const back = LowRankConv2d.fromConv2d(c, { rank: 4 });
  const x = randn([1, 2, 5, 5], { seed: 1, dtype: f64 });
  t.ok(maxAbsDiff(back.forward(x), c.forward(x)) < 1e-12, 'fromConv2d at full rank keeps padding');
  t.equal(back.numParameters(), 4 * (4 + 18) + 16 + 4);
});

// G = ∇_W ℓ from the dense twin; the forms must give G V, Gᵀ U, Uᵀ G V (and −Uᵀ G V), and
// withForms restores the factors form.
t.test('gradient identities of each form', async (t) => {
  const layers: [string, LowRankLayer, (w: Tensor, x: Tensor) => Tensor, Tensor][] = [
    ['dense', new LowRankDense(8, 6, { rank: 3, dtype: f64, seed: 1 }),
      (w, x) => matmul(x, w, { transposeB: true }), randn([5, 8], { seed: 2, dtype: f64 })],
    ['conv', new LowRankConv2d(2, 6, 2, { rank: 3, dtype: f64, seed: 1, padding: 1 }),
      (w, x) => conv2d(x, reshape(w, [6, 2, 2, 2]), { padding: 1 }),
      randn([2, 2, 4, 4], { seed: 2, dtype: f64 })],
  ];
  for (const [name, l, dense, x] of layers) {
    const target = randn(l.forward(x).shape, { seed: 3, dtype: f64 });
    const loss = (y: Tensor) => sum(square(sub(y, target)));
    const W = l.weightMatrix();
    const G = valueAndGrads((w) => loss(dense(w, x).add(name === 'dense' ? l.bias!
      : reshape(l.bias!, [1, 6, 1, 1]))))([W]).grads[0];
    const K = matmul(l.U, l.S);
    const L = matmul(l.V, l.S, { transposeB: true });
    const GV = matmul(G, l.V);
    const GtU = matmul(G, l.U, { transposeA: true });
    const UtGV = matmul(matmul(l.U, G, { transposeA: true }), l.V);
    const inForm = (form: FactorForm, sources: Tensor[]) => FactorizedLayer.withForms([l], [form],
      () => valueAndGrads(() => loss(l.forward(x)))(sources).grads);
    t.ok(maxAbsDiff(inForm({ kind: 'K', basis: 0, K }, [K])[0], GV) < 1e-12, `${name}: ∇_K = G V`);
    t.ok(maxAbsDiff(inForm({ kind: 'K', basis: 1, K: L }, [L])[0], GtU) < 1e-12,
      `${name}: ∇_L = Gᵀ U`);
    t.ok(maxAbsDiff(inForm({ kind: 'factors' }, [l.S])[0], UtGV) < 1e-12, `${name}: ∇_S = Uᵀ G V`);
    const g = inForm({ kind: 'tangent', K: [K, L] }, [K, L, l.S]);
    t.ok(maxAbsDiff(g[0], GV) < 1e-12 && maxAbsDiff(g[1], GtU) < 1e-12 &&
      maxAbsDiff(g[2], UtGV.neg()) < 1e-12, `${name}: tangent form gives G V, Gᵀ U, −Uᵀ G V`);
    t.ok(maxAbsDiff(l.forward(x), dense(W, x).add(name === 'dense' ? l.bias!
      : reshape(l.bias!, [1, 6, 1, 1]))) < 1e-12, `${name}: the factors form is back after a pass`);
    t.throws(() => FactorizedLayer.withForms([l], [{ kind: 'K', basis: 2, K }], () => 0),
      /form 'K' does not fit this layer/);
  }
});

t.test('bad ranks name the layer and the values', async (t) => {
  t.throws(() => new LowRankDense(10, 4, { rank: 5 }), /LowRankDense: rank 5 is outside \[1, 4\]/);
  t.throws(() => new LowRankDense(10, 4, { rank: 0 }), /rank 0 is outside/);
  t.throws(() => new LowRankDense(10, 8, { rank: 4, maxRank: 3 }), /maxRank 3 must be an integer in \[rank 4, min\(8, 10\) = 8\]/);
  t.throws(() => new LowRankConv2d(2, 30, 2, { rank: 9 }), /LowRankConv2d: rank 9 is outside \[1, 8\]/);
  t.throws(() => LowRankDense.fromDense(new Dense(3, 3, { seed: 1 }), { rank: 4 }), /rank 4 is outside/);
  const l = new LowRankDense(6, 4, { rank: 2, seed: 1 });
  t.throws(() => l.forward(randn([2, 5], { seed: 1 })), /input \[2,5\] must end in 6/);
  t.throws(() => l.rebase({ core: l.S, bases: [l.V, l.U] }),
    /LowRankDense.rebase: core \[2,2\] and bases \[6,2\], \[4,2\] do not factor this layer \(core \[2,2\], bases \[4,2\], \[6,2\] on modes \[0,1\]\)/);
});

t.test('the seed decides the init; an rng is shared', async (t) => {
  const a = new LowRankDense(9, 7, { rank: 3, seed: 1 });
  const b = new LowRankDense(9, 7, { rank: 3, seed: 1 });
  t.equal(maxAbsDiff(a.weightMatrix(), b.weightMatrix()), 0);
  const rng = new Rng(5);
  const c = new LowRankDense(9, 7, { rank: 3, rng });
  const d = new LowRankDense(9, 7, { rank: 3, rng });
  t.ok(maxAbsDiff(c.weightMatrix(), d.weightMatrix()) > 0);
  t.ok(transpose(a.U).shape[0] === 3);
});
