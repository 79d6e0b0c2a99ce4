/**
 * tucker suite: the cost of TDLRT. Training epochs of vgg-mini at width 16 (the tucker-conv
 * experiment's net) on the bundled split, through `dlrt train` on wasm with one thread: dense,
 * TuckerBUG with its paper's two passes and with one (the weight form), matrix DLRT
 * (RankAdaptiveBUG) and direct Tucker factor training; τ 0.35, plain SGD lr 0.05, 3 epochs.
 */
import { DEFAULTS, train, type TrainArgs } from '@dlrt/cli';
import { fmt, machineInfo, markdownTable, writeResults } from './report.js';

interface Row {
  method: string; epochs: number; meanSeconds: number; firstSeconds: number;
  testAccuracy: number | null;
}

const BASE: Partial<TrainArgs> = { model: 'vgg-mini', width: 16, optimizer: 'sgd', lr: 0.05,
  batch: 128, epochs: 3, init: 'he', backend: 'wasm', threads: 1, progress: 'none' };
const METHODS: [string, Partial<TrainArgs>][] = [
  ['dense', { method: 'dense' }],
  ['tdlrt (2 passes)', { method: 'tdlrt', tol: 0.35 }],
  ['tdlrt-1pass', { method: 'tdlrt-1pass', tol: 0.35 }],
  ['matrix bug (3 passes)', { method: 'bug', conv: 'matrix', tol: 0.35 }],
  ['direct [2,4,4,8,8]', { method: 'direct', rank: [2, 4, 4, 8, 8] }],
];

export async function runTucker(): Promise<void> {
  const started = performance.now();
  const rows: Row[] = [];
  for (const [method, args] of METHODS) {
    const history = await train({ ...DEFAULTS, ...BASE, ...args }, () => {},
      { command: 'bench tucker' });
    const s = history.map((h) => h.seconds);
    rows.push({ method, epochs: s.length, meanSeconds: s.reduce((a, b) => a + b, 0) / s.length,
      firstSeconds: s[0], testAccuracy: history.at(-1)!.testAccuracy });
    console.log(`  ${method.padEnd(22)} ${fmt(rows.at(-1)!.meanSeconds)} s/epoch`);
  }
  const seconds = (performance.now() - started) / 1e3;
  const machine = machineInfo();
  const dense = rows[0].meanSeconds;
  const md = [
    '# The cost of TDLRT: vgg-mini epochs', '',
    'vgg-mini at width 16 (16-16-pool-32-32-pool-64-pool-fc10), 8,000 training digits, batch ' +
      '128, plain SGD lr 0.05, He init, float32, wasm backend with one thread, through ' +
      '`dlrt train`; training seconds only, mean over 3 epochs. The low-rank runs start at the ' +
      'caps ⌊n/2⌋ and truncate by τ = 0.35. ' +
      `${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date}. ` +
      `Suite time ${fmt(seconds)} s.`, '',
    markdownTable(['method', 's/epoch (mean)', 'first epoch s', '× dense (mean)',
      '× dense (first)', 'test acc % (epoch 3)'], rows.map((r) => [r.method,
      fmt(r.meanSeconds), fmt(r.firstSeconds), `${fmt(r.meanSeconds / dense)}×`,
      `${fmt(r.firstSeconds / dense)}×`,
      r.testAccuracy === null ? '–' : (100 * r.testAccuracy).toFixed(2)])), '',
  ].join('\n');
  console.log(`\n${md}`);
  const files = await writeResults('tucker', { suite: 'tucker', machine, seconds, rows }, md);
  console.log(`\nwrote ${files.join(', ')}`);
}
