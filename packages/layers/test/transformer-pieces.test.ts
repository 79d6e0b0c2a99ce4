// The transformer's building blocks, in float64. Oracles: LayerNorm against a direct JS
// computation and central finite differences; Embedding's gradient summing over repeated ids;
// Dropout's mask statistics, replay from a seed and eval identity; the sinusoidal table's
// closed form; RoPE's rotation (norms kept, ⟨RoPE(q, m), RoPE(k, n)⟩ a function of m − n, an
// offset equal to slicing the full sequence).
import t from 'tap';
import {
  add, mul, randn, Rng, slice, sum, type Tensor, tensor, tidy, valueAndGrads, Variable,
} from '@dlrt/core';
import '@dlrt/backend-cpu';
import { maxAbsDiff } from '@dlrt/core/testing';
import {
  Dropout, Embedding, LayerNorm, LearnedPositions, RoPE, SinusoidalPositions, sinusoidalTable,
} from '../src/index.js';
import { directionalCheck } from './support.js';

const f64 = 'float64' as const;
const values = (x: Tensor) => Array.from(x.dataSync());

t.test('LayerNorm normalizes each row and has the right gradients', async (t) => {
  const rng = new Rng(1);
  const ln = new LayerNorm(5, { dtype: f64 });
  ln.weight!.assign(randn([5], { rng, dtype: f64 }));
  ln.bias!.assign(randn([5], { rng, dtype: f64 }));
  const x = new Variable(randn([2, 3, 5], { rng, dtype: f64, std: 3 }));
  const y = values(ln.forward(x));
  const xs = values(x);
  const g = values(ln.weight!);
  const b = values(ln.bias!);
  let worst = 0;
  for (let r = 0; r < 6; r++) {
    const row = xs.slice(5 * r, 5 * r + 5);
    const mu = row.reduce((a, v) => a + v, 0) / 5;
    const v = row.reduce((a, u) => a + (u - mu) ** 2, 0) / 5;
    row.forEach((u, j) => {
      worst = Math.max(worst, Math.abs(y[5 * r + j] - ((u - mu) / Math.sqrt(v + 1e-5) * g[j] + b[j])));
    });
  }
  t.ok(worst < 1e-13, `matches the direct computation to ${worst.toExponential(2)}`);
  const w = randn([2, 3, 5], { rng, dtype: f64 });
  const loss = () => sum(mul(ln.forward(x), w));
  directionalCheck(t, loss, x, rng, '∂/∂x');
  directionalCheck(t, loss, ln.weight!, rng, '∂/∂γ');
  directionalCheck(t, loss, ln.bias!, rng, '∂/∂β');
  t.throws(() => ln.forward(randn([2, 4], { seed: 9, dtype: f64 })), /LayerNorm\(5\): input \[2,4\] must end in 5/);
  t.throws(() => new LayerNorm(0), /features must be a positive integer, got 0/);
});

t.test('Embedding looks rows up and sums the gradient of repeated ids', async (t) => {
  const e = new Embedding(4, 3, { seed: 1, dtype: f64 });
  const ids = tensor(Int32Array.from([2, 0, 2, 3]), [2, 2], 'int32');
  const out = e.forward(ids);
  t.same(out.shape, [2, 2, 3]);
  const table = values(e.weight);
  t.same(values(out).slice(0, 3), table.slice(6, 9), 'row 2');
  const { grads } = valueAndGrads(() => sum(e.forward(ids)))([e.weight]);
  t.same(values(grads[0]), [1, 1, 1, 0, 0, 0, 2, 2, 2, 1, 1, 1], 'id 2 twice, id 1 never');
  t.throws(() => e.forward(tensor(Int32Array.from([4]), [1], 'int32')), /Embedding\(4, 3\): id 4 is outside \[0, 4\)/);
  t.throws(() => e.forward(tensor(Float32Array.from([1]), [1])), /ids must be int32, got float32/);
});

