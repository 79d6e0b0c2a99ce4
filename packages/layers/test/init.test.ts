// Weight init schemes. Oracles: the laws themselves (U(±1/√fan_in) has variance 1/(3·fan_in),
// He's N(0, 2/fan_in) has 2/fan_in), E‖W‖²_F = n·m·variance for the low-rank cores, and the
// reason He exists: a deep ReLU stack keeps its activations' scale under it and loses it under
// the uniform law (about 6× in squared norm per layer).
import t from 'tap';
import { mean, Rng, square, tensor, type Tensor, tidy } from '@dlrt/core';
import '@dlrt/backend-cpu';
import {
  Conv2d, Dense, LowRankConv2d, LowRankDense, type Module, mlp, randomFactors,
} from '../src/index.js';

const f64 = 'float64' as const;

function moments(x: Tensor | ArrayLike<number>):
{ mean: number; variance: number; maxAbs: number } {
  const d: ArrayLike<number> = 'dataSync' in x ? x.dataSync() : x;
  let s = 0, s2 = 0, maxAbs = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    s += v; s2 += v * v; maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  const mu = s / d.length;
  return { mean: mu, variance: s2 / d.length - mu * mu, maxAbs };
}

t.test('uniform: U(±1/√fan_in) weights and biases', async (t) => {
  const l = new Dense(500, 400, { seed: 1, dtype: f64 });
  const w = moments(l.weight);
  t.ok(w.maxAbs <= 1 / Math.sqrt(500), `max |w| ${w.maxAbs}`);
  t.ok(Math.abs(w.variance * 3 * 500 - 1) < 0.03, `variance × 3·fan_in = ${w.variance * 1500}`);
  t.ok(moments(l.bias!).maxAbs <= 1 / Math.sqrt(500));
  t.ok(moments(l.bias!).maxAbs > 0, 'biases are drawn, not zero');
  l.dispose();
});

t.test('he: N(0, 2/fan_in) weights, zero biases, Dense and Conv2d (fan_in = in·k·k)', async (t) => {
  const layers: [Module & { weight: Tensor; bias: Tensor | null }, number][] = [
    [new Dense(500, 400, { seed: 2, dtype: f64, init: 'he' }), 500],
    [new Conv2d(20, 400, 5, { seed: 3, dtype: f64, init: 'he' }), 20 * 25],
  ];
  for (const [l, fanIn] of layers) {
    const w = moments(l.weight);
    t.ok(Math.abs(w.variance * fanIn / 2 - 1) < 0.03, `variance × fan_in/2 = ${w.variance * fanIn / 2}`);
    t.ok(Math.abs(w.mean) < 3 * Math.sqrt(2 / fanIn / l.weight.size), `mean ${w.mean}`);
    t.equal(moments(l.bias!).maxAbs, 0);
    l.dispose();
  }
});

