/**
 * conv suite: conv2d of LeNet5's two layers (the DLRT papers' variant, batch 128), forward and
 * forward + backward, on dlrt cpu and wasm (1 and 2 threads) and the gpu backend in every
 * gpu.js mode available here (with a read of the results), against @tensorflow/tfjs cpu and
 * wasm.
 * tfjs gets the same tensors in its native NHWC layout (same arithmetic, its fastest path).
 */
import {
  closeBackends, conv2d, dispose, randn, setBackend, sum, type Tensor, valueAndGrads,
} from '@dlrt/core';
import '@dlrt/backend-cpu';
import '@dlrt/backend-wasm';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { gpuModes, useGpu } from './gpu.js';
import {
  bestOfRounds, fmt, machineInfo, markdownTable, ROUNDS, time, writeResults,
} from './report.js';

interface Layer {
  label: string;
  x: [number, number, number, number];   // N, C, H, W
  w: [number, number, number, number];   // O, C, kh, kw
  /** The first layer's input is data: no input gradient is needed. */
  inputGrad: boolean;
}

const LAYERS: Layer[] = [
  { label: 'conv1 1→20 5×5 on 28×28', x: [128, 1, 28, 28], w: [20, 1, 5, 5], inputGrad: false },
  { label: 'conv2 20→50 5×5 on 12×12', x: [128, 20, 12, 12], w: [50, 20, 5, 5], inputGrad: true },
];

interface Row {
  layer: string; pass: 'forward' | 'forward+backward'; runner: string;
  medianMs?: number; rme?: number; samples?: number; gflops?: number; error?: string;
}

/** 2·N·O·Ho·Wo·C·kh·kw per pass; backward counts the passes it runs (filter, input). */
function flops(l: Layer, pass: Row['pass']): number {
  const [n, c, h, w] = l.x;
  const [o, , kh, kw] = l.w;
  const fwd = 2 * n * o * (h - kh + 1) * (w - kw + 1) * c * kh * kw;
  return pass === 'forward' ? fwd : fwd * (l.inputGrad ? 3 : 2);
}

/** dlrt's conv2d; `readBack` reads every result (the gpu backend otherwise only queues work). */
function dlrt(l: Layer, pass: Row['pass'], readBack = false): () => void {
  const x = randn(l.x, { seed: 1 });
  const w = randn(l.w, { seed: 2, std: 0.1 });
  const read = (ts: Tensor[]): void => {
    if (readBack) for (const t of ts) t.dataSync();
    dispose(ts);
  };
  if (pass === 'forward') return () => read([conv2d(x, w)]);
  const f = valueAndGrads((w) => sum(conv2d(x, w)));
  const g = valueAndGrads((x, w) => sum(conv2d(x, w)));
  return () => {
    const r = l.inputGrad ? g([x, w]) : f([w]);
    read([r.value, ...r.grads]);
  };
}

function tfjs(l: Layer, pass: Row['pass']): () => void {
  const [n, c, h, wd] = l.x;
  const [o, , kh, kw] = l.w;
  const x = tf.randomNormal([n, h, wd, c]) as tf.Tensor4D;
  const w = tf.randomNormal([kh, kw, c, o]) as tf.Tensor4D;
  const f = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.conv2d(a, b, 1, 'valid').sum();
  if (pass === 'forward') {
    return () => {
      const y = tf.conv2d(x, w, 1, 'valid');
      y.dataSync();
      y.dispose();
    };
  }
  const grads = tf.grads((a, b) => f(a as tf.Tensor4D, b as tf.Tensor4D));
  const gradW = tf.grad((b) => f(x, b as tf.Tensor4D));
  return () => {
    const gs = l.inputGrad ? grads([x, w]) : [gradW(w)];
    for (const g of gs) {
      g.dataSync();
      g.dispose();
    }
  };
}

function measure(l: Layer, pass: Row['pass'], runner: string, make: () => () => void,
  rounds = 1): Row {
  const row: Row = { layer: l.label, pass, runner };
  try {
    const fn = make();
    const t0 = performance.now();
    fn();
    const pilot = performance.now() - t0;
    // A call of several seconds (tfjs-cpu's naive backward) is reported from one timed call.
    const t = pilot > 3000 ? { medianMs: pilot, rme: 0, samples: 1 }
      : time(`${l.label} ${pass} ${runner}`, fn,
        { minSamples: 5, maxTime: Math.max(0.5, 2 / rounds) });
    Object.assign(row, { medianMs: t.medianMs, rme: t.rme, samples: t.samples,
      gflops: flops(l, pass) / (t.medianMs * 1e6) });
    console.log(`  ${pass.padEnd(17)} ${runner.padEnd(12)} ${fmt(t.medianMs).padStart(7)} ms` +
      `  ${fmt(row.gflops ?? 0)} GFLOP/s  n=${t.samples}`);
  } catch (e) {
    row.error = e instanceof Error ? e.message : String(e);
    console.log(`  ${pass} ${runner} skipped: ${row.error}`);
  }
  return row;
}

