/** Shared helpers of the bench suites: timing with benchmark.js, markdown tables, result files. */
import Benchmark from 'benchmark';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';

/** Timing of one benchmark case; times in milliseconds. */
export interface Timing {
  medianMs: number;
  meanMs: number;
  /** Relative margin of error of the mean, in percent (benchmark.js `stats.rme`). */
  rme: number;
  samples: number;
}

/** Options passed to benchmark.js for one case. */
export interface TimingOptions {
  minSamples: number;
  /** Seconds after which benchmark.js stops sampling (once it has minSamples). */
  maxTime: number;
}

/**
 * Times `fn` with benchmark.js (synchronously). The headline number is the median of the
 * per-op sample times, which is robust to the noisy neighbours of a small VM.
 */
export function time(name: string, fn: () => void, options: TimingOptions): Timing {
  const bench = new Benchmark(name, fn, { ...options, initCount: 1 });
  let error: unknown = null;
  bench.on('error', (e: { target: { error?: unknown } }) => { error = e.target.error; });
  bench.run({ async: false });
  if (error || bench.error) throw error ?? bench.error;
  const sample = [...bench.stats.sample].sort((x, y) => x - y);
  const mid = sample.length >> 1;
  const median = sample.length % 2 ? sample[mid] : (sample[mid - 1] + sample[mid]) / 2;
  return {
    medianMs: median * 1e3, meanMs: bench.stats.mean * 1e3, rme: bench.stats.rme,
    samples: sample.length,
  };
}

/** benchmark.js in deferred mode: `fn` returns a promise per call; times in milliseconds. */
export function timeAsync(name: string, fn: () => Promise<unknown>, minSamples: number,
  maxTime: number): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const bench = new Benchmark(name, {
      defer: true, minSamples, maxTime, initCount: 1,
      fn: (d: { resolve(): void }) => { fn().then(() => d.resolve(), reject); },
    });
    bench.on('complete', () => {
      if (bench.error) return reject(bench.error);
      const s = [...bench.stats.sample].sort((x, y) => x - y);
      const mid = s.length >> 1;
      const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
      resolve({ medianMs: median * 1e3, meanMs: bench.stats.mean * 1e3, rme: bench.stats.rme,
        samples: s.length });
    });
    bench.run({ async: true });
  });
}

/**
 * Interleaved rounds for the runners a suite's ratios compare. This VM's two cores are shared
 * with other guests, and for seconds to minutes at a time one of them runs SIMD code at about
 * 60% speed (measured: the wasm GEMM at 28 against 47 GFLOP/s on one core while the other
 * held 47, then both at 45–47). Contention only ever adds time, so each such runner is timed
 * once per round, the rounds minutes apart, and the best round's median is reported.
 */
export const ROUNDS = 3;

/**
 * One row per `key` (shape or layer, pass, runner): the round with the least median, with
 * every round's median in `roundsMs`. Rows without a median (skipped) are kept as they are.
 */
export function bestOfRounds<R extends { medianMs?: number }>(rows: R[], key: (r: R) => string):
  (R & { roundsMs?: number[] })[] {
  const groups = new Map<string, R[]>();
  for (const r of rows) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  return [...groups.values()].map((rs) => {
    const timed = rs.filter((r) => r.medianMs !== undefined);
    if (timed.length === 0) return rs[0];
    const best = timed.reduce((a, b) => ((b.medianMs ?? 0) < (a.medianMs ?? 0) ? b : a));
    return timed.length === 1 ? best : { ...best, roundsMs: timed.map((r) => r.medianMs ?? 0) };
  });
}

/** The machine a result file was measured on. */
export function machineInfo(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, node: process.version,
    v8: process.versions.v8, platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10, date: new Date().toISOString(),
  };
}

export { markdownTable } from '@dlrt/cli';

let recordTag = '';

/** Sets the tag of this run's records ('' for none; parseBenchArgs checks it). */
export function setRecordTag(tag: string): void {
  recordTag = tag;
}

/**
 * A record's file name without extension: the suite, '-relaxed' for the relaxed-SIMD build,
 * then '-' and the run's tag if it has one.
 * @example recordName('matmul', 'relaxed', 'xeon')   // 'matmul-relaxed-xeon'
 */
export function recordName(suite: string, flavor: string, tag: string): string {
  return [suite, flavor === 'relaxed' ? 'relaxed' : '', tag].filter(Boolean).join('-');
}

/**
 * Writes bench/results/<suite>.json and .md; returns their paths. Both name the wasm kernel
 * build that ran; a run on the relaxed-SIMD build (Node 20: `--experimental-wasm-relaxed-simd`)
 * writes <suite>-relaxed.json and .md, so it never replaces the plain-SIMD record, and a run
 * with `--tag NAME` adds -NAME, so a run on another machine keeps the committed records.
 */
export async function writeResults(suite: string, json: object, markdown: string):
Promise<string[]> {
  const dlrtWasm = await wasmBuild();
  const name = recordName(suite, dlrtWasm.flavor, recordTag);
  const md = dlrtWasm.flavor === 'relaxed'
    ? `${markdown}\n\nwasm kernels: the relaxed-SIMD build ` +
      `(Node flags: ${dlrtWasm.execArgv.join(' ')}).`
    : markdown;
  const dir = new URL('../results/', import.meta.url); // from bench/dist/
  mkdirSync(dir, { recursive: true });
  const jsonPath = new URL(`${name}.json`, dir), mdPath = new URL(`${name}.md`, dir);
  writeFileSync(jsonPath, `${JSON.stringify({ ...json, dlrtWasm }, null, 2)}\n`);
  writeFileSync(mdPath, md.endsWith('\n') ? md : `${md}\n`);
  return [jsonPath.pathname, mdPath.pathname];
}

/** The wasm backend's kernel build ('simd' or 'relaxed') and the Node flags of the run. */
export async function wasmBuild(): Promise<{ flavor: string; execArgv: string[] }> {
  const { compileKernels } = await import('@dlrt/backend-wasm');
  return { flavor: (await compileKernels()).flavor, execArgv: process.execArgv };
}

/** Formats a number with a fixed number of significant digits for tables. */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return '–';
  if (x === 0) return '0';
  const d = Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(x))));
  return x.toFixed(Math.min(d, 6));
}