t.test('orthogonal: equal singular values with He\'s energy, zero biases', async (t) => {
  // n×m weight (m = fan_in) with orthonormal rows (n ≤ m) or columns (n > m), scaled to
  // σ² = n·m·(2/m)/min(n, m): W Wᵀ = σ² I or Wᵀ W = σ² I.
  const gram = (w: Tensor, n: number, m: number): { maxOff: number; diag: number[] } => {
    const d = w.dataSync();
    const k = Math.min(n, m);
    let maxOff = 0;
    const diag: number[] = [];
    for (let i = 0; i < k; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        if (n <= m) for (let c = 0; c < m; c++) s += d[i * m + c]! * d[j * m + c]!;
        else for (let r = 0; r < n; r++) s += d[r * m + i]! * d[r * m + j]!;
        if (i === j) diag.push(s); else maxOff = Math.max(maxOff, Math.abs(s));
      }
    }
    return { maxOff, diag };
  };
  const cases: [Module & { weight: Tensor; bias: Tensor | null }, number, number][] = [
    [new Dense(500, 400, { seed: 2, dtype: f64, init: 'orthogonal' }), 400, 500],
    [new Dense(30, 60, { seed: 4, dtype: f64, init: 'orthogonal' }), 60, 30],
    [new Conv2d(20, 40, 5, { seed: 3, dtype: f64, init: 'orthogonal' }), 40, 500],
  ];
  for (const [l, n, m] of cases) {
    const sigma2 = (n * m * (2 / m)) / Math.min(n, m);
    const g = gram(l.weight, n, m);
    t.ok(g.maxOff < 1e-12, `${l.constructor.name} ${n}×${m}: off-diagonal ${g.maxOff}`);
    t.ok(g.diag.every((v) => Math.abs(v - sigma2) < 1e-12), `diagonal = σ² = ${sigma2}`);
    t.equal(moments(l.bias!).maxAbs, 0, 'zero biases');
    l.dispose();
  }
  const lr = new LowRankDense(600, 500, { rank: 200, seed: 1, dtype: f64, init: 'orthogonal' });
  const s = lr.S.dataSync();
  const sigma = Math.sqrt((500 * 600 * (2 / 600)) / 200);
  let worst = 0;
  for (let i = 0; i < 200; i++) {
    for (let j = 0; j < 200; j++) worst = Math.max(worst, Math.abs(s[i * 200 + j]! - (i === j ? sigma : 0)));
  }
  t.ok(worst < 1e-12, `low-rank core S = σ·I with σ = ${sigma} (max deviation ${worst})`);
  lr.dispose();
});

t.test('gain linear halves the variance of he and orthogonal; models apply it to the output only',
  async (t) => {
    const relu = new Dense(500, 400, { seed: 2, dtype: f64, init: 'he' });
    const lin = new Dense(500, 400, { seed: 2, dtype: f64, init: 'he', gain: 'linear' });
    const a = relu.weight.dataSync(), b = lin.weight.dataSync();
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! / Math.SQRT2 - b[i]!));
    t.ok(worst < 1e-15, `same draws scaled by 1/√2 (max deviation ${worst})`);
    relu.dispose();
    lin.dispose();
    const o = new Dense(300, 200, { seed: 1, dtype: f64, init: 'orthogonal', gain: 'linear' });
    let sq = 0;
    for (const v of o.weight.dataSync()) sq += v * v;
    t.ok(Math.abs(sq - 200) < 1e-9, `orthogonal: ‖W‖²_F = n·m·(1/fan_in) = 200 (got ${sq})`);
    o.dispose();
    t.throws(() => new Dense(3, 3, { seed: 1, init: 'he', gain: 'tanh' as 'relu' }),
      /Dense: gain 'tanh' is not one of relu, linear/);

    const weights = (outputGain?: 'relu' | 'linear') => {
      const m = mlp({ rng: new Rng(3), hidden: [40], init: 'he', outputGain });
      const ws = m.layers.filter((l) => l instanceof Dense).map((l) => (l as Dense).weight.dataSync());
      m.dispose();
      return ws;
    };
    const [h0, out0] = weights(), [h1, out1] = weights('linear');
    t.same(h1, h0, 'hidden layer unchanged');
    let dev = 0;
    for (let i = 0; i < out0!.length; i++) dev = Math.max(dev, Math.abs(out0![i]! / Math.SQRT2 - out1![i]!));
    t.ok(dev < 1e-7, `output layer scaled by 1/√2 (max deviation ${dev})`);
  });

t.test('low-rank cores: E‖W‖²_F = n·m·variance of the chosen law', async (t) => {
  // Σσ² of r = 200 draws has relative sd √(2/r) = 10%; the mean over 6 seeds has ~4%.
  for (const [init, variance] of [['uniform', 1 / (3 * 600)], ['he', 2 / 600]] as const) {
    let total = 0;
    for (let seed = 0; seed < 6; seed++) {
      const l = new LowRankDense(600, 500, { rank: 200, seed, dtype: f64, init });
      total += tidy(() => Number(mean(square(l.S)).dataSync()[0])) * 200 * 200;
      l.dispose();
    }
    const ratio = total / 6 / (500 * 600 * variance);
    t.ok(Math.abs(ratio - 1) < 0.12, `${init}: mean ‖W‖² / (n·m·variance) = ${ratio}`);
  }
  const c = new LowRankConv2d(20, 50, 5, { rank: 20, seed: 1, init: 'he' });
  t.equal(moments(c.bias!).maxAbs, 0, 'he zeroes the low-rank biases too');
  c.dispose();
});