t.test('Dropout: a seeded mask in training, the identity in eval', async (t) => {
  const x = tidy(() => add(mul(randn([200, 50], { seed: 2, dtype: f64 }), 0), 1));
  const a = new Dropout(0.25, { seed: 7 });
  const y = values(a.forward(x));
  const zeros = y.filter((v) => v === 0).length / y.length;
  t.ok(Math.abs(zeros - 0.25) < 0.02, `zeroed fraction ${zeros.toFixed(3)}`);
  t.ok(y.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-15), 'the rest scaled by 1/(1 − p)');
  t.same(values(new Dropout(0.25, { seed: 7 }).forward(x)), y, 'a seed replays the mask');
  t.notSame(values(a.forward(x)), y, 'the next call draws a new mask');
  a.eval();
  t.equal(maxAbsDiff(a.forward(x), x), 0, 'eval: the identity');
  for (const p of [1, -0.1, Number.NaN]) t.throws(() => new Dropout(p, { seed: 1 }), /Dropout: p must be in \[0, 1\)/);
});

t.test('positions: the sinusoidal table and learned positions', async (t) => {
  const table = values(sinusoidalTable(6, 4, f64));
  t.ok(Math.abs(table[5 * 4 + 0] - Math.sin(5)) < 1e-15 &&
    Math.abs(table[5 * 4 + 3] - Math.cos(5 / 100)) < 1e-15, 'P[5] = [sin 5, cos 5, sin 0.05, cos 0.05]');
  const s = new SinusoidalPositions(6, 4, { dtype: f64 });
  const x = randn([2, 3, 4], { seed: 3, dtype: f64 });
  const y = values(s.forward(x));
  t.ok(Math.abs(y[4 + 1] - (values(x)[4 + 1] + Math.cos(1))) < 1e-15, 'x + P[:N]');
  t.throws(() => s.forward(randn([1, 7, 4], { seed: 9, dtype: f64 })), /sequence length 7 is longer than its 6 positions/);
  const l = new LearnedPositions(6, 4, { seed: 4, dtype: f64 });
  const { grads } = valueAndGrads(() => sum(l.forward(x)))([l.weight]);
  t.same(values(grads[0]), [...Array(12).fill(2), ...Array(12).fill(0)], 'the first 3 rows, twice');
});

t.test('RoPE rotates pairs: norms kept, scores depend on m − n, offsets slice', async (t) => {
  const rope = new RoPE(8, { maxLen: 32, dtype: f64 });
  const rng = new Rng(5);
  const q = randn([1, 8], { rng, dtype: f64 });
  const k = randn([1, 8], { rng, dtype: f64 });
  const score = (m: number, n: number) => tidy(() =>
    sum(mul(rope.apply(q, m), rope.apply(k, n))).dataSync()[0]);
  t.ok(Math.abs(score(3, 1) - score(12, 10)) < 1e-12 && Math.abs(score(7, 7) - score(0, 0)) < 1e-12,
    '⟨RoPE(q, m), RoPE(k, n)⟩ depends on m − n');
  t.ok(Math.abs(score(3, 1) - score(1, 3)) > 1e-6, 'and on its sign');
  const x = randn([2, 2, 10, 8], { rng, dtype: f64 });
  const full = rope.apply(x);
  const norm = (v: Tensor) => Math.sqrt(values(v).reduce((a, u) => a + u * u, 0));
  t.ok(Math.abs(norm(full) - norm(x)) < 1e-12, 'a rotation keeps the norm');
  t.ok(maxAbsDiff(rope.apply(x, 0), full) === 0);
  const tail = tidy(() => rope.apply(slice(x, [0, 0, 4, 0], [2, 2, 6, 8]), 4));
  t.ok(maxAbsDiff(tail, slice(full, [0, 0, 4, 0], [2, 2, 6, 8])) < 1e-15, 'offset 4 = positions 4…9');
  t.ok(maxAbsDiff(rope.apply(slice(x, [0, 0, 0, 0], [2, 2, 1, 8]), 0),
    slice(x, [0, 0, 0, 0], [2, 2, 1, 8])) < 1e-15, 'position 0 is the identity');
  t.throws(() => new RoPE(7), /RoPE: dim must be a positive even integer, got 7/);
  t.throws(() => rope.apply(x, 30), /positions 30…39 are outside its 32 positions/);
  t.throws(() => rope.apply(randn([3, 6], { seed: 9, dtype: f64 })), /input \[3,6\] must be \[..., N, 8\]/);
});
