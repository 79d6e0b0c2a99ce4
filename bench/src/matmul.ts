/**
 * matmul suite: dlrt's cpu and wasm GEMMs (1 and 2 threads, float32 and float64) and the gpu
 * backend in every gpu.js mode available here, against ml-matrix and @tensorflow/tfjs (cpu and
 * wasm backends), on square and training-sized shapes.
 */
import { type Tensor, closeBackends, dispose, matmul, setBackend, tensor } from '@dlrt/core';
import '@dlrt/backend-cpu';
import '@dlrt/backend-wasm';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { Matrix } from 'ml-matrix';
import { gpuModes, useGpu } from './gpu.js';
import {
  bestOfRounds, fmt, machineInfo, markdownTable, ROUNDS, time, type Timing, writeResults,
} from './report.js';
import { yardstickMatmul } from './yardstick.js';

/** C (m×n) = op(A)·op(B); with transA, A is stored k×m (e.g. a batch of activations). */
export interface Shape {
  label: string;
  m: number; k: number; n: number;
  transA: boolean;
}

export type DType = 'float32' | 'float64';

export const SHAPES: Shape[] = [
  ...[128, 256, 512, 1024].map((s) => ({ label: `${s}²`, m: s, k: s, n: s, transA: false })),
  { label: '128×784 · 784×32', m: 128, k: 784, n: 32, transA: false },
  { label: '(128×784)ᵀ · 128×32', m: 784, k: 128, n: 32, transA: true },
  { label: '1024×1024 · 1024×32', m: 1024, k: 1024, n: 32, transA: false },
];

const YARDSTICK = 'yardstick 4×4 f64';
const DETACHED = 'dlrt 1T f64 after a detach';

/** Detaches a small ArrayBuffer, as a transfer or a wasm memory growth does (see runMatmul). */
function detachOneBuffer(): void {
  const buffer = new ArrayBuffer(8);
  structuredClone(buffer, { transfer: [buffer] });
  if (buffer.byteLength !== 0) throw new Error('matmul bench: the buffer was not detached');
}

/** Deterministic inputs in [-1, 1) (a tiny LCG), so runs compare like with like. */
function fill<T extends { length: number; [i: number]: number }>(x: T, seed: number): T {
  let s = seed >>> 0;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 2 ** 31 - 1;
  }
  return x;
}

function floats(dtype: DType, n: number): Float32Array | Float64Array {
  return dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
}

/** Inputs of the dlrt cases so far: disposed before the next backend switch (see useBackend). */
const inputs: Tensor[] = [];

/**
 * Switches backend after disposing the last cases' inputs, so that setBackend closes the
 * backend it replaces (its memory and worker threads) instead of keeping it alive.
 */
export async function useBackend(name: string, options: Record<string, unknown>): Promise<void> {
  dispose(inputs.splice(0));
  await setBackend(name, options);
}

/**
 * The dlrt case: the public `matmul` op on the active backend (set up by the caller, e.g.
 * `setBackend('wasm', { threads })`), result disposed each call, as a user would run it.
 */
export function dlrtCase(shape: Shape, dtype: DType, readBack = false): () => void {
  const { m, k, n, transA } = shape;
  const a = tensor(fill(floats(dtype, m * k), 1), transA ? [k, m] : [m, k], dtype);
  const b = tensor(fill(floats(dtype, k * n), 2), [k, n], dtype);
  inputs.push(a, b);
  if (!readBack) return () => matmul(a, b, { transposeA: transA }).dispose();
  return () => {
    const c = matmul(a, b, { transposeA: transA });
    c.dataSync();
    c.dispose();
  };
}

/** ml-matrix (float64). The transposed shape pays for `transpose()`, as a caller would. */
function mlMatrixCase(shape: Shape): () => void {
  const { m, k, n, transA } = shape;
  const a = Matrix.from1DArray(transA ? k : m, transA ? m : k, fill(new Float64Array(m * k), 1));
  const b = Matrix.from1DArray(k, n, fill(new Float64Array(k * n), 2));
  return transA ? () => { a.transpose().mmul(b); } : () => { a.mmul(b); };
}

/** tfjs on its current backend (float32); dataSync() waits for the result. */
function tfjsCase(shape: Shape): { run: () => void; dispose: () => void } {
  const { m, k, n, transA } = shape;
  const a = tf.tensor2d(fill(new Float32Array(m * k), 1), transA ? [k, m] : [m, k]);
  const b = tf.tensor2d(fill(new Float32Array(k * n), 2), [k, n]);
  return {
    run: () => {
      const c = tf.matMul(a, b, transA, false);
      c.dataSync();
      c.dispose();
    },
    dispose: () => { a.dispose(); b.dispose(); },
  };
}

