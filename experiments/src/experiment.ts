#!/usr/bin/env node
/**
 * `pnpm experiment <name> [--seeds 0,1,2] [--only <id part>] [--report]`: trains the runs of an
 * experiment that are not finished yet, then writes its table to docs/results/<name>.md.
 * (init-ranks trains nothing: it only draws models.)
 * --report only rebuilds the table from the runs on disk.
 */
import { parseArgs } from 'node:util';
import { sweep } from './lenet5-sweep.js';
import * as initRanks from './init-ranks.js';
import * as finetune from './finetune.js';
import * as mlpInit from './mlp-init.js';
import * as mlpIntegrators from './mlp-integrators.js';
import * as mlpReference from './mlp-reference.js';
import * as mlpAuthors from './mlp-authors.js';
import * as tuckerConv from './tucker-conv.js';
import * as attention from './attention.js';
import { runAll } from './runs.js';

interface Experiment {
  NAME: string;
  runs(seeds?: readonly number[]): import('./runs.js').Run[];
  /** Runs what is not done yet, where `runAll` over `runs()` does not fit; returns failures. */
  run?(seeds?: readonly number[], only?: string): Promise<string[]>;
  report(seeds?: readonly number[]): void | Promise<void>;
}

const EXPERIMENTS: Record<string, Experiment> = Object.fromEntries(
  [sweep('lenet5-sweep', { init: 'uniform', standardize: false }),
    sweep('lenet5-sweep-he', { init: 'he', standardize: false }),
    sweep('lenet5-sweep-he-std', { init: 'he', standardize: true }),
    sweep('lenet5-sweep-orth', { init: 'orthogonal', standardize: false }),
    sweep('lenet5-sweep-he-std-lin', { init: 'he', standardize: true, outputGain: 'linear' }),
    sweep('lenet5-sweep-std', { init: 'uniform', standardize: true, thetas: [0.11] }),
    sweep('lenet5-sweep-dlrt-net', { init: 'dlrt-net', standardize: false, thetas: [0.11, 0.2],
      dense: false }),
    sweep('lenet5-sweep-dlrt-net-2022', { init: 'dlrt-net', standardize: false, thetas: [0.11],
      truncation: '2022', dense: false }),
    sweep('lenet5-sweep-dlrt-net-std', { init: 'dlrt-net', standardize: true,
      thetas: [0.11, 0.2], dense: false }),
    sweep('lenet5-sweep-he-std-val', { init: 'he', standardize: true, validation: 1000,
      thetas: [0.11, 0.2] }),
    sweep('lenet5-full', { init: 'dlrt-net', standardize: false, data: 'mnist-full',
      validation: 10000, thetas: [0.11, 0.2] }),
    mlpIntegrators, mlpReference, mlpAuthors, mlpInit, finetune, initRanks, tuckerConv, attention]
    .map((e) => [e.NAME, e]));

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: {
    seeds: { type: 'string' }, only: { type: 'string' }, report: { type: 'boolean' } } });
  const names = Object.keys(EXPERIMENTS);
  if (positionals.length !== 1 || !(positionals[0] in EXPERIMENTS)) {
    console.error(`usage: pnpm experiment ${names.join('|')} [--seeds 0,1,2] [--only ID] ` +
      '[--report]');
    return 2;
  }
  const exp = EXPERIMENTS[positionals[0]];
  const seeds = values.seeds?.split(',').map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n)) throw new Error(`--seeds: expected integers, got '${s}'`);
    return n;
  });
  const runs = exp.runs(seeds);
  const failed = values.report ? [] : exp.run ? await exp.run(seeds, values.only)
    : runs.length > 0 ? await runAll(exp.NAME, runs, values.only) : [];
  await exp.report(seeds);
  if (failed.length > 0) console.error(`experiment: ${failed.length} runs failed: ${failed}`);
  return failed.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
  console.error(`experiment: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