t.test('dlrt-net: the reference code\'s law; dense layers as uniform, low-rank cores of unit scale',
  async (t) => {
    // Dense layers and biases are drawn exactly as under 'uniform' (same seed, same numbers).
    for (const make of [(init: 'uniform' | 'dlrt-net') => new Dense(50, 40, { seed: 7, init }),
      (init: 'uniform' | 'dlrt-net') => new Conv2d(3, 8, 5, { seed: 7, init })]) {
      const a = make('uniform'), b = make('dlrt-net');
      t.same(b.weight.dataSync(), a.weight.dataSync(), `${a.constructor.name}: weights as uniform`);
      t.same(b.bias!.dataSync(), a.bias!.dataSync(), `${a.constructor.name}: biases as uniform`);
      a.dispose();
      b.dispose();
    }
    // Low-rank: S = the r largest of 2·maxRank |N(0, 1)| draws. With r = maxRank that is the
    // top half, whose mean square is (1 − (2Φ(a) − 1 − 2aφ(a)))/0.5 = 1.8573 at the median
    // a = 0.67449 of |N(0, 1)|, and whose smallest value sits near a. Nothing scales with n, m.
    const gramError = (x: Tensor): number => {   // max |XᵀX − I|
      const d = x.dataSync(), [rows, k] = x.shape as [number, number];
      let worst = 0;
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < k; j++) {
          let g = 0;
          for (let r = 0; r < rows; r++) g += d[r * k + i]! * d[r * k + j]!;
          worst = Math.max(worst, Math.abs(g - (i === j ? 1 : 0)));
        }
      }
      return worst;
    };
    let meanSq = 0;
    for (let seed = 0; seed < 6; seed++) {
      const l = new LowRankDense(600, 500, { rank: 200, maxRank: 200, seed, dtype: f64,
        init: 'dlrt-net' });
      const s = l.S.dataSync();
      const sigma = Array.from({ length: 200 }, (_, i) => s[i * 201]!);
      const off = Array.from(s).filter((v, i) => i % 201 !== 0 && v !== 0);
      t.same(off, [], 'S is diagonal');
      t.ok(sigma.every((v, i) => v > 0 && (i === 0 || v <= sigma[i - 1]!)),
        'σ positive, descending');
      t.ok(Math.abs(sigma[199]! - 0.6745) < 0.15,
        `seed ${seed}: σ_min ${sigma[199]} near the median of |N(0, 1)|`);
      meanSq += sigma.reduce((a, v) => a + v * v, 0) / 200 / 6;
      if (seed === 0) {
        t.ok(gramError(l.U) < 1e-12 && gramError(l.V) < 1e-12, 'U, V orthonormal');
        t.ok(moments(l.bias!).maxAbs <= 1 / Math.sqrt(600) && moments(l.bias!).maxAbs > 0,
          'bias U(±1/√fan_in)');
      }
      l.dispose();
    }
    t.ok(Math.abs(meanSq / 1.8573 - 1) < 0.05, `mean σ² ${meanSq} ≈ 1.8573`);
    // Starting below the cap keeps the largest r of the 2·maxRank draws: rank 50 of 400 draws
    // lies above the 87.5% quantile 1.534 of |N(0, 1)|.
    const low = new LowRankConv2d(20, 500, 5, { rank: 50, maxRank: 200, seed: 3, dtype: f64,
      init: 'dlrt-net' });
    const s = low.S.dataSync();
    t.ok(Math.abs(s[49 * 51]! - 1.534) < 0.25, `σ_50 of 400 draws ${s[49 * 51]} near 1.534`);
    low.dispose();
    t.throws(() => randomFactors(4, 4, 3, new Rng(1), { dtype: f64, variance: 1, spectrum: 'unit',
      pool: 2 }), /randomFactors: pool 2 must be an integer ≥ rank 3/);
  });

