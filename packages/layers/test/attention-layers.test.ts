// Attention layers, float64. Oracles: multi-head attention written per head from its definition;
// Tucker Attention's exact special cases (MHA, GQA, MQA from the same weights, Thms B.2–B.3) and
// its full-rank HOSVD; KV-cache decoding against the full causal forward; the parameter and
// KV-cache counts of §4.5 for GPT-2 small.
import t from 'tap';
import {
  add, concat, matmul, memory, modeProduct, mul, randn, reshape, Rng, slice, softmax, type Tensor, tensor,
  tidy,
} from '@dlrt/core';
import '@dlrt/backend-cpu';
import { maxAbsDiff } from '@dlrt/core/testing';
import {
  type AttentionSpec, attentionLayer, KVCache, MultiHeadAttention, MultiHeadLatentAttention, RoPE, stackedWeights, TuckerAttention,
} from '../src/index.js';

const f64 = 'float64' as const;

/** Σᵢ softmax(X W_iᴽ (X W_iᴷ)ᵀ/√d_H + causal) X W_iⱽ W_iᴼ, head by head. */
function perHead(m: MultiHeadAttention, x: Tensor): Tensor {
  const [, n, d] = x.shape;
  const dh = m.headDim;
  const causal = tensor(Float64Array.from({ length: n * n }, (_, i) =>
    (i % n > Math.floor(i / n) ? -Infinity : 0)), [n, n], f64);
  let y: Tensor | null = null;
  for (let i = 0; i < m.heads; i++) {
    const g = Math.floor((i * m.kvHeads) / m.heads);
    const cols = (w: Tensor, j: number) => slice(w, [0, j * dh], [d, dh]);
    const s = mul(matmul(matmul(x, cols(m.wq, i)), matmul(x, cols(m.wk, g)),
      { transposeB: true }), 1 / Math.sqrt(dh));
    const a = softmax(m.causal ? add(s, causal) : s, -1);
    const out = matmul(matmul(matmul(a, x), cols(m.wv, g)), slice(m.wo, [i * dh, 0], [dh, d]));
    y = y ? add(y, out) : out;
  }
  return y!;
}

t.test('multi-head attention equals its per-head definition (MHA, GQA, MQA, causal)', async (t) => {
  const x = randn([2, 5, 12], { seed: 1, dtype: f64 });
  for (const [kvHeads, causal] of [[4, false], [2, true], [1, false]] as const) {
    const m = new MultiHeadAttention(12, 4, { kvHeads, causal, seed: 2, dtype: f64 });
    const err = tidy(() => maxAbsDiff(m.forward(x), perHead(m, x)));
    t.ok(err < 1e-12, `kvHeads ${kvHeads}, causal ${causal}: ${err.toExponential(2)}`);
    t.equal(m.attentionParameters, 2 * 144 + 2 * kvHeads * 3 * 12, '2d² + 2·n_KV·d_H·d');
  }
});

t.test('Tucker Attention reproduces MHA, GQA and MQA from the same weights (1e-10)', async (t) => {
  const x = randn([2, 6, 16], { seed: 3, dtype: f64 });
  for (const [kvHeads, causal] of [[4, false], [2, true], [1, true]] as const) {
    const m = new MultiHeadAttention(16, 4, { kvHeads, causal, seed: 4, dtype: f64 });
    const tk = TuckerAttention.fromMHA(m);
    t.same(tk.ranks, [4, 16, kvHeads * 4], 'ranks (n_H, d, n_KV·d_H)');
    const err = tidy(() => maxAbsDiff(tk.forward(x), m.forward(x)));
    t.ok(err < 1e-10, `kvHeads ${kvHeads}: max |Tucker − MHA| = ${err.toExponential(2)}`);
  }
});

t.test('MLA: its definition, Tucker from the same weights (Thm B.4), decoding', async (t) => {
  const x = randn([2, 6, 16], { seed: 12, dtype: f64 });
  const mla = new MultiHeadLatentAttention(16, 4, { qLatent: 6, kvLatent: 5, causal: true,
    seed: 13, dtype: f64 });
  // The definition: Q = X W^{DQ} W^{UQ}, K = X W^{DKV} W^{UK}, V = X W^{DKV} W^{UV}, as MHA.
  const mha = new MultiHeadAttention(16, 4, { causal: true, seed: 1, dtype: f64 });
  mha.wq.assign(matmul(mla.wdq, mla.wuq));
  mha.wk.assign(matmul(mla.wdkv, mla.wuk));
  mha.wv.assign(matmul(mla.wdkv, mla.wuv));
  mha.wo.assign(mla.wo);
  t.ok(tidy(() => maxAbsDiff(mla.forward(x), mha.forward(x))) < 1e-12, 'MLA = MHA with W = W^D W^U');
  const tk = TuckerAttention.fromMLA(mla);
  t.same([tk.ranks, tk.postRanks], [[4, 6, 5], [4, 16, 5]], 'ranks (n_H, d_c^Q, d_c), (n_H, d, d_c)');
  const err = tidy(() => maxAbsDiff(tk.forward(x), mla.forward(x)));
  t.ok(err < 1e-10, `Tucker = MLA: ${err.toExponential(2)}`);
  const roped = new MultiHeadLatentAttention(16, 4, { qLatent: 6, kvLatent: 5, ropeDim: 2,
    causal: true, seed: 14, dtype: f64 });
  t.throws(() => TuckerAttention.fromMLA(roped), /2 decoupled RoPE dimensions/);
  const cache = new KVCache();
  const rows = [roped.decode(slice(x, [0, 0, 0], [2, 4, 16]), cache),
    roped.decode(slice(x, [0, 4, 0], [2, 2, 16]), cache)];
  t.ok(maxAbsDiff(concat(rows, 1), roped.forward(x)) < 1e-12, 'decoding = the full forward');
  t.equal(cache.values, 2 * 6 * (5 + 2), 'the cache holds c_KV and k_R per token');
  cache.dispose();
});

