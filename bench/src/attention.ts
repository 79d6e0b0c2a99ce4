/**
 * attention suite: (1) the fused attention op against naive attention (matmul, softmax, matmul,
 * which builds the N×N scores), forward + backward, causal, on wasm with one thread; (2) the
 * character LM's training step for each attention of the `attention` experiment (width 64,
 * depth 2, 4 heads, context 64, batch 32), through `trainLM`.
 */
import {
  add, attention, matmul, mul, randn, setBackend, softmax, sum, type Tensor, tensor, tidy,
  valueAndGrads,
} from '@dlrt/core';
import '@dlrt/backend-wasm';
import { trainLM } from '@dlrt/cli';
import type { AttentionSpec } from '@dlrt/layers';
import { fmt, machineInfo, markdownTable, time, type Timing, writeResults } from './report.js';

const SHAPES: [number, number, number][] = [[4, 256, 16], [4, 1024, 16], [1, 2048, 64]];

/** softmax(QKᵀ/√d + causal) V with the scores materialized. */
function naive(q: Tensor, k: Tensor, v: Tensor): Tensor {
  const n = q.shape[2];
  const mask = tensor(Float32Array.from({ length: n * n }, (_, i) =>
    (i % n > Math.floor(i / n) ? -Infinity : 0)), [n, n]);
  const s = add(mul(matmul(q, k, { transposeB: true }), 1 / Math.sqrt(q.shape[3])), mask);
  return matmul(softmax(s, -1), v);
}

interface KernelRow { shape: string; runner: string; timing: Timing }

function kernels(): KernelRow[] {
  const rows: KernelRow[] = [];
  for (const [h, n, d] of SHAPES) {
    const [q, k, v] = [1, 2, 3].map((seed) => randn([1, h, n, d], { seed }));
    const w = randn([1, h, n, d], { seed: 4 });
    for (const [runner, f] of [['fused', (a: Tensor, b: Tensor, c: Tensor) =>
      attention(a, b, c, { causal: true })], ['naive', naive]] as const) {
      const step = valueAndGrads((a: Tensor, b: Tensor, c: Tensor) => sum(mul(f(a, b, c), w)));
      const timing = time(`${runner} ${h}×${n}×${d}`, () => tidy(() => {
        const { grads } = step([q, k, v]);
        grads[0].dataSync();
      }), { minSamples: 5, maxTime: 4 });
      rows.push({ shape: `H ${h}, N ${n}, d ${d}`, runner, timing });
      console.log(`  ${runner} H ${h} N ${n} d ${d}: ${fmt(timing.medianMs)} ms`);
    }
  }
  return rows;
}

const LM: [string, AttentionSpec][] = [
  ['mha', { kind: 'mha' }], ['gqa-2', { kind: 'gqa', kvHeads: 2 }],
  ['tucker-2-16-16', { kind: 'tucker', ranks: [2, 16, 16] }],
  ['tucker-2-10-10', { kind: 'tucker', ranks: [2, 10, 10] }],
  ['tucker-2-8-8', { kind: 'tucker', ranks: [2, 8, 8] }],
];
const STEPS = 40;

interface LMRow { attention: string; msPerStep: number; attentionParameters: number;
  kvBytesPerToken: number }

async function lmSteps(): Promise<LMRow[]> {
  const rows: LMRow[] = [];
  for (const [id, spec] of LM) {
    const rec = await trainLM({ attention: spec, dim: 64, depth: 2, heads: 4, context: 64,
      batch: 32, steps: STEPS, lr: 3e-3, seed: 0, evalEvery: STEPS, evalWindows: 8,
      backend: 'wasm', threads: 1 }, () => {});
    rows.push({ attention: id, msPerStep: 1000 * rec.secondsPerStep,
      attentionParameters: rec.attentionParameters, kvBytesPerToken: 4 * rec.kvCachePerToken });
    console.log(`  LM ${id}: ${fmt(rows.at(-1)!.msPerStep)} ms/step`);
  }
  return rows;
}

export async function runAttention(): Promise<void> {
  const started = performance.now();
  await setBackend('wasm', { threads: 1 });
  const k = kernels();
  const lm = await lmSteps();
  const seconds = (performance.now() - started) / 1e3;
  const machine = machineInfo();
  const naiveMs = (shape: string) => k.find((r) => r.shape === shape && r.runner === 'naive')!
    .timing.medianMs;
  const md = [
    '# Attention: the fused op and the LM step', '',
    `wasm backend, one thread, float32. ${machine.cpu}, ${machine.cores} cores, Node ` +
      `${machine.node}, ${machine.date}. Suite time ${fmt(seconds)} s.`, '',
    '## The fused op against naive attention (forward + backward, causal, batch 1)', '',
    'Naive: matmul, an additive causal mask, softmax, matmul, which builds the N×N scores; ' +
      'medians of at least 5 runs.', '',
    markdownTable(['shape', 'runner', 'median ms', '× naive'], k.map((r) => [r.shape, r.runner,
      fmt(r.timing.medianMs), `${fmt(naiveMs(r.shape) / r.timing.medianMs)}×`])), '',
    `## The character LM: mean ms per training step over ${STEPS} steps`, '',
    'Width 64, depth 2, 4 heads, context 64, batch 32, Adam (the `attention` experiment\'s ' +
      'LM); the step only (batch drawing and validation excluded).', '',
    markdownTable(['attention', 'ms/step', 'attention params', 'KV cache bytes/token'],
      lm.map((r) => [r.attention, fmt(r.msPerStep), r.attentionParameters.toLocaleString('en'),
        r.kvBytesPerToken.toLocaleString('en')])), '',
  ].join('\n');
  console.log(`\n${md}`);
  const files = await writeResults('attention', { suite: 'attention', machine, seconds,
    kernels: k, lm }, md);
  console.log(`\nwrote ${files.join(', ')}`);
}
