/**
 * mlp-reference: the abPSI/GeoLoRA MNIST reference code's MLP experiments (Kusch, Schotthöfer
 * & Walter, abPSI; Schotthöfer et al., GeoLoRA, ICLR 2025) on our 8,000/2,000 split, with
 * that code's settings: 784-500-500-10 and 784-500×4-10 (the last layer dense), plain SGD
 * lr 0.01, batch 64, 10 epochs, tolerance 0.01, initial rank 20, its rank cap ⌊r_max/2⌋ = 124
 * (r_max = ⌊min(n, m)/2⌋ − 1 = 249) and floor (a truncation below rank 10, or with no break,
 * keeps the rank before the step), its initialization (`--init abpsi-ref`), its input normalization
 * (x − 0.1307)/0.3081 and, for abPSI, its side (`--side input`) and step order
 * (`--dense-step first`); every training method, 10 seeds (runs take 10–60 s). mlp-authors
 * runs the authors' code itself on the same split.
 */
import { MATRIX_METHODS } from '@dlrt/layers';
import { curvesFigure } from './figures.js';
import {
  machineNote, markdownTable, pct, summarize, timeRatio, writeReport,
} from './summary.js';
import { type Run, runArgs } from './runs.js';

export const NAME = 'mlp-reference';

/** Seeds 0–2 first, 3–9 added to pin down the means (the 4-layer abPSI varies widely). */
const SEEDS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

const NETS = [{ id: '2x500', hidden: [500, 500] }, { id: '4x500', hidden: [500, 500, 500, 500] }];

export function runs(seeds: readonly number[] = SEEDS): Run[] {
  const base = { model: 'mlp', optimizer: 'sgd', lr: 0.01, batch: 64, epochs: 10, tol: 0.01,
    rank: 20, maxRank: 124, truncation: 'abpsi', init: 'abpsi-ref',
    normalize: [0.1307, 0.3081] as [number, number] } as const;
  return NETS.flatMap((net) => MATRIX_METHODS.flatMap((method) => seeds.map((seed) => ({
    id: `${net.id}-${method}-seed${seed}`, group: `${net.id} ${method}`,
    args: runArgs({ ...base, normalize: [...base.normalize], hidden: [...net.hidden], seed,
      method, ...(method === 'abpsi' ? { side: 'input', denseStep: 'first' } as const : {}) }),
  }))));
}

export function report(seeds: readonly number[] = SEEDS): void {
  const groups = summarize(NAME, runs(seeds));
  const tables = NETS.flatMap((net) => {
    const mine = groups.filter((g) => g.group.startsWith(`${net.id} `));
    const dense = mine.find((g) => g.group === `${net.id} dense`);
    const rows = mine.map((g) => [
      g.group.slice(net.id.length + 1), `${g.runs}/${g.planned}`,
      g.accuracy ? `${pct(g.accuracy.mean)} ± ${pct(g.accuracy.sd)}` : '–',
      g.trainLoss ? g.trainLoss.mean.toFixed(3) : '–', g.ranks,
      g.compression ? pct(g.compression.mean) : '–',
      g.secondsPerEpoch ? g.secondsPerEpoch.toFixed(1) : '–', timeRatio(g, dense),
    ]);
    // abPSI's and GeoLoRA's first seed over the epochs: loss, accuracy and every layer's rank.
    const figure = curvesFigure(`${NAME}-${net.id}-curves.svg`, NAME, runs(seeds.slice(0, 1))
      .filter((r) => [`${net.id} abpsi`, `${net.id} geolora`].includes(r.group)),
    `784-${net.hidden.join('-')}-10, seed ${seeds[0]}`);
    return [`## 784-${net.hidden.join('-')}-10`, '',
      markdownTable(['method', 'runs', 'test acc % (mean ± sd)', 'train loss', 'ranks',
        'compression %', 's/epoch', '× dense'], rows), '',
      ...(figure ? [`![${figure}](${figure})`, ''] : [])];
  });
  const md = [
    '# The abPSI/GeoLoRA reference code\'s MLP experiments', '',
    'MNIST 8,000/2,000 split; the reference code\'s settings: plain SGD lr 0.01, batch ' +
      '64, 10 epochs, relative tolerance 0.01, initial rank 20 for every low-rank hidden ' +
      'layer (the last layer dense), rank cap 124 (⌊r_max/2⌋, r_max = ⌊min(n, m)/2⌋ − 1) ' +
      'and its floor (`--truncation abpsi`: a truncation below rank 10, or one that finds ' +
      'no break, keeps the rank before the step), its initialization (`--init abpsi-ref`: ' +
      'dense weights and all biases N(0, 1), an r×r core of N(0, 1) entries), input ' +
      'normalization (x − 0.1307)/0.3081 and, for abPSI, its side (`--side input`: the ' +
      'update projects G on the input side) and step order (`--dense-step first`: the dense ' +
      'layer steps right after the first pass); seeds ' +
      `${seeds.join(', ')}. Regenerate with \`pnpm experiment ${NAME}\`.`, '',
    'Final test accuracy (mean ± sample sd over the seeds), mean training loss of the last ' +
      'epoch, ranks of the hidden layers per run, compression against the dense model ' +
      '(biases included), and mean training seconds per epoch on one thread.', '',
    ...tables, ...machineNote(groups), ...groups.flatMap((g) => g.notes),
  ].join('\n');
  writeReport(NAME, md, groups);
}