t.test('he keeps a deep ReLU stack\'s activations; uniform shrinks them', async (t) => {
  const x = tensor(Array.from({ length: 64 * 784 }, (_, i) => (i * 7919 % 256) / 255), [64, 784]);
  const rms = (init: 'uniform' | 'he' | 'orthogonal', lowRank: boolean): number[] => {
    const m = mlp({ rng: new Rng(5), hidden: [500, 500, 500, 500], init,
      lowRank: lowRank ? { rank: 20 } : undefined });
    const out: number[] = [];
    let h: Tensor = x;
    for (const l of m.layers) {
      const y = l.forward(h);
      if (h !== x) h.dispose();
      h = y;
      if (l instanceof Dense || l instanceof LowRankDense) {
        out.push(Math.sqrt(Number(tidy(() => mean(square(h))).dataSync()[0])));
      }
    }
    h.dispose();
    m.dispose();
    return out;
  };
  for (const lowRank of [false, true]) {
    const he = rms('he', lowRank), uni = rms('uniform', lowRank);
    const orth = rms('orthogonal', lowRank);
    t.ok(he[3] / he[0] > 0.5 && he[3] / he[0] < 2, `he, lowRank ${lowRank}: ${he.map((v) => v.toFixed(3))}`);
    t.ok(orth[3] / orth[0] > 0.5 && orth[3] / orth[0] < 2,
      `orthogonal, lowRank ${lowRank}: ${orth.map((v) => v.toFixed(3))}`);
    t.ok(uni[3] / uni[0] < 0.25, `uniform, lowRank ${lowRank}: ${uni.map((v) => v.toFixed(3))}`);
  }
  x.dispose();
});

t.test('an unknown init names the layer and the value', async (t) => {
  const bad = { seed: 1, init: 'xavier' as 'he' };
  t.throws(() => new Dense(3, 3, bad), /Dense: init 'xavier' is not one of uniform, he, orthogonal/);
  t.throws(() => new Conv2d(1, 2, 3, bad), /Conv2d: init 'xavier' is not one of uniform, he, orthogonal/);
  t.throws(() => new LowRankDense(4, 4, { rank: 2, ...bad }),
    /LowRankDense: init 'xavier' is not one of uniform, he, orthogonal/);
});

t.test('abpsi-ref: N(0, 1) dense weights, every bias and every entry of a full r×r core',
  async (t) => {
    const d = new Dense(500, 400, { seed: 1, dtype: f64, init: 'abpsi-ref' });
    for (const [what, x] of [['weights', d.weight], ['biases', d.bias!]] as const) {
      const m = moments(x);
      t.ok(Math.abs(m.mean) < 0.02 * (what === 'weights' ? 1 : 8) &&
        Math.abs(m.variance - 1) < (what === 'weights' ? 0.01 : 0.2),
        `${what}: mean ${m.mean}, variance ${m.variance} (N(0, 1))`);
    }
    d.dispose();
    const l = new LowRankDense(600, 500, { rank: 200, maxRank: 240, seed: 0, dtype: f64,
      init: 'abpsi-ref' });
    t.same(l.S.shape, [200, 200]);
    const s = moments(l.S), offDiagonal = moments(l.S.dataSync().filter((_, i) => i % 201 !== 0));
    t.ok(Math.abs(s.mean) < 0.01 && Math.abs(s.variance - 1) < 0.02,
      `S entries N(0, 1): mean ${s.mean}, variance ${s.variance}`);
    t.ok(Math.abs(offDiagonal.variance - 1) < 0.02, `not diagonal: ${offDiagonal.variance}`);
    // ‖S‖_F ≈ r, where a diagonal of r draws of |N(0, 1)| would give about √r.
    const frobenius = Math.sqrt(Array.from(l.S.dataSync()).reduce((a, v) => a + v * v, 0));
    t.ok(Math.abs(frobenius / 200 - 1) < 0.02, `‖S‖_F ${frobenius} ≈ r = 200`);
    const b = moments(l.bias!);
    t.ok(b.maxAbs > 1.5 && Math.abs(b.variance - 1) < 0.2, `bias N(0, 1): ${b.variance}`);
    l.dispose();
  });
