/**
 * epoch suite: whole training epochs on the bundled MNIST split (8,000 train digits, batch
 * 128, SGD lr 0.05, float32), through `dlrt train` itself: a dense LeNet5 and a dense
 * 784-500-10 MLP per backend (cpu, wasm with 1 and 2 threads), the lenet5-sweep's
 * RankAdaptiveBUG θ = 0.11 run (20 epochs) on wasm, and, where `python3 -c 'import torch'`
 * works, PyTorch on the same digits with one thread (bench/torch/epoch.py).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { DEFAULTS, train, type TrainArgs } from '@dlrt/cli';
import { mnist } from '@dlrt/layers/node';
import { fmt, machineInfo, markdownTable, writeResults } from './report.js';

interface Row {
  runner: string; model: string; method: string; threads: number; epochs: number;
  /** Mean training seconds per epoch (evaluation excluded), and the first epoch's. */
  meanSeconds?: number; firstSeconds?: number; testAccuracy?: number; error?: string;
}

const BASE: Partial<TrainArgs> = { optimizer: 'sgd', lr: 0.05, batch: 128, progress: 'none' };
const MODELS: [string, Partial<TrainArgs>][] = [['lenet5', { model: 'lenet5' }],
  ['mlp 784-500-10', { model: 'mlp', hidden: [500] }]];

async function dlrtRow(runner: string, model: string, args: Partial<TrainArgs>): Promise<Row> {
  const a: TrainArgs = { ...DEFAULTS, ...BASE, ...args };
  const method = a.method === 'dense' ? 'dense' : `${a.method} θ ${a.tol}`;
  const row: Row = { runner, model, method, threads: a.threads, epochs: a.epochs };
  try {
    const history = await train(a, () => {}, { command: 'bench epoch' });
    const s = history.map((h) => h.seconds);
    Object.assign(row, { meanSeconds: s.reduce((x, y) => x + y, 0) / s.length,
      firstSeconds: s[0], testAccuracy: history.at(-1)!.testAccuracy ?? undefined });
    console.log(`  ${runner.padEnd(10)} ${model.padEnd(16)} ${row.method.padEnd(10)} ` +
      `${fmt(row.meanSeconds!).padStart(6)} s/epoch (first ${fmt(row.firstSeconds!)} s, ` +
      `${a.epochs} epochs)`);
  } catch (e) {
    row.error = e instanceof Error ? e.message : String(e);
    console.log(`  ${runner} ${model} skipped: ${row.error}`);
  }
  return row;
}

/** The Python that has torch, or null. */
function torchPython(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return null;
}

/** PyTorch rows: the same digits, written to a scratch directory for bench/torch/epoch.py. */
function torchRows(): Row[] {
  const py = torchPython();
  if (!py) {
    console.log('  pytorch    skipped: no python3 with torch (apt-get install python3-torch)');
    return [];
  }
  const dir = mkdtempSync(`${os.tmpdir()}/dlrt-epoch-`);
  try {
    const { train: tr } = mnist();
    writeFileSync(`${dir}/x.f32`, tr.images);
    writeFileSync(`${dir}/y.i32`, new Int32Array(tr.labels));
    const script = new URL('../torch/epoch.py', import.meta.url).pathname;
    const r = spawnSync(py, [script, dir, String(tr.count)], { encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1' } });
    if (r.status !== 0) throw new Error(r.stderr.trim().split('\n').at(-1));
    const out = JSON.parse(r.stdout) as { version: string;
      rows: { model: string; seconds: number[] }[] };
    return out.rows.map((x) => {
      const mean = x.seconds.reduce((a, b) => a + b, 0) / x.seconds.length;
      console.log(`  pytorch    ${x.model.padEnd(16)} dense      ${fmt(mean)} s/epoch`);
      return { runner: `pytorch ${out.version}`, model: x.model, method: 'dense', threads: 1,
        epochs: x.seconds.length, meanSeconds: mean, firstSeconds: x.seconds[0] };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runEpoch(): Promise<void> {
  const started = performance.now();
  const rows: Row[] = [];
  for (const [runner, backend, threads] of [['cpu 1T', 'cpu', 1], ['wasm 1T', 'wasm', 1],
    ['wasm 2T', 'wasm', 2]] as const) {
    for (const [model, args] of MODELS) {
      rows.push(await dlrtRow(runner, model, { ...args, backend, threads, epochs: 3 }));
    }
  }
  rows.push(...torchRows());
  // The lenet5-sweep's adaptive run: starts at the caps [10, 25, 250], 20 epochs.
  rows.push(await dlrtRow('wasm 1T', 'lenet5', { model: 'lenet5', backend: 'wasm', threads: 1,
    method: 'bug', tol: 0.11, epochs: 20 }));
  const seconds = (performance.now() - started) / 1e3;
  const machine = machineInfo();
  const get = (runner: string, model: string, method = 'dense') =>
    rows.find((r) => r.runner.startsWith(runner) && r.model === model && r.method === method);
  const ratio = (slow?: number, fast?: number) => slow && fast ? `${fmt(slow / fast)}×` : '–';
  const md = [
    '# Training epochs per backend', '',
    'One epoch = 8,000 training digits (the bundled split), batch 128, SGD lr 0.05, float32, ' +
      'through `dlrt train`; training seconds only (test evaluation excluded), mean over the ' +
      'run\'s epochs (dense: 3). ' +
      `${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date}. ` +
      `Suite time ${fmt(seconds)} s.`, '',
    markdownTable(['runner', 'model', 'method', 'epochs', 's/epoch (mean)', 'first epoch s',
      'vs cpu 1T'], rows.map((r) => [r.runner, r.model, r.method, String(r.epochs),
      r.error ? `skipped: ${r.error}` : fmt(r.meanSeconds!), fmt(r.firstSeconds ?? NaN),
      ratio(get('cpu 1T', r.model, r.method)?.meanSeconds, r.meanSeconds)])),
    '',
    `Low-rank cost on wasm 1T (LeNet5): the RankAdaptiveBUG θ = 0.11 run's mean epoch is ` +
      `${ratio(get('wasm 1T', 'lenet5', 'bug θ 0.11')?.meanSeconds,
        get('wasm 1T', 'lenet5')?.meanSeconds)} the dense epoch; its first epoch (at the caps) ` +
      `${ratio(get('wasm 1T', 'lenet5', 'bug θ 0.11')?.firstSeconds,
        get('wasm 1T', 'lenet5')?.meanSeconds)}.`,
    '',
  ].join('\n');
  console.log(`\n${md}`);
  const files = await writeResults('epoch', { suite: 'epoch', machine, seconds, rows }, md);
  console.log(`\nwrote ${files.join(', ')}`);
}
