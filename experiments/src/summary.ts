/** Tables of experiment runs: one row per group, mean ± sd over its finished seeds. */
import { writeFileSync } from 'node:fs';
import { bestValidationEpoch } from '@dlrt/layers';
import { meanSd, readRun, RESULTS, type Run } from './runs.js';

export { markdownTable } from '@dlrt/cli';

export interface GroupSummary {
  group: string;
  runs: number;
  planned: number;
  /** Epochs of the finished runs (a range when they differ). */
  epochs: string;
  accuracy: { mean: number; sd: number } | null;
  /** Test accuracy averaged over each run's last three epochs (less noisy than the last). */
  lastThree: { mean: number; sd: number } | null;
  /**
   * With a validation hold-out: test accuracy and compression at each run's epoch of lowest
   * validation loss (the reference code's selection), and those epochs in run order.
   */
  selected: { accuracy: { mean: number; sd: number }; compression: { mean: number; sd: number };
    epochs: number[]; ranks: number[][] } | null;
  /** Mean training loss of the last epoch (tells under-training from over-fitting). */
  trainLoss: { mean: number; sd: number } | null;
  compression: { mean: number; sd: number } | null;
  /** Ranks of each finished run in run order, e.g. "[10, 20, 48] · [9, 18, 50]". */
  ranks: string;
  /** Mean parameter count of the finished runs. */
  parameters: string;
  secondsPerEpoch: number | null;
  /** CPU models of the finished runs, distinct, in run order. */
  machines: string[];
  /** Machines and partial runs worth a footnote. */
  notes: string[];
}

export function summarize(experiment: string, runs: readonly Run[]): GroupSummary[] {
  const groups = [...new Set(runs.map((r) => r.group))];
  return groups.map((group) => {
    const planned = runs.filter((r) => r.group === group);
    const records = planned.map((r) => ({ run: r, rec: readRun(experiment, r.id) }))
      .filter((x) => x.rec && x.rec.epochs.length > 0);
    const finished = records.filter((x) => x.rec!.epochs.length >= x.run.args.epochs);
    const last = finished.map((x) => x.rec!.epochs[x.rec!.epochs.length - 1]);
    const notes = [
      ...records.filter((x) => x.rec!.epochs.length < x.run.args.epochs && !x.rec!.error)
        .map((x) => `Unfinished: ${x.run.id} stopped after ${x.rec!.epochs.length} of ` +
          `${x.run.args.epochs} epochs (test acc ` +
          `${pct(x.rec!.epochs.at(-1)!.testAccuracy ?? 0)}%).`),
      ...planned.map((r) => ({ run: r, rec: readRun(experiment, r.id) }))
        .filter((x) => x.rec?.error)
        .map((x) => `Failed: ${x.run.id} after ${x.rec!.epochs.length} epochs: ${x.rec!.error}`),
    ];
    const allEpochs = finished.flatMap((x) => x.rec!.epochs);
    const validated = finished.length > 0 &&
      finished.every((x) => x.rec!.epochs.every((e) => e.validationLoss != null));
    const best = validated ? finished.map((x) => bestValidationEpoch(x.rec!.epochs)) : [];
    return {
      group, runs: finished.length, planned: planned.length,
      epochs: finished.length
        ? [...new Set(finished.map((x) => x.rec!.epochs.length))].join('/') : '–',
      accuracy: last.length ? meanSd(last.map((e) => e.testAccuracy ?? NaN)) : null,
      lastThree: last.length ? meanSd(finished.map((x) => {
        const tail = x.rec!.epochs.slice(-3);
        return tail.reduce((a, e) => a + (e.testAccuracy ?? NaN), 0) / tail.length;
      })) : null,
      selected: best.length ? {
        accuracy: meanSd(best.map((e) => e.testAccuracy ?? NaN)),
        compression: meanSd(best.map((e) => e.compression)), epochs: best.map((e) => e.epoch),
        ranks: best.map((e) => Object.values(e.ranks).map(Number)),
      } : null,
      trainLoss: last.length ? meanSd(last.map((e) => e.loss)) : null,
      compression: last.length ? meanSd(last.map((e) => e.compression ?? 0)) : null,
      ranks: last.some((e) => Object.keys(e.ranks).length > 0)
        ? last.map((e) => `[${Object.values(e.ranks).join(', ')}]`).join(' · ') : '–',
      parameters: last.length ? Math.round(meanSd(last.map((e) => e.parameters)).mean)
        .toLocaleString('en') : '–',
      secondsPerEpoch: allEpochs.length
        ? allEpochs.reduce((s, e) => s + e.seconds, 0) / allEpochs.length : null,
      machines: [...new Set(finished.map((x) => String(x.rec!.machine?.cpu ?? 'unknown CPU')))],
      notes,
    };
  });
}

/** 0.9725 → "97.25". */
export function pct(x: number): string {
  return (100 * x).toFixed(2);
}

/** a / b to two decimals, or '–'. */
export function ratio(a: number | null | undefined, b: number | null | undefined): string {
  return a && b ? (a / b).toFixed(2) : '–';
}

/**
 * s/epoch of a group over the baseline's, only when both ran on the same single CPU model
 * (runs of one sweep may come from different machines; a cross-machine ratio means little).
 */
export function timeRatio(g: GroupSummary, base: GroupSummary | undefined): string {
  if (!base || g.machines.length !== 1 || base.machines.length !== 1) return '–';
  return g.machines[0] === base.machines[0] ? ratio(g.secondsPerEpoch, base.secondsPerEpoch) : '–';
}

/** A note naming each group's CPU, when the runs of a table come from more than one. */
export function machineNote(groups: readonly GroupSummary[]): string[] {
  const all = new Set(groups.flatMap((g) => g.machines));
  if (all.size <= 1) return [];
  const by = [...all].map((cpu) => `${cpu}: ${groups.filter((g) => g.machines.includes(cpu))
    .map((g) => g.group).join(', ')}`);
  return [`Runs come from more than one machine (${by.join('; ')}), so s/epoch compares ` +
    'loosely across them and "× dense" is given only where a row and dense ran on the same ' +
    'CPU model.'];
}

/** Writes docs/results/<name>.md and .json (the sweep's groups, or `data`) and prints the table. */
export function writeReport(name: string, md: string,
  data: GroupSummary[] | Record<string, unknown>): void {
  const body = Array.isArray(data) ? { groups: data } : data;
  writeFileSync(new URL(`${name}.md`, RESULTS), `${md}\n`);
  writeFileSync(new URL(`${name}.json`, RESULTS),
    `${JSON.stringify({ experiment: name, ...body }, null, 2)}\n`);
  console.log(`\n${md}`);
}