t.test('the HOSVD of 𝒲 and 𝒲̃: exact at full ranks, an approximation below', async (t) => {
  const x = randn([1, 5, 8], { seed: 5, dtype: f64 });
  const m = new MultiHeadAttention(8, 2, { seed: 6, dtype: f64 });
  const full = TuckerAttention.fromHOSVD(m, [2, 8, 8]);
  t.ok(tidy(() => maxAbsDiff(full.forward(x), m.forward(x))) < 1e-10, 'full ranks: MHA');
  const low = TuckerAttention.fromHOSVD(m, [1, 4, 4]);
  const err = tidy(() => maxAbsDiff(low.forward(x), m.forward(x)));
  t.ok(err > 1e-6, `ranks [1, 4, 4] approximate (${err.toExponential(2)})`);
  t.equal(low.attentionParameters, 2 * (1 * 4 * 4 + 2 * 1 + 8 * 4 + 8 * 4));
  const W = stackedWeights(m, 'pre');
  t.same(W.shape, [2, 8, 8]);
  t.throws(() => TuckerAttention.fromHOSVD(m, [3, 4, 4]), /ranks\[0\] = 3 \(head rank\) is outside \[1, 2\]/);
});

t.test('KV-cache decoding equals the full causal forward, token by token', async (t) => {
  const x = randn([2, 7, 16], { seed: 7, dtype: f64 });
  const layers = [
    new MultiHeadAttention(16, 4, { kvHeads: 2, causal: true, rope: new RoPE(4, { dtype: f64 }),
      seed: 8, dtype: f64 }),
    new TuckerAttention(16, 4, { ranks: [2, 8, 6], postRanks: [3, 8, 4], causal: true,
      rope: {}, seed: 9, dtype: f64 }),
  ];
  for (const layer of layers) {
    const full = layer.forward(x);
    const cache = new KVCache();
    const rows: Tensor[] = [];
    // A prefix of 3 tokens, then one at a time.
    rows.push(layer.decode(slice(x, [0, 0, 0], [2, 3, 16]), cache));
    for (let i = 3; i < 7; i++) rows.push(layer.decode(slice(x, [0, i, 0], [2, 1, 16]), cache));
    const err = maxAbsDiff(concat(rows, 1), full);
    t.ok(err < 1e-12, `${layer.constructor.name}: ${err.toExponential(2)}`);
    t.equal(cache.values, 2 * 7 * layer.kvCachePerToken, 'the cache holds every token once');
    cache.dispose();
  }
});

t.test('latent RoPE turns the r₃-wide latent queries and keys', async (t) => {
  const x = randn([1, 6, 16], { seed: 10, dtype: f64 });
  const o = { ranks: [2, 8, 6] as const, seed: 11, dtype: f64 };
  const plain = new TuckerAttention(16, 4, o);
  const roped = new TuckerAttention(16, 4, { ...o, rope: {} });
  t.equal(roped.rope!.dim, 6);
  t.ok(tidy(() => maxAbsDiff(plain.forward(x), roped.forward(x))) > 1e-6, 'positions matter');
  t.throws(() => new TuckerAttention(16, 4, { ranks: [2, 8, 5], rope: {}, seed: 1 }),
    /latent RoPE needs an even key rank, got 5/);
});

