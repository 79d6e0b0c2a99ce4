/**
 * The figures experiment reports share: accuracy against compression (one line per method, a
 * band of ± one sd over seeds, the dense accuracy as a level line), and the epoch curves of
 * chosen runs (`dlrt plot`'s three panels: loss, accuracy, ranks). Written beside the reports in
 * docs/results/.
 */
import { writeFileSync } from 'node:fs';
import { plotRuns } from '@dlrt/cli';
import { lineChart, type Series } from '@dlrt/cli/svg-chart';
import { readRun, RESULTS, type Run } from './runs.js';

/** A setting's mean compression and accuracy (both fractions) and the accuracy's sd. */
export interface SweepPoint { compression: number; accuracy: number; sd: number }

/**
 * Writes `${file}` with one line per method through its settings (in percent, sorted by
 * compression) and, given `dense`, a level line at the dense accuracy. Returns the file's name,
 * or null when no method has a point.
 */
export function accuracyFigure(file: string, methods: readonly [string, SweepPoint[]][],
  dense: number | null, title: string, xLabel = 'compression %'): string | null {
  const lines: Series[] = methods.filter(([, p]) => p.length > 0).map(([label, p]) => {
    const s = [...p].sort((a, b) => a.compression - b.compression);
    return { label, x: s.map((q) => 100 * q.compression), y: s.map((q) => 100 * q.accuracy),
      band: s.map((q) => 100 * q.sd) };
  });
  if (lines.length === 0) return null;
  if (dense !== null) {
    const xs = lines.flatMap((s) => s.x);
    lines.push({ label: 'dense', x: [Math.min(...xs), Math.max(...xs)],
      y: [100 * dense, 100 * dense] });
  }
  writeFileSync(new URL(file, RESULTS), lineChart(lines, { title, xLabel,
    yLabel: 'test accuracy %' }));
  return file;
}

/** Writes `${file}`: loss, accuracy and ranks over the epochs of `runs` (finished or not). */
export function curvesFigure(file: string, experiment: string, runs: readonly Run[],
  title: string): string | null {
  const found = runs.flatMap((r) => {
    const rec = readRun(experiment, r.id);
    return rec && rec.epochs.length > 0 ? [[r.group, rec.epochs] as [string, typeof rec.epochs]]
      : [];
  });
  if (found.length === 0) return null;
  writeFileSync(new URL(file, RESULTS), plotRuns(found, title));
  return file;
}
