/**
 * steps suite: one training step of each integrator against a dense step, batch 128, float32
 * (issue 5): the 784-500-500-500-500-10 MLP at ranks 8, 32 and 128, and LeNet5 at its caps
 * [10, 25, 250] (where the lenet5 sweep starts) and at the ranks the sweep's θ = 0.11 and
 * θ = 0.2 runs end at. Ranks are held fixed (tol 0, maxRank = rank): every adaptive step
 * still augments to 2r and truncates back, which is the cost of a step at rank r. Timed with
 * benchmark.js (deferred), on the cpu backend, the wasm backend (one thread; two threads MLP
 * only) and then the gpu backend in every gpu.js mode available (MLP only, fewer samples:
 * without a GPU those run on these CPU cores, through llvmpipe or WebAssembly).
 */
import { closeBackends, crossEntropy, dispose, randn, Rng, setBackend, tensor } from '@dlrt/core';
import '@dlrt/backend-cpu';
import '@dlrt/backend-wasm';
import {
  integratorFor, lenet5, type LowRankSpec, type Method, METHODS, mlp, type Module, SGD,
} from '@dlrt/layers';
import { gpuModes } from './gpu.js';
import { fmt, machineInfo, markdownTable, timeAsync, writeResults } from './report.js';

const HIDDEN = [500, 500, 500, 500];
const BATCH = 128;
const RANKS = [8, 32, 128];
/** LeNet5's caps, and the final ranks of the lenet5-sweep's seed-0 runs at θ 0.11 and 0.2. */
const LENET5_RANKS = [[10, 25, 250], [7, 12, 36], [5, 8, 15]];

type ModelName = 'mlp' | 'lenet5';
type Ranks = number | readonly number[];

interface Row {
  backend: string; model: ModelName; method: Method; rank: Ranks | null; medianMs?: number;
  rme?: number; samples?: number; vsDense?: number; error?: string;
}

function build(model: ModelName, rng: Rng, rank: Ranks | null): Module {
  const lowRank: LowRankSpec | undefined = rank === null ? undefined
    : { rank, maxRank: rank };
  return model === 'mlp' ? mlp({ rng, hidden: HIDDEN, lowRank }) : lenet5({ rng, lowRank });
}

const rankLabel = (r: Ranks | null) => r === null ? '–' : typeof r === 'number' ? String(r)
  : `[${r.join(', ')}]`;

async function measure(backend: string, modelName: ModelName, method: Method,
  rank: Ranks | null, quick: boolean): Promise<Row> {
  const row: Row = { backend, model: modelName, method, rank };
  const rng = new Rng(1);
  const model = build(modelName, rng, rank);
  const integrator = integratorFor(method, model, { optimizer: new SGD({ lr: 0.01 }), tol: 0 });
  const x = randn([BATCH, 784], { rng });
  const y = tensor(Int32Array.from({ length: BATCH }, () => rng.int(10)), [BATCH], 'int32');
  const step = () => integrator.step(() => crossEntropy(model.forward(x), y));
  try {
    await step();   // warm-up, and the first step's one-off work (optimizer state)
    const t = await timeAsync(`${method} r=${rankLabel(rank)}`, step, quick ? 2 : 5, quick ? 1 : 3);
    Object.assign(row, { medianMs: t.medianMs, rme: t.rme, samples: t.samples });
    console.log(`  ${backend.padEnd(10)} ${modelName.padEnd(6)} ${method.padEnd(10)} ` +
      `r=${rankLabel(rank).padEnd(14)} ${fmt(t.medianMs).padStart(7)} ms  ±${fmt(t.rme, 2)}%  ` +
      `n=${t.samples}`);
  } catch (e) {
    row.error = e instanceof Error ? e.message : String(e);
    console.log(`  ${backend} ${modelName} ${method} r=${rankLabel(rank)} skipped: ${row.error}`);
  } finally {
    dispose([x, y]);
    model.dispose();
  }
  return row;
}

export async function runSteps(): Promise<void> {
  const started = performance.now();
  const rows: Row[] = [];
  const backends: [string, string, Record<string, unknown>][] = [['cpu', 'cpu', {}],
    ['wasm 1T', 'wasm', { threads: 1 }], ['wasm 2T', 'wasm', { threads: 2 }],
    ...(await gpuModes()).map((mode): [string, string, Record<string, unknown>] =>
      [`gpu ${mode}`, 'gpu', { mode }])];
  for (const [label, name, options] of backends) {
    await setBackend(name, options);
    // Full on cpu and wasm 1T; the others (wasm 2T, the gpu modes) MLP only, fewer samples.
    const quick = label !== 'cpu' && label !== 'wasm 1T';
    const models: [ModelName, readonly Ranks[]][] = quick ? [['mlp', RANKS]]
      : [['mlp', RANKS], ['lenet5', LENET5_RANKS]];
    for (const [model, ranks] of models) {
      const dense = await measure(label, model, 'dense', null, quick);
      rows.push(dense);
      for (const rank of ranks) {
        for (const method of METHODS.filter((m) => m !== 'dense')) {
          const r = await measure(label, model, method, rank, quick);
          if (r.medianMs && dense.medianMs) r.vsDense = r.medianMs / dense.medianMs;
          rows.push(r);
        }
      }
    }
  }
  await closeBackends();
  const seconds = (performance.now() - started) / 1e3;
  const machine = machineInfo();
  const md = [
    '# One training step: low-rank integrators against dense', '',
    `MLP 784-${HIDDEN.join('-')}-10 and LeNet5 (ranks [conv1, conv2, fc1]; cpu and wasm 1T), ` +
      `batch ${BATCH}, float32, SGD, cross-entropy, random inputs. ` +
      `${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date}. ` +
      `Suite time ${fmt(seconds)} s.`, '',
    'Median of benchmark.js samples per step (at least 5 on cpu and wasm 1T, 2 on the others). ' +
      'Ranks ' +
      'are held at r (tol 0, maxRank r): adaptive steps augment to 2r and truncate back. ' +
      '"× dense" is the step time over the dense step on the same backend (< 1: faster). ' +
      'Without a GPU, the gpu modes run on these CPU cores (webgpu through Mesa llvmpipe).', '',
    markdownTable(['backend', 'model', 'method', 'rank', 'median ms', '× dense', 'samples'],
      rows.map((r) => [r.backend, r.model, r.method, rankLabel(r.rank),
        r.error ? 'skipped' : fmt(r.medianMs ?? NaN), r.vsDense ? fmt(r.vsDense) : '–',
        String(r.samples ?? 0)])),
    '', ...rows.filter((r) => r.error)
      .map((r) => `Skipped: ${r.backend} ${r.model} ${r.method} r=${rankLabel(r.rank)}: ` +
        `${r.error}`),
  ].join('\n');
  console.log(`\n${md}`);
  const files = await writeResults('steps', { suite: 'steps', machine, seconds, rows }, md);
  console.log(`\nwrote ${files.join(', ')}`);
}
