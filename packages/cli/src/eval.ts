/**
 * `dlrt eval --from FILE [--json F]`: the test accuracy of a model saved by `dlrt train --save`
 * (or `--checkpoint`). The file's metadata holds the run's arguments, so the model, its data
 * split and its pixel mapping are rebuilt as the run had them; the weights load at their ranks.
 */
import os from 'node:os';
import { basename } from 'node:path';
import { closeBackends } from '@dlrt/core';
import { evaluate, factorizedParts, parameterCounts } from '@dlrt/layers';
import { atomicWriter } from '@dlrt/layers/node';
import { savedModel, savedRun } from './saved.js';
import { describe, loadData, startBackend, type TrainArgs } from './train.js';

/** What `dlrt eval` takes. */
export interface EvalArgs {
  /** The model file. */
  from: string;
  /** Where the JSON result goes (none: only printed). */
  json?: string;
  backend: string;
  threads: number;
}

/** What `dlrt eval` reports (and writes with --json). */
export interface EvalResult {
  /** The file's name (not its path: records hold no machine's paths). */
  from: string;
  testAccuracy: number;
  testLoss: number;
  digits: number;
  ranks: Record<string, number | readonly number[]>;
  parameters: number;
  compression: number;
}

/** Evaluates the file `e.from` names; logs one line and returns the result. */
export async function evalFile(e: EvalArgs, log: (line: string) => void): Promise<EvalResult> {
  const saved = savedRun(e.from, 'dlrt eval');
  const args: TrainArgs = { ...saved.args, backend: e.backend, threads: e.threads };
  const write = e.json === undefined ? undefined : atomicWriter(e.json, '--json');
  let model;
  try {
    const ran = describe(await startBackend(args));
    model = savedModel(args, saved.file, e.from);
    const data = loadData(args);
    const { accuracy, loss } = evaluate(model, data.test);
    const counts = parameterCounts(model);
    const result: EvalResult = {
      from: basename(e.from), testAccuracy: accuracy, testLoss: loss, digits: data.test.count,
      ranks: Object.fromEntries(factorizedParts(model).layers.map((l, i) => [i, l.rank])),
      parameters: counts.parameters, compression: counts.compression,
    };
    const ranks = Object.values(result.ranks);
    log(`${basename(e.from)}: test accuracy ${(100 * accuracy).toFixed(2)}% on ` +
      `${data.test.count} digits, loss ${loss.toFixed(4)}` +
      (ranks.length ? `, ranks [${ranks.join(', ')}], ${counts.parameters.toLocaleString('en')} ` +
        `parameters (${(100 * counts.compression).toFixed(1)}% compression)` : ''));
    write?.(() => JSON.stringify({ command: 'dlrt eval', ...result, args: saved.args,
      backend: ran,
      machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version },
      date: new Date().toISOString() }, null, 2));
    return result;
  } finally {
    model?.dispose();
    await closeBackends();
  }
}
