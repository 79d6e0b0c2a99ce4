// The tiny ViT and the character LM. Oracles: KV-cache decoding against the full forward (every
// attention kind, rotary and learned positions), greedy generation against recomputing the
// whole sequence each step, seeded sampling, and training that lowers the loss on a batch.
import t from 'tap';
import {
  argmax, concat, randn, reshape, Rng, slice, tensor, tidy,
} from '@dlrt/core';
import '@dlrt/backend-cpu';
import { maxAbsDiff } from '@dlrt/core/testing';
import {
  Adam, type AttentionSpec, CharLM, crossEntropy, GradientStep, KVCache, MultiHeadAttention,
  TuckerAttention, Vit,
} from '../src/index.js';

const f64 = 'float64' as const;
const KINDS: AttentionSpec[] = [
  { kind: 'mha' }, { kind: 'gqa', kvHeads: 2 }, { kind: 'mqa' },
  { kind: 'mla', qLatent: 8, kvLatent: 6, ropeDim: 2 }, { kind: 'tucker', ranks: [2, 8, 6] },
];
const ids = (rows: number[][]) => tensor(Int32Array.from(rows.flat()),
  [rows.length, rows[0].length], 'int32');

t.test('CharLM: cached decoding equals the full forward, for every attention', async (t) => {
  const x = ids([[1, 5, 2, 7, 3, 3, 0, 4], [6, 2, 2, 1, 0, 5, 7, 1]]);
  for (const attention of KINDS) {
    for (const positions of ['rope', 'learned'] as const) {
      const lm = new CharLM({ rng: new Rng(1), dtype: f64, vocab: 8, dim: 16, depth: 2, heads: 4,
        attention, maxLen: 16, positions });
      const full = lm.forward(x);
      const caches = lm.blocks.map(() => new KVCache());
      const parts = [lm.decode(slice(x, [0, 0], [2, 5]), caches),
        lm.decode(slice(x, [0, 5], [2, 1]), caches), lm.decode(slice(x, [0, 6], [2, 2]), caches)];
      const err = maxAbsDiff(concat(parts, 1), full);
      t.ok(err < 1e-12, `${attention.kind}, ${positions} positions: ${err.toExponential(2)}`);
      for (const c of caches) c.dispose();
      lm.dispose();
    }
  }
});

t.test('CharLM.generate: greedy decoding = recomputing the sequence; seeded sampling', async (t) => {
  const lm = new CharLM({ rng: new Rng(2), dtype: f64, vocab: 10, dim: 16, depth: 2, heads: 4,
    attention: { kind: 'tucker', ranks: [2, 8, 6] }, maxLen: 32 });
  const prompt = ids([[3, 1, 4], [1, 5, 9]]);
  const fast = lm.generate(prompt, { tokens: 6 });
  const slow: number[][] = [[3, 1, 4], [1, 5, 9]];
  for (let s = 0; s < 6; s++) {
    const next = tidy(() => {
      const logits = lm.forward(ids(slow));
      const [b, n, v] = logits.shape;
      return Array.from(argmax(reshape(slice(logits, [0, n - 1, 0], [b, 1, v]), [b, v]), -1)
        .dataSync());
    });
    next.forEach((tok, i) => slow[i].push(tok));
  }
  t.same(fast, slow.map((r) => r.slice(3)), 'the same tokens');
  const sample = (seed: number) => lm.generate(prompt, { tokens: 5, temperature: 0.8, topK: 4,
    rng: new Rng(seed) });
  t.same(sample(7), sample(7), 'a seed replays a sample');
  t.same(lm.generate(prompt, { tokens: 4, temperature: 1, topK: 1, rng: new Rng(1) }),
    fast.map((r) => r.slice(0, 4)), 'top-1 sampling is greedy');
  t.throws(() => lm.generate(prompt, { tokens: 1, temperature: 0.5 }), /needs .* an rng/);
  t.throws(() => lm.forward(ids([Array.from({ length: 33 }, () => 1)])), /positions 0…32 are outside its 32 positions/);
});

t.test('Vit: every attention kind classifies, and training lowers the loss', async (t) => {
  const rng = new Rng(3);
  const x = randn([16, 784], { rng });
  const y = tensor(Int32Array.from({ length: 16 }, (_, i) => i % 10), [16], 'int32');
  for (const attention of KINDS) {
    const vit = new Vit({ rng: new Rng(4), dim: 16, depth: 1, heads: 4, attention });
    t.same(tidy(() => vit.forward(x).shape), [16, 10]);
    const step = new GradientStep(vit, { optimizer: new Adam({ lr: 3e-3 }) });
    const losses: number[] = [];
    for (let s = 0; s < 15; s++) losses.push((await step.step(() => crossEntropy(vit.forward(x), y))).loss);
    t.ok(losses[14] < 0.7 * losses[0], `${attention.kind}: loss ${losses[0].toFixed(3)} → ` +
      `${losses[14].toFixed(3)}`);
    vit.dispose();
  }
  t.throws(() => new Vit({ rng, patch: 5, dim: 8, depth: 1, heads: 2, attention: { kind: 'mha' } }),
    /patch 5 must divide the image side 28/);
});

t.test('a ViT block\'s attention swaps for its Tucker form; full ranks keep the outputs', async (t) => {
  const x = randn([3, 784], { seed: 5, dtype: f64 });
  const vit = new Vit({ rng: new Rng(6), dtype: f64, dim: 16, depth: 2, heads: 4,
    attention: { kind: 'mha' } });
  const before = vit.forward(x);
  for (const block of vit.blocks) {
    const mha = block.attention as MultiHeadAttention;
    block.replaceModule('attention', TuckerAttention.fromHOSVD(mha, [4, 16, 16]));
    mha.dispose();
  }
  t.ok(vit.blocks.every((b) => b.attention instanceof TuckerAttention), 'the blocks read the new child');
  t.ok(maxAbsDiff(vit.forward(x), before) < 1e-10, 'the same outputs at full ranks');
});
