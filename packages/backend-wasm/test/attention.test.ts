// The wasm backend's float32 attention (blocked GEMMs with a SIMD softmax) against the cpu
// backend's tiled kernel in float64 on the same values: outputs and the three gradients, for
// MHA, GQA, MQA, a mask, causal masks with Nq = Nk and Nq < Nk, and query counts around the
// 32-row block; the naive N×N path at N = 1024; the scratch it holds at N = 8192; its errors.
import t from 'tap';
import {
  add, attention, type AttentionOptions, closeBackends, matmul, memory, mul, randn, Rng,
  setBackend, softmax, sum, type Tensor, tensor, tidy, valueAndGrads,
} from '@dlrt/core';
import '@dlrt/backend-cpu';
import '@dlrt/backend-wasm';
import { ATTENTION_ROWS } from '../src/attention.js';

t.teardown(closeBackends);

type Plan = [string, number[], number[], AttentionOptions & { masked?: boolean }];
const plans: Plan[] = [
  ['MHA', [2, 3, 7, 5], [2, 3, 9, 4], {}],
  ['causal, Nq = Nk, two blocks', [1, 2, 45, 8], [1, 2, 45, 6], { causal: true }],
  ['causal, KV cache (Nq < Nk)', [1, 2, 3, 4], [1, 2, 10, 4], { causal: true }],
  ['causal, KV cache over blocks', [1, 1, 40, 8], [1, 1, 71, 8], { causal: true }],
  ['GQA, 4 heads on 2', [2, 4, 33, 3], [2, 2, 34, 3], { scale: 0.7 }],
  ['MQA with a mask', [1, 4, 6, 4], [1, 1, 6, 5], { masked: true }],
  ['a mask over blocks, causal', [1, 2, 64, 16], [1, 2, 64, 16], { masked: true, causal: true }],
];

/** Output and gradients of Σ w ⊙ attention(q, k, v) on the current backend, as float64. */
function run(vals: Float64Array[], shapes: number[][], o: AttentionOptions,
  dtype: 'float32' | 'float64'): Float64Array[] {
  return tidy(() => {
    const [q, k, v, w, m] = vals.map((x, i) =>
      tensor(dtype === 'float32' ? Float32Array.from(x) : x, shapes[i], dtype));
    const opts = { ...o, mask: m };
    const y = attention(q, k, v, opts);
    const { grads } = valueAndGrads((a, b, c) => sum(mul(attention(a, b, c, opts), w)))([q, k, v]);
    return [y, ...grads].map((g) => Float64Array.from(g.dataSync()));
  });
}

function maxRelDiff(a: Float64Array, b: Float64Array): number {
  let top = 1;
  for (const x of b) top = Math.max(top, Math.abs(x));
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]));
  return a.length === b.length ? e / top : Infinity;
}

t.test(`equals the cpu kernel in float64 (block of ${ATTENTION_ROWS} rows)`, async (t) => {
  for (const [name, qs, kvs, o] of plans) {
    const rng = new Rng(11);
    const ks = [...kvs.slice(0, 3), qs[3]], ws = [...qs.slice(0, 3), kvs[3]];
    const shapes = [qs, ks, kvs, ws, ...(o.masked ? [[qs[2], kvs[2]]] : [])];
    const vals = shapes.map((s, i) => {
      const x = Float64Array.from({ length: s.reduce((p, d) => p * d, 1) }, () => rng.normal());
      // A mask blocks some keys, never a row's first.
      return i === 4 ? x.map((z, j) => (z > 0.8 && j % kvs[2] !== 0 ? -Infinity : z)) : x;
    });
    const { masked: _, ...opts } = o;
    await setBackend('cpu');
    const want = run(vals, shapes, opts, 'float64');
    await setBackend('wasm');
    const got = run(vals, shapes, opts, 'float32');
    ['y', 'dq', 'dk', 'dv'].forEach((g, i) => {
      const e = maxRelDiff(got[i], want[i]);
      t.ok(e < 2e-6, `${name}: ${g} within 2e-6 (${e.toExponential(1)})`);
    });
  }
});

/** softmax(Q Kᵀ/√d + causal) V with the N×N scores, on the current backend. */
function naive(q: Tensor, k: Tensor, v: Tensor, causal: boolean): Tensor {
  const n = q.shape[2];
  let s = mul(matmul(q, k, { transposeB: true }), 1 / Math.sqrt(q.shape[3]));
  if (causal) {
    s = add(s, tensor(new Float32Array(n * n).map((_, x) => (x % n <= Math.floor(x / n)
      ? 0 : -Infinity)), [n, n]));
  }
  return matmul(softmax(s, -1), v);
}

t.test('N = 1024: equals naive attention in float32, with and without a causal mask', async (t) => {
  await setBackend('wasm');
  const rng = new Rng(3);
  const [q, k, v] = [0, 1, 2].map(() => randn([1, 2, 1024, 16], { rng }));
  for (const causal of [false, true]) {
    const err = tidy(() => {
      const a = Array.from(attention(q, k, v, { causal }).dataSync());
      const b = naive(q, k, v, causal).dataSync();
      return a.reduce((e, x, i) => Math.max(e, Math.abs(x - b[i])), 0);
    });
    t.ok(err < 1e-6, `causal ${causal}: max |fused − naive| = ${err.toExponential(2)}`);
  }
});

t.test('N = 8192: scratch of one block of rows, counted and released', async (t) => {
  await setBackend('wasm');
  const n = 8192, d = 8;
  const [q, k, v] = [1, 2, 3].map((seed) => randn([1, 1, n, d], { seed }));
  const before = memory();
  const { grads } = valueAndGrads((a, b, c) => sum(attention(a, b, c, { causal: true })))([q, k, v]);
  const after = memory();
  const peak = after.backends.wasm.peakScratchBytes!;
  // Two blocks of ATTENTION_ROWS × N float32 scores going back: O(N), the N×N would be 256 MiB.
  t.ok(peak <= Math.max(before.backends.wasm.peakScratchBytes ?? 0, 2 * 4 * ATTENTION_ROWS * n),
    `peak scratch ${peak} bytes (N×N scores: ${4 * n * n})`);
  t.equal(after.backends.wasm.scratchBytes, 0, 'all scratch released');
  t.ok(grads.every((g) => Number.isFinite(g.dataSync()[n * d - 1])));
});

t.test('a row that sees no key is an error, as on cpu', async (t) => {
  await setBackend('wasm');
  const x = () => randn([1, 1, 2, 4], { seed: 1 });
  const blocked = tensor(Float32Array.from([0, 0, -Infinity, -Infinity]), [2, 2]);
  t.throws(() => attention(x(), x(), x(), { mask: blocked }), /query row 1 sees no key/);
});
