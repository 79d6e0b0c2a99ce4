/**
 * Experiment runs: each run is one `dlrt train` whose JSON lands in
 * docs/results/runs/<experiment>/<id>.json. A run whose file already holds every epoch is
 * skipped, so a long sweep can be resumed (or split across machines) and summarized later.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { runRecordWriter } from '@dlrt/layers/node';
import type { EpochLog } from '@dlrt/layers';
import { DEFAULTS, train, type TrainArgs } from '@dlrt/cli';

/** One training run of an experiment. */
export interface Run {
  id: string;
  /** The table row it belongs to (runs with different seeds share a group). */
  group: string;
  args: TrainArgs;
}

/** A run's JSON as the Trainer writes it. */
export interface RunRecord {
  args: TrainArgs;
  epochs: EpochLog[];
  machine?: Record<string, unknown>;
  date?: string;
  command?: string;
  /** Why the run stopped, when it failed (a NaN loss); such a run is not retried. */
  error?: string;
}

/** docs/results/ of the repository (from experiments/src/ or experiments/dist/). */
export const RESULTS = new URL('../../docs/results/', import.meta.url);

export function runPath(experiment: string, id: string): URL {
  return new URL(`runs/${experiment}/${id}.json`, RESULTS);
}

/** A run's record, or null when it has none (`T`: its shape; a `dlrt train` record by default). */
export function readRun<T = RunRecord>(experiment: string, id: string): T | null {
  const p = runPath(experiment, id);
  if (!existsSync(p)) return null;
  return JSON.parse(readFileSync(p, 'utf8')) as T;
}

/** Arguments of a run: the defaults with `over`, no progress bar. */
export function runArgs(over: Partial<TrainArgs>): TrainArgs {
  return { ...DEFAULTS, progress: 'none', ...over };
}

/**
 * Trains every run that has no complete record yet; `filter` keeps ids containing it. A run
 * that stops on a non-finite loss gets a record with its error and is not retried (its
 * arithmetic is deterministic); the others go on. Returns the ids of the failed runs.
 */
export async function runAll(experiment: string, runs: readonly Run[], filter?: string):
  Promise<string[]> {
  mkdirSync(new URL(`runs/${experiment}/`, RESULTS), { recursive: true });
  const failed: string[] = [];
  for (const run of runs) {
    if (filter && !run.id.includes(filter)) continue;
    const done = readRun(experiment, run.id);
    if (done?.error) {
      console.log(`${experiment}/${run.id}: failed before (${done.error}), skipped`);
      failed.push(run.id);
      continue;
    }
    if (done && done.epochs.length >= run.args.epochs) {
      console.log(`${experiment}/${run.id}: done (${done.epochs.length} epochs), skipped`);
      continue;
    }
    console.log(`\n== ${experiment}/${run.id}`);
    // Plain-SGD runs checkpoint every epoch (beside the record, not committed), so an
    // interrupted run resumes where it stopped.
    const json = runPath(experiment, run.id).pathname;
    const stateless = run.args.optimizer === 'sgd' && run.args.momentum === 0;
    const checkpoint = stateless ? `${json}.ckpt` : undefined;
    const command = `pnpm experiment ${experiment} --seeds ${run.args.seed} --only ${run.id}`;
    try {
      await train({ ...run.args, json, checkpoint }, (line) => console.log(line), { command });
    } catch (e) {
      const message = (e as Error).message;
      if (!/loss is (NaN|-?Infinity)/.test(message)) throw e;
      console.log(`${experiment}/${run.id}: ${message}`);
      const rec = readRun(experiment, run.id);
      runRecordWriter(json, { meta: { command, args: { ...run.args }, error: message } })(
        rec?.epochs ?? []);
      failed.push(run.id);
    }
    if (checkpoint) rmSync(checkpoint, { force: true });
  }
  return failed;
}

/** Mean and sample standard deviation. */
export function meanSd(xs: readonly number[]): { mean: number; sd: number } {
  const mean = xs.reduce((s, x) => s + x, 0) / Math.max(xs.length, 1);
  const sd = xs.length > 1
    ? Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd };
}
