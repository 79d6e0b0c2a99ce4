/** The live plots: loss per step, test accuracy, and each layer's rank, as SVG. */
import { lineChart, type Series } from '@dlrt/cli/svg-chart';

/** What a run has reported so far. */
export interface Curves {
  steps: number[];
  losses: number[];
  evalSteps: number[];
  accuracies: number[];
  /** Each layer's rank per step (the first basis's rank for a Tucker layer). */
  ranks: Map<string, number[]>;
}

export function emptyCurves(): Curves {
  return { steps: [], losses: [], evalSteps: [], accuracies: [], ranks: new Map() };
}

const SIZE = { width: 360, height: 260 };

function draw(el: HTMLElement, series: Series[], title: string, yLabel: string): void {
  if (series.length === 0 || series.some((s) => s.x.length === 0)) return;
  el.innerHTML = lineChart(series, { title, xLabel: 'step', yLabel, ...SIZE });
}

/** Redraws the three plots into `els` from `c`. */
export function drawCurves(c: Curves, els: { loss: HTMLElement; accuracy: HTMLElement;
  ranks: HTMLElement }): void {
  draw(els.loss, [{ label: 'training loss', x: c.steps, y: c.losses }], 'Loss', 'cross-entropy');
  draw(els.accuracy, [{ label: 'test accuracy', x: c.evalSteps,
    y: c.accuracies.map((a) => 100 * a) }], 'Test accuracy', '%');
  draw(els.ranks, [...c.ranks].map(([label, y]) => ({ label, x: c.steps.slice(-y.length), y })),
    'Ranks', 'rank');
}