/** The machine-speed yardstick (yardstick.ts), float64, on the same inputs. */
function yardstickCase(shape: Shape): () => void {
  const { m, k, n, transA } = shape;
  const a = fill(new Float64Array(m * k), 1), b = fill(new Float64Array(k * n), 2);
  return () => yardstickMatmul(a, b, new Float64Array(m * n), m, k, n, transA);
}

/** One runner on one shape: its timing and GFLOP/s, or why it was skipped. */
export interface Row extends Partial<Timing> {
  shape: string; m: number; k: number; n: number; transA: boolean;
  runner: string; dtype: DType; threads: number;
  gflops?: number; error?: string;
}

/**
 * Fewer samples for slow cases, so the whole suite stays within a few minutes; a runner timed
 * in ROUNDS rounds gets a share of the time per round.
 */
function timingFor(pilotMs: number, rounds: number): { minSamples: number; maxTime: number } {
  if (pilotMs > 2000) return { minSamples: 2, maxTime: 0.1 };
  if (pilotMs > 1000) return { minSamples: 3, maxTime: 0.5 };
  if (pilotMs > 150) return { minSamples: 8, maxTime: Math.max(0.5, 2 / rounds) };
  return { minSamples: 10, maxTime: Math.max(0.5, 1.5 / rounds) };
}

/** Times one runner on one shape (a pilot call, then benchmark.js); errors become skipped rows. */
export function measure(shape: Shape, runner: string, dtype: DType, threads: number,
  make: () => () => void, rounds = 1): Row {
  const { label, m, k, n, transA } = shape;
  const row: Row = { shape: label, m, k, n, transA, runner, dtype, threads };
  try {
    const fn = make();
    const t0 = performance.now();
    fn(); // pilot: warms the JIT and sizes the sampling
    const t = time(`${label} ${runner}`, fn, timingFor(performance.now() - t0, rounds));
    Object.assign(row, t, { gflops: (2 * m * n * k) / (t.medianMs * 1e6) });
    console.log(`  ${runner.padEnd(16)} ${fmt(t.medianMs).padStart(8)} ms`
      + `  ${fmt(row.gflops ?? 0).padStart(6)} GFLOP/s  ±${fmt(t.rme, 2)}%  n=${t.samples}`);
  } catch (e) {
    row.error = e instanceof Error ? e.message : String(e);
    console.log(`  ${runner.padEnd(16)} skipped: ${row.error}`);
  }
  return row;
}

