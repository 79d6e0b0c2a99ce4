// The fused attention op. Oracle: naive attention written with matmul and softmax (float64),
// both for the output and, through autodiff, for the gradients; the memory the kernel keeps;
// the errors.
import t from 'tap';
import {
  add, attention, type AttentionOptions, concat, matmul, memory, mul, randn, reshape, Rng,
  softmax, sum, type Tensor, tensor, tidy, valueAndGrads,
} from '@dlrt/core';
import '@dlrt/backend-cpu';
import { maxAbsDiff } from '@dlrt/core/testing';

/** softmax(scale·Q Kᵀ + mask) V with the N×N scores, K and V repeated per group. */
function naive(q: Tensor, k: Tensor, v: Tensor, o: AttentionOptions = {}): Tensor {
  const [b, h, nq, d] = q.shape;
  const [, hk, nk] = k.shape;
  const g = h / hk;
  const repeat = (x: Tensor) => g === 1 ? x : reshape(concat(Array.from({ length: g },
    () => reshape(x, [b, hk, 1, ...x.shape.slice(2)])), 2), [b, h, ...x.shape.slice(2)]);
  let s = mul(matmul(q, repeat(k), { transposeB: true }), o.scale ?? 1 / Math.sqrt(d));
  if (o.mask) s = add(s, o.mask);
  if (o.causal) {
    const c = new Float64Array(nq * nk).map((_, x) =>
      (x % nk) <= Math.floor(x / nk) + nk - nq ? 0 : -Infinity);
    s = add(s, tensor(q.dtype === 'float64' ? c : Float32Array.from(c), [nq, nk], q.dtype));
  }
  return matmul(softmax(s, -1), repeat(v));
}

const cases: [string, number[], number[], AttentionOptions & { maskSeed?: number }][] = [
  ['MHA', [2, 3, 7, 5], [2, 3, 9, 4], {}],
  ['causal, Nq = Nk', [1, 2, 8, 4], [1, 2, 8, 6], { causal: true }],
  ['causal, KV cache (Nq < Nk)', [1, 2, 3, 4], [1, 2, 10, 4], { causal: true }],
  ['GQA, 4 heads on 2', [2, 4, 5, 3], [2, 2, 6, 3], { scale: 0.7 }],
  ['MQA with a mask', [1, 4, 6, 4], [1, 1, 6, 5], { maskSeed: 1 }],
  ['a block boundary (40 queries)', [1, 1, 40, 8], [1, 1, 45, 8], { causal: true }],
];

t.test('equals naive attention, output and gradients (float64)', async (t) => {
  for (const [name, qs, kvs, o] of cases) {
    const rng = new Rng(7);
    const f64 = 'float64';
    const q = randn(qs, { rng, dtype: f64 });
    const k = randn([...kvs.slice(0, 3), qs[3]], { rng, dtype: f64 });
    const v = randn(kvs, { rng, dtype: f64 });
    const mask = o.maskSeed === undefined ? undefined : tidy(() => {
      const m = randn([qs[2], kvs[2]], { seed: o.maskSeed, dtype: f64 });
      // Block a few entries, never a whole row.
      const data = Float64Array.from(m.dataSync()).map((x, i) => (x > 1 && i % kvs[2] !== 0
        ? -Infinity : x));
      return tensor(data, m.shape, f64);
    });
    const opts = { ...o, mask };
    const w = randn([...qs.slice(0, 3), kvs[3]], { rng, dtype: f64 });
    const fused = valueAndGrads((a, b, c) => sum(mul(attention(a, b, c, opts), w)))([q, k, v]);
    const plain = valueAndGrads((a, b, c) => sum(mul(naive(a, b, c, opts), w)))([q, k, v]);
    t.ok(maxAbsDiff(attention(q, k, v, opts), naive(q, k, v, opts)) < 1e-13, `${name}: output`);
    ['dq', 'dk', 'dv'].forEach((g, i) => t.ok(maxAbsDiff(fused.grads[i], plain.grads[i]) < 1e-12,
      `${name}: ${g} (${maxAbsDiff(fused.grads[i], plain.grads[i]).toExponential(1)})`));
  }
});

t.test('N = 1024: equals naive attention in float32, with and without a causal mask', async (t) => {
  const rng = new Rng(3);
  const q = randn([1, 2, 1024, 16], { rng });
  const k = randn([1, 2, 1024, 16], { rng });
  const v = randn([1, 2, 1024, 16], { rng });
  for (const causal of [false, true]) {
    const err = tidy(() => maxAbsDiff(attention(q, k, v, { causal }), naive(q, k, v, { causal })));
    t.ok(err < 1e-6, `causal ${causal}: max |fused − naive| = ${err.toExponential(2)}`);
  }
});

t.test('N = 8192: O(N·d) memory, by the backend\'s counters', async (t) => {
  const n = 8192;
  const d = 8;
  const [q, k, v] = [1, 2, 3].map((seed) => randn([1, 1, n, d], { seed }));
  const before = memory();
  const y = attention(q, k, v, { causal: true });
  const after = memory();
  t.equal(after.numBytes - before.numBytes, 4 * n * d, 'new storage: the output alone');
  // The forward's scratch: a block of 16 rows, a tile of 16×64 scores and a 64-key tile,
  // 8·(16·(dv + 2 + 64) + 64·d) bytes, whatever N.
  const peak = after.backends.cpu.peakScratchBytes!;
  const earlier = before.backends.cpu.peakScratchBytes ?? 0;
  t.ok(peak <= Math.max(earlier, 8 * (16 * (d + 2 + 64) + 64 * d)), `peak scratch ${peak} bytes (earlier ` +
    `calls with N ≤ 1024: ${earlier}; the N×N scores would take ${4 * n * n})`);
  t.equal(after.backends.cpu.scratchBytes, 0, 'all scratch released');
  t.ok(Number.isFinite(y.dataSync()[n * d - 1]));
});

t.test('bad input names the op and the shapes', async (t) => {
  const x = (shape: number[]) => randn(shape, { seed: 1 });
  t.throws(() => attention(x([2, 5, 4]), x([2, 5, 4]), x([2, 5, 4])), /attention: q \[2,5,4\].* must be \[B, H, N, d\]/);
  t.throws(() => attention(x([1, 4, 5, 8]), x([1, 3, 5, 8]), x([1, 3, 5, 8])), /Hkv dividing 4/);
  t.throws(() => attention(x([1, 2, 5, 8]), x([1, 2, 5, 4]), x([1, 2, 5, 8])), /k needs \[1, Hkv, Nk, 8\]/);
  t.throws(() => attention(x([1, 1, 5, 8]), x([1, 1, 3, 8]), x([1, 1, 3, 8]), { causal: true }),
    /causal with 5 queries and 3 keys leaves the first 2 queries no key/);
  t.throws(() => attention(x([1, 1, 2, 4]), x([1, 1, 3, 4]), x([1, 1, 3, 4]), { mask: x([3, 2]) }),
    /mask \[3,2\] must be \[2, 3\]/);
  const blocked = tensor(Float32Array.from([0, 0, -Infinity, -Infinity]), [2, 2]);
  t.throws(() => attention(x([1, 1, 2, 4]), x([1, 1, 2, 4]), x([1, 1, 2, 4]), { mask: blocked }),
    /query row 1 sees no key/);
});