export async function runConv(): Promise<void> {
  const rows: Row[] = [];
  const started = performance.now();
  const modes = await gpuModes();
  // dlrt and tfjs-wasm go in ROUNDS interleaved rounds (see ROUNDS); the gpu modes and
  // tfjs-cpu (seconds per call) run in the first round only.
  for (let round = 0; round < ROUNDS; round++) {
    for (const l of LAYERS) {
      console.log(`${l.label}, round ${round + 1}`);
      for (const pass of ['forward', 'forward+backward'] as const) {
        for (const backend of ['cpu', 'wasm']) {
          for (const threads of [1, 2]) {
            await setBackend(backend, { threads });
            rows.push(measure(l, pass, `${backend === 'cpu' ? 'dlrt' : 'wasm'} ${threads}T f32`,
              () => dlrt(l, pass), ROUNDS));
          }
        }
        if (round === 0) {
          for (const mode of modes) {
            const runner = await useGpu(mode);
            rows.push(measure(l, pass, runner, () => dlrt(l, pass, true)));
          }
        }
        for (const backend of round === 0 ? ['cpu', 'wasm'] : ['wasm']) {
          await tf.setBackend(backend);
          await tf.ready();
          tf.engine().startScope();   // frees the case's input tensors afterwards
          rows.push(measure(l, pass, `tfjs-${backend} f32`, () => tfjs(l, pass),
            backend === 'wasm' ? ROUNDS : 1));
          tf.engine().endScope();
        }
      }
    }
  }
  await closeBackends();
  const seconds = (performance.now() - started) / 1e3;
  const machine = machineInfo();
  const best = bestOfRounds(rows, (r) => `${r.layer} ${r.pass} ${r.runner}`);
  const md = [
    '# conv2d benchmark (LeNet5 layers, batch 128, float32)', '',
    `${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date}. ` +
      `Suite time ${fmt(seconds)} s.`, '',
    `Median of benchmark.js samples. dlrt (cpu, wasm) and tfjs-wasm are timed in ${ROUNDS} ` +
      "interleaved rounds, and each row gives the best round (every round's median is in the " +
      'JSON): contention from other guests of this VM only ever adds time.',
    'GFLOP/s counts 2·N·O·Ho·Wo·C·kh·kw per conv pass; ' +
      'backward runs the filter pass, and the input pass where the input needs a gradient.',
    'gpu rows: the gpu backend (direct conv kernels) in each gpu.js mode available here, with',
    'a read of every result; without a GPU, webgpu runs on Mesa llvmpipe on these CPU cores.', '',
    markdownTable(['layer', 'pass', 'runner', 'median ms', 'GFLOP/s', 'samples'],
      best.map((r) => [r.layer, r.pass, r.runner, r.error ? 'skipped' : fmt(r.medianMs ?? NaN),
        r.error ? '–' : fmt(r.gflops ?? NaN), String(r.samples ?? 0)])),
    '', wasmSummary(best), '',
    ...best.filter((r) => r.error).map((r) => `Skipped: ${r.runner}, ${r.layer}, ${r.pass}: ` +
      `${r.error}`),
  ].join('\n');
  console.log(`\n${md}`);
  const files = await writeResults('conv', { suite: 'conv', machine, seconds, rounds: ROUNDS,
    rows: best }, md);
  console.log(`\nwrote ${files.join(', ')}`);
}

/** LeNet5's conv1 + conv2 per pass: wasm against the cpu backend, one thread. */
function wasmSummary(rows: Row[]): string {
  const total = (runner: string, pass: Row['pass']) => rows
    .filter((r) => r.runner === runner && r.pass === pass)
    .reduce((s, r) => s + (r.medianMs ?? NaN), 0);
  return markdownTable(
    ['conv1 + conv2', 'cpu 1T ms', 'wasm 1T ms', 'wasm 2T ms', 'wasm 1T vs cpu 1T'],
    (['forward', 'forward+backward'] as const).map((p) => [p, fmt(total('dlrt 1T f32', p)),
      fmt(total('wasm 1T f32', p)), fmt(total('wasm 2T f32', p)),
      `${fmt(total('dlrt 1T f32', p) / total('wasm 1T f32', p))}×`]));
}
