/**
 * init-ranks: how much of the LeNet5 sweeps' final ranks the initialization alone decides.
 * For each init law and θ it draws the LeNet5 that `dlrt train --seed s` draws and truncates
 * each low-rank layer's initial core by θ again and again, as RankAdaptiveBUG steps with a zero
 * gradient would, until the rank stops changing. No data is seen. The tables set these ranks
 * beside the ones the sweeps' trained runs end at, and show how the compression they give
 * spreads over 60 seeds.
 */
import {
  dispose, Rng, setBackend, truncateFactors, truncationRank, type TruncationRule,
} from '@dlrt/core';
import {
  factorizedParts, LowRankLayer, type Module, parameterCounts, ruleFor, type TruncationOptions,
  type WeightInit,
} from '@dlrt/layers';
import { drawModel } from '@dlrt/cli';
import { THETAS } from './lenet5-sweep.js';
import { meanSd, readRun, runArgs } from './runs.js';
import { markdownTable, pct, writeReport } from './summary.js';

export const NAME = 'init-ranks';

/** Each init law with the sweep whose trained runs it is compared to. */
const INITS: { init: WeightInit; sweep: string }[] = [
  { init: 'uniform', sweep: 'lenet5-sweep' },
  { init: 'he', sweep: 'lenet5-sweep-he' },
  { init: 'dlrt-net', sweep: 'lenet5-sweep-dlrt-net' },
];

/** The compression targets, by θ. */
const TARGETS: [number, number][] = [[0.11, 0.8], [0.2, 0.92]];
const SPREAD_SEEDS = Array.from({ length: 60 }, (_, i) => i);

/**
 * The rank at which repeated truncation of the descending values `sigma` by `rule` stops:
 * each round sees the kept values and, as a step with a zero gradient would, as many zeros.
 */
export function settledRank(sigma: readonly number[], rule: TruncationRule): number {
  let r = sigma.length;
  for (;;) {
    const augmented = [...sigma.slice(0, r), ...new Array<number>(r).fill(0)];
    const next = truncationRank(augmented, rule, { previousRank: r });
    if (next >= r) return r;
    r = next;
  }
}

/** Truncates every low-rank layer of `model` to its settled rank under `o`; returns the ranks. */
export function settle(model: Module, o: TruncationOptions): number[] {
  const layers = factorizedParts(model).layers.filter((l) => l instanceof LowRankLayer);
  return layers.map((layer) => {
    const all = truncateFactors(layer, { kind: 'rank', rank: layer.rank });
    dispose([all.U, all.S, all.V]);
    const rank = settledRank(all.truncation.kept, ruleFor(o, layer));
    const next = truncateFactors(layer, { kind: 'rank', rank });
    layer.rebase({ core: next.S, bases: [next.U, next.V] });
    return rank;
  });
}

/** The settled ranks and compression of the LeNet5 `dlrt train` draws for `init` and `seed`. */
export function settledLeNet5(init: WeightInit, seed: number, tol: number):
  { ranks: number[]; compression: number } {
  const a = runArgs({ model: 'lenet5', method: 'bug', init, seed, tol });
  const model = drawModel(a, new Rng(seed));
  try {
    const ranks = settle(model, { tol });
    return { ranks, compression: parameterCounts(model).compression };
  } finally {
    model.dispose();
  }
}

const list = (ranks: readonly number[][]) => ranks.map((r) => `[${r.join(', ')}]`).join(' · ');

export function runs(): [] {
  return [];
}

