/**
 * adapters suite: one fine-tuning step of each adapter (issue 23), batch 128, float32, Adam:
 * LoRA r = 8 (one backward pass, Adam on A and B), AdaLoRA from 12 triplets (with its
 * allocator and orthogonality term; pruning every step) and GeoLoRA from rank 8 at τ = 0.15
 * (augment, one backward pass, truncate; and with 10 coefficient steps between
 * augmentations, the paper's amortization), on LeNet5's fc1 (800 → 500) and on the hidden
 * layers of the 784-500×4-10 MLP. The frozen base's forward is in every step. cpu and wasm
 * (one thread), in 3 interleaved rounds, each row's best round.
 */
import { closeBackends, crossEntropy, dispose, randn, Rng, setBackend, tensor } from '@dlrt/core';
import '@dlrt/backend-cpu';
import '@dlrt/backend-wasm';
import {
  Adam, AdaLoRAStep, applyAdapters, FactorizedIntegrator, GeoLoRA, GradientStep,
  type Integrator, lenet5, mlp, type Module,
} from '@dlrt/layers';
import {
  bestOfRounds, fmt, machineInfo, markdownTable, ROUNDS, timeAsync, writeResults,
} from './report.js';

const BATCH = 128;
const METHODS = ['lora', 'adalora', 'geolora', 'geolora c=10'] as const;
/** GeoLoRA's coefficient steps between augmentations in the 'geolora c=10' rows. */
const CYCLE = 10;
type AdapterMethod = (typeof METHODS)[number];
/** Each model and the layers adapted in it. */
const MODELS: { id: string; build: (rng: Rng) => Module; targets: string[];
  input: number[] }[] = [
  { id: 'lenet5 fc1', build: (rng) => lenet5({ rng }), targets: ['8'], input: [1, 28, 28] },
  { id: 'mlp 784-500×4-10', build: (rng) => mlp({ rng, hidden: [500, 500, 500, 500] }),
    targets: ['1', '3', '5', '7'], input: [784] },
];

interface Row {
  backend: string; model: string; method: AdapterMethod; medianMs?: number; rme?: number;
  samples?: number; error?: string;
}

async function measure(backend: string, m: (typeof MODELS)[number], method: AdapterMethod):
  Promise<Row> {
  const row: Row = { backend, model: m.id, method };
  const rng = new Rng(1);
  const model = m.build(rng);
  applyAdapters(model, { method: method === 'geolora c=10' ? 'geolora' : method,
    rank: method === 'adalora' ? 12 : 8, targets: m.targets, rng });
  const optimizer = new Adam({ lr: 1e-3 });
  const integrator: Integrator = method === 'lora' ? new GradientStep(model, { optimizer })
    : method === 'adalora' ? new AdaLoRAStep(model, { optimizer, targetRank: 8,
      totalSteps: 1e6, tInit: 0, tFinal: 1, deltaT: 1 })
      : new GeoLoRA(model, { optimizer, tol: 0.15,
        coefficientSteps: method === 'geolora' ? 0 : CYCLE });
  // A cycled GeoLoRA is timed a whole cycle (one augmentation, CYCLE S-steps) at a time.
  const perSample = method === 'geolora c=10' ? CYCLE + 1 : 1;
  const x = randn([BATCH, ...m.input], { rng });
  const y = tensor(Int32Array.from({ length: BATCH }, () => rng.int(10)), [BATCH], 'int32');
  const one = () => integrator.step(() => crossEntropy(model.forward(x), y));
  const step = async () => { for (let i = 0; i < perSample; i++) await one(); };
  try {
    await step();
    await step();
    const t = await timeAsync(`${m.id} ${method}`, step, 5, 2);
    Object.assign(row, { medianMs: t.medianMs / perSample, rme: t.rme, samples: t.samples });
    console.log(`  ${backend.padEnd(8)} ${m.id.padEnd(18)} ${method.padEnd(8)} ` +
      `${fmt(t.medianMs).padStart(7)} ms  ±${fmt(t.rme, 2)}%  n=${t.samples}`);
  } catch (e) {
    row.error = e instanceof Error ? e.message : String(e);
    console.log(`  ${backend} ${m.id} ${method} skipped: ${row.error}`);
  } finally {
    if (integrator instanceof FactorizedIntegrator) integrator.dispose();
    optimizer.dispose();
    dispose([x, y]);
    model.dispose();
  }
  return row;
}

export async function runAdapters(): Promise<void> {
  const started = performance.now();
  const rows: Row[] = [];
  const backends: [string, string, Record<string, unknown>][] = [['cpu', 'cpu', {}],
    ['wasm 1T', 'wasm', { threads: 1 }]];
  for (let round = 1; round <= ROUNDS; round++) {
    console.log(`round ${round}`);
    for (const [label, name, options] of backends) {
      await setBackend(name, options);
      for (const m of MODELS) {
        for (const method of METHODS) rows.push(await measure(label, m, method));
      }
    }
  }
  await closeBackends();
  const best = bestOfRounds(rows, (r) => `${r.backend} ${r.model} ${r.method}`);
  const seconds = (performance.now() - started) / 1e3;
  const machine = machineInfo();
  const get = (b: string, m: string, method: AdapterMethod) =>
    best.find((r) => r.backend === b && r.model === m && r.method === method)?.medianMs;
  const md = [
    '# One fine-tuning step per adapter', '',
    `Batch ${BATCH}, float32, Adam lr 10⁻³, random inputs; LoRA r = 8; AdaLoRA from 12 ` +
      'triplets (allocator every step); GeoLoRA from rank 8, τ = 0.15, augmenting every step, ' +
      `or every ${CYCLE + 1} (c=${CYCLE}: ${CYCLE} coefficient steps between augmentations; ` +
      'its row is the mean step over whole cycles). ' +
      `${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date}. ` +
      `Suite time ${fmt(seconds)} s. Median of benchmark.js samples; ${ROUNDS} interleaved ` +
      "rounds, each row's best (every round's median is in the JSON).", '',
    markdownTable(['backend', 'model', 'method', 'median ms', 'samples'],
      best.map((r) => [r.backend, r.model, r.method,
        r.error ? 'skipped' : fmt(r.medianMs ?? NaN), String(r.samples ?? 0)])), '',
    markdownTable(['backend', 'model', 'GeoLoRA / AdaLoRA', `GeoLoRA c=${CYCLE} / AdaLoRA`,
      'GeoLoRA / LoRA'],
      backends.flatMap(([b]) => MODELS.map((m) => {
        const [l, a, g, gc] = METHODS.map((x) => get(b, m.id, x));
        const r = (x?: number, y?: number) => (x && y ? `${fmt(x / y)}×` : '–');
        return [b, m.id, r(g, a), r(gc, a), r(g, l)];
      }))),
  ].join('\n');
  console.log(`\n${md}`);
  const files = await writeResults('adapters', { suite: 'adapters', machine, seconds,
    rounds: ROUNDS, rows: best }, md);
  console.log(`\nwrote ${files.join(', ')}`);
}