/** Switches tfjs to `name`; null when it runs, else why not. */
export async function onBackend(name: string): Promise<string | null> {
  try {
    if (!(await tf.setBackend(name))) return `tf.setBackend('${name}') returned false`;
    await tf.ready();
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** A tfjs row on its current backend, or a skipped row naming `failure`. */
export function tfRow(shape: Shape, runner: string, failure: string | null, rounds = 1): Row {
  if (failure !== null) {
    const { label, m, k, n, transA } = shape;
    console.log(`  ${runner.padEnd(16)} skipped: ${failure}`);
    return { shape: label, m, k, n, transA, runner, dtype: 'float32', threads: 1, error: failure };
  }
  let c: ReturnType<typeof tfjsCase> | null = null;
  const row = measure(shape, runner, 'float32', 1, () => (c = tfjsCase(shape)).run, rounds);
  (c as ReturnType<typeof tfjsCase> | null)?.dispose();
  return row;
}

export async function runMatmul(): Promise<void> {
  const rows: Row[] = [];
  const started = performance.now();
  const modes = await gpuModes();
  // The runners of the ratios go in ROUNDS interleaved rounds (see ROUNDS); the reference
  // rows that take long (gpu modes, ml-matrix, tfjs-cpu) run in the first round only.
  for (let round = 0; round < ROUNDS; round++) {
    for (const shape of SHAPES) {
      console.log(`${shape.label}  (m=${shape.m} k=${shape.k} n=${shape.n}), round ${round + 1}`);
      for (const backend of ['cpu', 'wasm']) {
        for (const threads of [1, 2]) {
          await useBackend(backend, { threads });
          for (const dtype of ['float32', 'float64'] as const) {
            const runner = `${backend === 'cpu' ? 'dlrt' : 'wasm'} ${threads}T ` +
              `${dtype === 'float32' ? 'f32' : 'f64'}`;
            rows.push(measure(shape, runner, dtype, threads, () => dlrtCase(shape, dtype),
              ROUNDS));
          }
        }
      }
      rows.push(measure(shape, YARDSTICK, 'float64', 1, () => yardstickCase(shape), ROUNDS));
      if (round > 0) continue;
      for (const mode of modes) {
        dispose(inputs.splice(0));
        const runner = await useGpu(mode);
        rows.push(measure(shape, runner, 'float32', 1, () => dlrtCase(shape, 'float32', true)));
      }
      rows.push(measure(shape, 'ml-matrix f64', 'float64', 1, () => mlMatrixCase(shape)));
      rows.push(tfRow(shape, 'tfjs-cpu f32', await onBackend('cpu')));
    }
  }
  // tfjs-wasm grows its WebAssembly.Memory, which detaches an ArrayBuffer: from then on V8
  // checks every typed-array load in the process for detachment, slowing every JS runner. So
  // it runs after all of them, and dlrt is measured once more after it, under those checks.
  for (let round = 0; round < ROUNDS; round++) {
    for (const shape of SHAPES) {
      console.log(`${shape.label}  (tfjs-wasm), round ${round + 1}`);
      rows.push(tfRow(shape, 'tfjs-wasm f32', await onBackend('wasm'), ROUNDS));
    }
  }
  detachOneBuffer();
  await useBackend('cpu', { threads: 1 });
  for (let round = 0; round < ROUNDS; round++) {
    for (const shape of SHAPES) {
      console.log(`${shape.label}  (after a detach), round ${round + 1}`);
      rows.push(measure(shape, DETACHED, 'float64', 1, () => dlrtCase(shape, 'float64'),
        ROUNDS));
    }
  }
  await closeBackends();
  const seconds = (performance.now() - started) / 1e3;
  const machine = machineInfo();
  const best = bestOfRounds(rows, (r) => `${r.shape} ${r.runner}`);
  const md = report(best, seconds, machine);
  console.log(`\n${md}`);
  const files = await writeResults('matmul', {
    suite: 'matmul', machine, seconds,
    wasm: {
      simd: await flag('WASM_HAS_SIMD_SUPPORT'),
      threads: await flag('WASM_HAS_MULTITHREAD_SUPPORT'),
    },
    rounds: ROUNDS,
    rows: best,
  }, md);
  console.log(`\nwrote ${files.join(', ')}`);
}

async function flag(name: string): Promise<unknown> {
  try { return await tf.env().getAsync(name); } catch { return null; }
}

function report(rows: Row[], seconds: number, info: Record<string, string | number>): string {
  const get = (shape: string, runner: string) =>
    rows.find((r) => r.shape === shape && r.runner === runner && r.medianMs !== undefined);
  const ratio = (shape: string, slow: string, fast: string) => {
    const s = get(shape, slow), f = get(shape, fast);
    return s && f ? `${fmt((s.medianMs ?? 0) / (f.medianMs ?? 1))}×` : '–';
  };
  const all = markdownTable(
    ['shape', 'runner', 'median ms', 'GFLOP/s', '±rme', 'samples', 'speed / dlrt 1T'],
    rows.map((r) => {
      const base = get(r.shape, `dlrt 1T ${r.dtype === 'float32' ? 'f32' : 'f64'}`);
      if (r.medianMs === undefined) {
        return [r.shape, r.runner, `skipped: ${r.error ?? ''}`.slice(0, 60), '', '', '', ''];
      }
      return [
        r.shape, r.runner, fmt(r.medianMs), fmt(r.gflops ?? 0), `${fmt(r.rme ?? 0, 2)}%`,
        String(r.samples), base ? `${fmt((base.medianMs ?? 0) / r.medianMs)}×` : '–',
      ];
    }),
  );
  const shapes = [...new Set(rows.map((r) => r.shape))];
  const summary = markdownTable(
    ['shape', 'f64 1T vs yardstick', 'f32 1T vs yardstick', 'f64 1T vs ml-matrix',
      'f32 1T vs tfjs-cpu', 'f32 1T vs tfjs-wasm', 'f32 2T/1T', 'f64 2T/1T',
      'f64 1T slowdown after a detach'],
    shapes.map((s) => [
      s, ratio(s, YARDSTICK, 'dlrt 1T f64'), ratio(s, YARDSTICK, 'dlrt 1T f32'),
      ratio(s, 'ml-matrix f64', 'dlrt 1T f64'), ratio(s, 'tfjs-cpu f32', 'dlrt 1T f32'),
      ratio(s, 'tfjs-wasm f32', 'dlrt 1T f32'), ratio(s, 'dlrt 1T f32', 'dlrt 2T f32'),
      ratio(s, 'dlrt 1T f64', 'dlrt 2T f64'), ratio(s, DETACHED, 'dlrt 1T f64'),
    ]),
  );
  const gf = (s: string, r: string) => fmt(get(s, r)?.gflops ?? NaN);
  const wasm = markdownTable(
    ['shape', 'wasm 1T f32 GFLOP/s', 'wasm 1T f64 GFLOP/s', 'wasm 2T f32 GFLOP/s',
      'wasm f32 1T vs tfjs-wasm', 'wasm f32 2T/1T', 'wasm f64 2T/1T', 'wasm f32 1T vs cpu 1T',
      'wasm f64 1T vs cpu 1T'],
    shapes.map((s) => [
      s, gf(s, 'wasm 1T f32'), gf(s, 'wasm 1T f64'), gf(s, 'wasm 2T f32'),
      ratio(s, 'tfjs-wasm f32', 'wasm 1T f32'), ratio(s, 'wasm 1T f32', 'wasm 2T f32'),
      ratio(s, 'wasm 1T f64', 'wasm 2T f64'), ratio(s, 'dlrt 1T f32', 'wasm 1T f32'),
      ratio(s, 'dlrt 1T f64', 'wasm 1T f64'),
    ]),
  );
  const gpuRunners = [...new Set(rows.map((r) => r.runner).filter((r) => r.startsWith('gpu ')))];
  const gpu = markdownTable(
    ['shape', 'dlrt cpu 1T f32 ms', ...gpuRunners.map((r) => `${r} ms (vs cpu)`)],
    shapes.map((s) => [s, fmt(get(s, 'dlrt 1T f32')?.medianMs ?? NaN),
      ...gpuRunners.map((r) => `${fmt(get(s, r)?.medianMs ?? NaN)} (${ratio(s, r, 'dlrt 1T f32')}`
        + ' slower)')]),
  );
  return [
    '# matmul benchmark',
    '',
    `${info.cpu}, ${info.cores} cores, Node ${info.node} (V8 ${info.v8}), ${info.platform},`
    + ` ${info.date}. Suite time ${fmt(seconds)} s.`,
    '',
    'C = op(A)·op(B); GFLOP/s = 2·m·n·k / median time. dlrt = the public `matmul` op on',
    "`setBackend('cpu', { threads })` (result allocated and disposed each call); wasm = the",
    "same op on `setBackend('wasm', { threads })` (its kernels' build is in the JSON). ml-matrix:",
    '`Matrix.mmul` (float64; the ᵀ shape includes `transpose()`). tfjs: `tf.matMul` +',
    '`dataSync()` on the cpu and wasm backends (float32). Speedups > 1 mean dlrt is faster;',
    '"speed / dlrt 1T" is each runner\'s speed relative to dlrt 1 thread of the same dtype.',
    "gpu rows: the same op on `setBackend('gpu', { mode })` for each gpu.js mode available here,",
    'plus `dataSync()` (the read that waits for device work). On a machine without a GPU,',
    'webgpu is Dawn → OpenGL ES → Mesa llvmpipe: software rendering on the same CPU cores.',
    'The yardstick is a plain 4×4 register-tiled float64 kernel without packing (bench/src/',
    'yardstick.ts; issue 2 measured such a kernel at about 5.5 GFLOP/s): "vs yardstick" divides',
    "out the VM's speed of the moment, which swings by 2× or more between runs on a shared host",
    '(read it where B fits in cache: 128², 256² and the n = 32 shapes).',
    'tfjs-wasm runs after every other runner: growing its wasm memory detaches an ArrayBuffer,',
    'after which V8 checks each typed-array load of the process for detachment, which slows',
    'every JS kernel; the last rows measure dlrt 1T f64 again under those checks.',
    `dlrt, wasm, the yardstick and tfjs-wasm are timed in ${ROUNDS} interleaved rounds, and each`,
    "row gives the best round (the median of that round's samples; every round is in the JSON):",
    'contention from other guests of this VM only ever adds time.',
    '',
    '## wasm backend',
    '',
    wasm,
    '',
    '## cpu backend vs gpu backend modes (float32)',
    '',
    gpu,
    '',
    '## Speedups of dlrt',
    '',
    summary,
    '',
    '## All runs (median of benchmark.js samples; best round where there are rounds)',
    '',
    all,
    '',
  ].join('\n');
}
