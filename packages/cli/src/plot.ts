/**
 * `dlrt plot RUN.json… -o FILE.svg`: the training loss, the test accuracy and every factorized
 * layer's rank over the epochs of one or more run records, overlaid, with a legend, as one
 * standalone SVG (three panels; no browser needed).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { EpochLog } from '@dlrt/layers';
import { atomicWriter } from '@dlrt/layers/node';
import { UsageError } from './options.js';
import { lineChart, type Series } from './svg-chart.js';

export interface PlotArgs {
  runs: string[];
  out: string;
  /** The figure's title (default: the runs' file names). */
  title?: string;
}

/** Panel size; the figure stacks three. */
const W = 720;
const H = 320;

/** `dlrt plot` arguments: run files, then -o/--out FILE (and --title T). */
export function parsePlotArgs(argv: readonly string[]): PlotArgs {
  const runs: string[] = [];
  let out: string | undefined;
  let title: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-o' || a === '--out' || a === '--title') {
      const v = argv[++i];
      if (v === undefined || v.trim() === '') throw new UsageError(`${a}: expected a value`);
      if (a === '--title') title = v;
      else out = v;
    } else if (a.startsWith('-')) {
      throw new UsageError(`dlrt plot: unknown option '${a}'`);
    } else {
      runs.push(a);
    }
  }
  if (runs.length === 0) throw new UsageError('dlrt plot: give at least one run record (JSON)');
  if (!out) throw new UsageError('dlrt plot: -o FILE.svg is required');
  if (!out.endsWith('.svg')) throw new UsageError(`-o ${out}: the figure is SVG; name it *.svg`);
  return { runs, out, title };
}

/** A run record's epochs, checked; errors name the file. */
function readEpochs(path: string): EpochLog[] {
  let rec: { epochs?: unknown };
  try {
    rec = JSON.parse(readFileSync(path, 'utf8')) as { epochs?: unknown };
  } catch (e) {
    throw new Error(`dlrt plot: ${path}: ${(e as Error).message}`);
  }
  const epochs = rec.epochs;
  if (!Array.isArray(epochs) || epochs.length === 0 ||
    !epochs.every((e) => typeof e === 'object' && e !== null && Number.isFinite(e.epoch))) {
    throw new Error(`dlrt plot: ${path} is not a run record with epochs (a dlrt train --json ` +
      'file)');
  }
  return epochs as EpochLog[];
}

/** The three panels of `runs` ([label, epochs]) as one SVG document. */
export function plotRuns(runs: readonly [string, EpochLog[]][], title: string): string {
  const x = (ep: EpochLog[]) => ep.map((e) => e.epoch);
  const loss: Series[] = runs.map(([label, ep]) => ({ label, x: x(ep), y: ep.map((e) => e.loss) }));
  const acc: Series[] = runs.flatMap(([label, ep]) => {
    const kept = ep.filter((e) => e.testAccuracy !== null);
    return kept.length ? [{ label, x: x(kept), y: kept.map((e) => 100 * e.testAccuracy!) }] : [];
  });
  // One line per layer and basis (a Tucker layer's ranks are one number per basis).
  const ranks: Series[] = runs.flatMap(([label, ep]) => {
    const layers = Object.keys(ep[ep.length - 1].ranks ?? {});
    return layers.flatMap((layer) => {
      const width = [ep[ep.length - 1].ranks[layer]].flat().length;
      return Array.from({ length: width }, (_, i) => ({
        label: `${label} · ${layer}${width > 1 ? `[${i}]` : ''}`,
        x: x(ep), y: ep.map((e) => [e.ranks[layer]].flat()[i] as number),
      }));
    });
  });
  const panels = [
    lineChart(loss, { title: `${title}: training loss`, xLabel: 'epoch', yLabel: 'loss',
      yScale: loss.every((s) => s.y.every((v) => v > 0)) ? 'log' : 'linear', width: W,
      height: H }),
    acc.length ? lineChart(acc, { title: 'test accuracy', xLabel: 'epoch', yLabel: '%', width: W,
      height: H }) : null,
    ranks.length ? lineChart(ranks, { title: 'ranks', xLabel: 'epoch', yLabel: 'rank', width: W,
      height: H }) : null,
  ].filter((p): p is string => p !== null);
  const inner = panels.map((p, i) => p.replace('<svg ', `<svg y="${i * H}" `));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H * panels.length}" ` +
    `viewBox="0 0 ${W} ${H * panels.length}">\n${inner.join('')}</svg>\n`;
}

/** Reads the runs, draws them and writes the figure atomically; returns the panels drawn. */
export function plot(a: PlotArgs, log: (line: string) => void): void {
  const write = atomicWriter(a.out, 'dlrt plot');
  const runs = a.runs.map((p) => [basename(p, '.json'), readEpochs(p)] as [string, EpochLog[]]);
  const svg = plotRuns(runs, a.title ?? runs.map(([l]) => l).join(', '));
  write(() => svg);
  log(`dlrt plot: ${runs.length} run${runs.length === 1 ? '' : 's'} → ${a.out}`);
}