t.test('latent RoPE keeps the relative-position property: scores depend on m − n', async (t) => {
  // Head h's latent query at position m is RoPE_m(x_m U₂ B_h), the shared key at n is
  // RoPE_n(x_n U₃), with B_h = (𝒞 ×₁ U₁)[h]: shifting every position by s leaves every score.
  const layer = new TuckerAttention(16, 4, { ranks: [2, 8, 6], seed: 12, dtype: f64, rope: {} });
  const x = randn([1, 7, 16], { seed: 13, dtype: f64 });
  const [U1, U2, U3] = layer.factors;
  tidy(() => {
    const q = matmul(reshape(matmul(x, U2), [1, 1, 7, 8]), modeProduct(layer.core, U1, 0));
    const k = reshape(matmul(x, U3), [1, 1, 7, 6]);
    const scores = (shift: number) => matmul(layer.rope!.apply(q, shift),
      layer.rope!.apply(k, shift), { transposeB: true });
    for (const shift of [1, 5, 100]) {
      t.ok(maxAbsDiff(scores(shift), scores(0)) < 1e-12, `positions shifted by ${shift}`);
    }
    t.ok(maxAbsDiff(scores(0), matmul(q, k, { transposeB: true })) > 1e-3, 'and they do turn');
  });
});

t.test('dispose frees every tensor a layer made, RoPE tables included', async (t) => {
  const rng = new Rng(3);
  const specs: AttentionSpec[] = [{ kind: 'mha' }, { kind: 'gqa', kvHeads: 2 },
    { kind: 'mla', qLatent: 8, kvLatent: 8, ropeDim: 4 }, { kind: 'tucker', ranks: [2, 4, 4] }];
  for (const spec of specs) {
    const before = memory().numTensors;
    attentionLayer(spec, 16, 4, { rng, rope: true, causal: true }).dispose();
    t.equal(memory().numTensors, before, spec.kind);
  }
  t.throws(() => attentionLayer({ kind: 'mla', qLatent: 8, kvLatent: 8 }, 16, 4,
    { rng, rope: true }), /MLA with rotary positions needs ropeDim > 0 .*got none/);
});

t.test('counts: GPT-2 small (d 768, 12 heads, 12 layers, N 1024, bf16)', async (t) => {
  const MB = (scalars: number) => (2 * 12 * scalars) / 1e6;
  const mha = (kvHeads: number) => new MultiHeadAttention(768, 12, { kvHeads, seed: 1 });
  const tucker = (ranks: [number, number, number]) => new TuckerAttention(768, 12, { ranks,
    seed: 1 });
  const rows: [string, MultiHeadAttention | MultiHeadLatentAttention | TuckerAttention, number,
    number][] = [
    // [name, layer, the paper's attention MB, its KV-cache MB]. GQA 4's cache is printed 12.85;
    // its formula 2·N·n_KV·d_H gives 12.58 (digits swapped). The Tucker rows sit 0.007–0.014 MB
    // above §4.5's count Π r + n_H r₁ + d r₂ + d r₃ per tensor, which these layers store.
    ['MHA', mha(12), 56.62, 37.74], ['GQA 4', mha(4), 37.74, 12.58], ['GQA 2', mha(2), 33.02, 6.29],
    ['MLA d_c 128', new MultiHeadLatentAttention(768, 12, { qLatent: 128, kvLatent: 128,
      seed: 1 }), 26.00, 3.14],
    ['Tucker [8,128,128]', tucker([8, 128, 128]), 15.74, 6.28],
    ['Tucker [8,128,64]', tucker([8, 128, 64]), 10.24, 3.14],
    ['Tucker [8,64,64]', tucker([8, 64, 64]), 6.31, 3.14],
  ];
  for (const [name, layer, paper, paperKv] of rows) {
    const params = MB(layer.attentionParameters);
    const kv = MB(1024 * layer.kvCachePerToken);
    // MLA's printed 26.00 is d² + 5·d·d_c = 25.95 MB rounded up.
    t.ok(Math.abs(params - paper) < (name.startsWith('MLA') ? 0.06 : 0.015) &&
      Math.abs(kv - paperKv) < 0.015,
      `${name}: ${params.toFixed(3)} MB (paper ${paper}), KV cache ${kv.toFixed(3)} MB ` +
      `(paper ${paperKv})`);
    layer.dispose();
  }
});

t.test('bad input names the layer and the value', async (t) => {
  t.throws(() => new MultiHeadAttention(10, 4, { seed: 1 }), /heads 4 must divide the width 10/);
  t.throws(() => new MultiHeadAttention(12, 4, { kvHeads: 3, seed: 1 }), /kvHeads 3 must divide heads 4/);
  t.throws(() => new TuckerAttention(12, 4, { ranks: [2, 13, 4], seed: 1 }),
    /ranks\[1\] = 13 \(query\/output rank\) is outside \[1, 12\]/);
  t.throws(() => new MultiHeadAttention(12, 4, { seed: 1, rope: new RoPE(4) }), /rope dim 4 must be the head dim 3/);
  const small = new MultiHeadAttention(8, 2, { seed: 1, rope: new RoPE(4, { maxLen: 4 }) });
  t.throws(() => small.forward(randn([1, 5, 8], { seed: 1 })), /positions 0…4 are outside its 4 positions/);
  t.throws(() => small.forward(randn([1, 5, 7], { seed: 1 })), /input \[1,5,7\] must be \[B, N, 8\]/);
});
