/**
 * ceiling suite: how close the wasm GEMM comes to what its register tile can do on this core.
 * The tile's own rate on L1-resident operands (`tileCeiling`) is timed right before each
 * one-thread GEMM, in the same rounds, so that both meet the host's fast and slow phases; the
 * GFLOP/s targets of the matmul suite were set on one machine, and the ceiling says what they
 * mean on another.
 */
import { closeBackends } from '@dlrt/core';
import { tileCeiling } from '@dlrt/backend-wasm';
import {
  type DType, dlrtCase, measure, onBackend, type Row, SHAPES, tfRow, useBackend,
} from './matmul.js';
import { bestOfRounds, fmt, machineInfo, markdownTable, writeResults } from './report.js';

/** The square shapes at both ends and the thin training shape of the matmul suite. */
const SHAPE_LABELS = ['256²', '1024²', '(128×784)ᵀ · 128×32'];
const CEILING = 'tile ceiling';
/** More rounds than the long suites' 3: a round here takes about 18 s. */
const ROUNDS = 5;

/**
 * The ceiling as a row of the suite: gflops of the best of its inner rounds; medianMs holds
 * 1/gflops, so that bestOfRounds keeps the fastest round, as it does for the GEMM rows.
 */
async function ceilingRow(dtype: DType): Promise<Row> {
  const c = await tileCeiling(dtype, { rounds: 25, roundMs: 20 });
  console.log(`  ${CEILING} ${dtype}: ${fmt(c.gflops)} GFLOP/s (best of ${c.rounds.length}, ` +
    `slowest ${fmt(Math.min(...c.rounds))})`);
  return { shape: '–', m: 0, k: 0, n: 0, transA: false, runner: CEILING, dtype, threads: 1,
    gflops: c.gflops, medianMs: 1 / c.gflops };
}

export async function runCeiling(): Promise<void> {
  const started = performance.now();
  const shapes = SHAPES.filter((s) => SHAPE_LABELS.includes(s.label));
  const square = shapes.find((s) => s.label === '1024²')!;
  const rows: Row[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    console.log(`round ${round + 1}`);
    await useBackend('wasm', { threads: 1 });
    for (const dtype of ['float32', 'float64'] as const) {
      for (const shape of shapes) {
        // Before each shape: the host's slow phases come and go within a second.
        rows.push(await ceilingRow(dtype));
        rows.push(measure(shape, `wasm 1T ${dtype === 'float32' ? 'f32' : 'f64'}`, dtype, 1,
          () => dlrtCase(shape, dtype), ROUNDS));
      }
    }
    // In every round, unlike the matmul suite: tfjs-wasm's memory growth detaches a buffer,
    // which slows JS typed-array loads, but every runner here spends its time in wasm.
    rows.push(tfRow(square, 'tfjs-wasm f32', await onBackend('wasm'), ROUNDS));
  }
  await closeBackends();
  const seconds = (performance.now() - started) / 1e3;
  const machine = machineInfo();
  const best = bestOfRounds(rows, (r) => `${r.shape} ${r.runner} ${r.dtype}`);
  const md = report(best, seconds, machine);
  console.log(`\n${md}`);
  const files = await writeResults('ceiling', { suite: 'ceiling', machine, seconds,
    rounds: ROUNDS, rows: best }, md);
  console.log(`\nwrote ${files.join(', ')}`);
}

function report(rows: (Row & { roundsMs?: number[] })[], seconds: number,
  info: Record<string, string | number>): string {
  const gflopsOf = (r: Row & { roundsMs?: number[] }) =>
    (r.runner === CEILING ? (r.roundsMs ?? [r.medianMs ?? 0]).map((ms) => 1 / ms)
      : (r.roundsMs ?? [r.medianMs ?? 0]).map((ms) => (2 * r.m * r.n * r.k) / (ms * 1e6)));
  const table = markdownTable(
    ['dtype', 'runner', 'shape', 'GFLOP/s (best round)', 'each round', 'of the ceiling'],
    rows.filter((r) => r.gflops !== undefined).map((r) => {
      const ceiling = rows.find((c) => c.runner === CEILING && c.dtype === r.dtype);
      const share = r.runner !== CEILING && ceiling?.gflops
        ? `${fmt(100 * (r.gflops ?? 0) / ceiling.gflops)}%` : '–';
      return [r.dtype, r.runner, r.shape, fmt(r.gflops ?? 0), gflopsOf(r).map((g) => fmt(g))
        .join(' · '), r.runner.startsWith('tfjs') ? '–' : share];
    }),
  );
  const wasm = rows.find((r) => r.runner === 'wasm 1T f32' && r.shape === '1024²');
  const tfjs = rows.find((r) => r.runner === 'tfjs-wasm f32');
  const vsTfjs = wasm?.gflops && tfjs?.gflops
    ? `wasm 1T f32 against tfjs-wasm at 1024²: ${fmt(wasm.gflops / tfjs.gflops)}×.` : '';
  return [
    '# GEMM ceiling benchmark',
    '',
    `${info.cpu}, ${info.cores} cores, Node ${info.node} (V8 ${info.v8}), ${info.platform}, ` +
      `${info.date}. Suite time ${Math.round(seconds)} s.`,
    '',
    'The tile ceiling is the wasm GEMM\'s register tile (4 rows by two v128 of columns, the',
    'code `gemm` runs) on operands that stay in L1, without packing or cache blocking',
    '(`tileCeiling` in @dlrt/backend-wasm): the most the GEMM can reach on this core. The',
    'GEMM rows are the public `matmul` op on `setBackend(\'wasm\', { threads: 1 })`, and',
    `tfjs-wasm's \`tf.matMul\`. Each GEMM is timed once in each of ${ROUNDS} interleaved`,
    'rounds, and the best round counts; the ceiling is taken before each of our GEMMs (25',
    'bursts of 20 ms, the fastest), and the best of those counts. "Each round" shows how far',
    'this host moves between them. "Of the ceiling" divides the GEMM by the ceiling.',
    '',
    table,
    '',
    vsTfjs,
    '',
  ].join('\n');
}
