/**
 * Experiment runs: each run is one `dlrt train` whose JSON lands in
 * docs/results/runs/<experiment>/<id>.json. A run whose file already holds every epoch is
 * skipped, so a long sweep can be resumed (or split across machines) and summarized later.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { EpochLog } from '@dlrt/layers';
import { DEFAULTS, train, type TrainArgs } from '../train.js';

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
}

/** docs/results/ of the repository (from packages/cli/dist/experiments/). */
export const RESULTS = new URL('../../../../docs/results/', import.meta.url);

export function runPath(experiment: string, id: string): URL {
  return new URL(`runs/${experiment}/${id}.json`, RESULTS);
}

export function readRun(experiment: string, id: string): RunRecord | null {
  const p = runPath(experiment, id);
  if (!existsSync(p)) return null;
  return JSON.parse(readFileSync(p, 'utf8')) as RunRecord;
}

/** Arguments of a run: the defaults with `over`, no progress bar. */
export function runArgs(over: Partial<TrainArgs>): TrainArgs {
  return { ...DEFAULTS, progress: 'none', ...over };
}

/** Trains every run that has no complete record yet; `filter` keeps ids containing it. */
export async function runAll(experiment: string, runs: readonly Run[], filter?: string):
  Promise<void> {
  mkdirSync(new URL(`runs/${experiment}/`, RESULTS), { recursive: true });
  for (const run of runs) {
    if (filter && !run.id.includes(filter)) continue;
    const done = readRun(experiment, run.id);
    if (done && done.epochs.length >= run.args.epochs) {
      console.log(`${experiment}/${run.id}: done (${done.epochs.length} epochs), skipped`);
      continue;
    }
    console.log(`\n== ${experiment}/${run.id}`);
    await train({ ...run.args, json: runPath(experiment, run.id).pathname },
      (line) => console.log(line),
      { command: `pnpm experiment ${experiment} --seeds ${run.args.seed} --only ${run.id}` });
  }
}

/** Mean and sample standard deviation. */
export function meanSd(xs: readonly number[]): { mean: number; sd: number } {
  const mean = xs.reduce((s, x) => s + x, 0) / Math.max(xs.length, 1);
  const sd = xs.length > 1
    ? Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd };
}