export async function report(seeds: readonly number[] = [0, 1, 2]): Promise<void> {
  await setBackend('cpu', { threads: 1 });
  const compared = INITS.flatMap(({ init, sweep }) => THETAS.map((tol) => {
    const drawn = seeds.map((seed) => settledLeNet5(init, seed, tol));
    const trained = seeds.map((seed) => readRun(sweep, `bug-theta${tol}-seed${seed}`))
      .filter((rec) => rec && rec.epochs.length >= rec.args.epochs)
      .map((rec) => rec!.epochs.at(-1)!);
    return {
      init, tol, sweep, settled: drawn.map((d) => d.ranks),
      settledCompression: meanSd(drawn.map((d) => d.compression)).mean,
      trained: trained.map((e) => Object.values(e.ranks) as number[]),   // matrix layers
      trainedCompression: trained.length ? meanSd(trained.map((e) => e.compression)).mean : null,
    };
  }));
  const spread = INITS.flatMap(({ init }) => TARGETS.map(([tol, target]) => {
    const drawn = SPREAD_SEEDS.map((seed) => settledLeNet5(init, seed, tol));
    const c = drawn.map((d) => d.compression);
    const ranks = drawn.map((d) => d.ranks);                // every seed's, in seed order
    const layers = ranks[0].map((_, l) => ranks.map((r) => r[l]));
    const triples = Array.from({ length: c.length / 3 },
      (_, k) => meanSd(c.slice(3 * k, 3 * k + 3)).mean);
    return { init, tol, target, ...meanSd(c), min: Math.min(...c), max: Math.max(...c),
      seedsMeeting: c.filter((x) => x >= target).length,
      triplesMeeting: triples.filter((x) => x >= target).length, triples: triples.length,
      rankRanges: layers.map((v) => ({ min: Math.min(...v), max: Math.max(...v),
        mean: meanSd(v).mean })), ranks };
  }));
  const md = [
    '# Ranks the initialization decides: LeNet5 before any data', '',
    'Each row draws the LeNet5 that `dlrt train --model lenet5 --method bug --init <init> ' +
      '--seed <s>` draws (every low-rank layer at its cap [10, 25, 250]) and truncates each ' +
      'low-rank layer\'s initial core by θ (T-std, relative) again and again, as ' +
      'RankAdaptiveBUG steps with a zero gradient would, until the rank stops changing. ' +
      '"Settled" ranks are where that ends, for seeds ' + seeds.join(', ') + '; "trained" ' +
      'ranks are where the sweep\'s runs (`docs/results/runs/<sweep>/`) end after 20 epochs. ' +
      'Compression counts as the sweeps do (r(n + m) + r² per low-rank layer, plus biases and ' +
      `the dense classifier, against 431,080). Regenerate with \`pnpm experiment ${NAME}\` ` +
      '(about a minute; no training).', '',
    markdownTable(['init', 'θ', 'settled ranks per seed', 'compression %',
      'trained ranks per seed (sweep)', 'compression %'], compared.map((r) => [
      r.init, String(r.tol), list(r.settled), pct(r.settledCompression),
      r.trained.length ? `${list(r.trained)} (${r.sweep})` : `– (${r.sweep})`,
      r.trainedCompression === null ? '–' : pct(r.trainedCompression)])), '',
    `Settled compression over seeds 0–${SPREAD_SEEDS.length - 1} at the issue's two ` +
      'targets: mean ± sd and range over the seeds, how many seeds reach the target, and how ' +
      `many of the ${SPREAD_SEEDS.length / 3} seed triples (0–2, 3–5, …) reach it with their ` +
      'mean, as a 3-seed sweep would report it; and each layer\'s settled rank over the seeds ' +
      '(range, mean; every seed\'s ranks are in the JSON).', '',
    markdownTable(['init', 'θ', 'target', 'compression %', 'range %',
      'seeds reaching it', 'triples reaching it', 'settled ranks [conv1, conv2, fc1]'],
    spread.map((s) => [
      s.init, String(s.tol), `≥ ${pct(s.target)}`, `${pct(s.mean)} ± ${pct(s.sd)}`,
      `${pct(s.min)}–${pct(s.max)}`, `${s.seedsMeeting}/${SPREAD_SEEDS.length}`,
      `${s.triplesMeeting}/${s.triples}`, s.rankRanges.map((r) =>
        `${r.min}–${r.max} (${r.mean.toFixed(1)})`).join(', ')])),
  ].join('\n');
  writeReport(NAME, md, { compared, spread });
}
