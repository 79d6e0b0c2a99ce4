/**
 * finetune: LeNet5 pretrained densely, then fine-tuned on a task by every adapter (issue 23):
 * (a) new classes: pretrained on digits 0–4, fine-tuned on 5–9 with a new 5-way head;
 * (b) domain shift: pretrained on all digits, fine-tuned on the same digits turned by 90°.
 * Methods: head only, full, LoRA r ∈ {4, 8}, AdaLoRA 12 → {4, 8}, GeoLoRA τ ∈ {0.05, 0.15,
 * 0.3}, or to a global budget of 12 or 24 singular values; and LoRA, AdaLoRA and GeoLoRA at
 * 10× the learning rate. The pretrained models are written beside the records, not
 * committed: a pretraining run is deterministic and reruns when its file is missing.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EpochLog } from '@dlrt/layers';
import { runRecordWriter } from '@dlrt/layers/node';
import {
  finetune, FINETUNE_DEFAULTS, type FinetuneArgs, train, type TrainArgs,
} from '@dlrt/cli';
import { meanSd, readRun, RESULTS, runArgs, runPath } from './runs.js';
import { markdownTable, pct, writeReport } from './summary.js';

export const NAME = 'finetune';

const TASKS: { id: string; what: string; pretrain: Partial<TrainArgs>;
  tune: Partial<FinetuneArgs> }[] = [
  { id: 'new-classes', what: 'pretrained on digits 0–4, fine-tuned on 5–9 (a new 5-way head)',
    pretrain: { digits: [0, 1, 2, 3, 4] }, tune: { digits: [5, 6, 7, 8, 9] } },
  { id: 'rotated', what: 'pretrained on upright digits, fine-tuned on the same digits turned 90°',
    pretrain: {}, tune: { rotate: 90 } },
];

const PRETRAIN = { model: 'lenet5', method: 'dense', optimizer: 'sgd', lr: 0.05, batch: 128,
  epochs: 10 } as const;
const TUNE = { epochs: 5, batch: 128, optimizer: 'adam', lr: 1e-3 } as const;
/** GeoLoRA's global budgets: LoRA r = 4's and r = 8's totals over the three adapted layers. */
const BUDGETS = [12, 24];

const METHODS: { id: string; args: Partial<FinetuneArgs> }[] = [
  { id: 'head', args: { adapter: 'head' } },
  { id: 'full', args: { adapter: 'full' } },
  { id: 'lora r4', args: { adapter: 'lora', rank: 4 } },
  { id: 'lora r8', args: { adapter: 'lora', rank: 8 } },
  { id: 'adalora 12→4', args: { adapter: 'adalora', rank: 12, targetRank: 4 } },
  { id: 'adalora 12→8', args: { adapter: 'adalora', rank: 12, targetRank: 8 } },
  ...[0.05, 0.15, 0.3].map((tol) =>
    ({ id: `geolora τ ${tol}`, args: { adapter: 'geolora', rank: 8, tol } as const })),
  ...BUDGETS.map((budget) =>
    ({ id: `geolora B ${budget}`, args: { adapter: 'geolora', rank: 8, budget } as const })),
  { id: 'lora r8 10× lr', args: { adapter: 'lora', rank: 8, lr: 1e-2 } },
  { id: 'adalora 12→8 10× lr', args: { adapter: 'adalora', rank: 12, targetRank: 8, lr: 1e-2 } },
  { id: 'geolora τ 0.15 10× lr', args: { adapter: 'geolora', rank: 8, tol: 0.15, lr: 1e-2 } },
];

/** An epoch of a fine-tuning record: the trainable scalars and the seconds per step too. */
type TunedEpoch = EpochLog & { trainable?: number; secondsPerStep?: number };

const slug = (s: string) => s.replace('τ', 'tau').replace(/[ →×.]+/g, '-').replace(/-+$/, '');
const pretrainId = (task: string, seed: number) => `pretrain-${task}-seed${seed}`;
const modelFile = (task: string, seed: number) =>
  fileURLToPath(runPath(NAME, pretrainId(task, seed))).replace(/\.json$/, '.safetensors');

/** The fine-tuning runs, for the table's rows. */
export function runs(): [] {
  return [];
}

/** Pretrains what is missing, then fine-tunes every run without a complete record. */
export async function run(seeds: readonly number[] = [0, 1, 2], only?: string):
  Promise<string[]> {
  mkdirSync(new URL(`runs/${NAME}/`, RESULTS), { recursive: true });
  const failed: string[] = [];
  for (const seed of seeds) {
    for (const task of TASKS) {
      const file = modelFile(task.id, seed);
      if (!existsSync(file)) {
        console.log(`\n== ${NAME}/${pretrainId(task.id, seed)}`);
        await train(runArgs({ ...PRETRAIN, ...task.pretrain, seed, save: file,
          json: fileURLToPath(runPath(NAME, pretrainId(task.id, seed))) }),
        (l) => console.log(l), { command: `pnpm experiment ${NAME} --seeds ${seed}` });
      }
      for (const m of METHODS) {
        const id = `${task.id}-${slug(m.id)}-seed${seed}`;
        if (only && !id.includes(only)) continue;
        const done = readRun(NAME, id);
        if (done?.error || (done && done.epochs.length >= TUNE.epochs)) continue;
        console.log(`\n== ${NAME}/${id}`);
        const json = fileURLToPath(runPath(NAME, id));
        const args: FinetuneArgs = { ...FINETUNE_DEFAULTS, ...TUNE, ...task.tune, ...m.args,
          from: file, seed, json, progress: 'none' };
        try {
          await finetune(args, (l) => console.log(l));
        } catch (e) {
          const message = (e as Error).message;
          if (!/loss is (NaN|-?Infinity)/.test(message)) throw e;
          console.log(`${NAME}/${id}: ${message}`);
          runRecordWriter(json, { meta: { command: `pnpm experiment ${NAME}`,
            args: { ...args, from: undefined, json: undefined }, error: message } })(
            readRun(NAME, id)?.epochs ?? []);
          failed.push(id);
        }
      }
    }
  }
  return failed;
}

export function report(seeds: readonly number[] = [0, 1, 2]): void {
  const tables = TASKS.flatMap((task) => {
    const rows = METHODS.map((m) => {
      const recs = seeds.map((s) => readRun(NAME, `${task.id}-${slug(m.id)}-seed${s}`));
      const done = recs.filter((r) => r && !r.error && r.epochs.length >= TUNE.epochs);
      const last = done.map((r) => r!.epochs[r!.epochs.length - 1] as TunedEpoch);
      const acc = meanSd(last.map((e) => e.testAccuracy ?? NaN));
      const failedRuns = recs.filter((r) => r?.error).length;
      return [m.id, `${done.length}/${seeds.length}${failedRuns ? ` (${failedRuns} NaN)` : ''}`,
        done.length ? `${pct(acc.mean)} ± ${pct(acc.sd)}` : '–',
        done.length ? Math.round(meanSd(last.map((e) => e.trainable ?? NaN)).mean)
          .toLocaleString('en') : '–',
        last.length && Object.keys(last[0].ranks).length
          ? last.map((e) => `[${Object.values(e.ranks).join(', ')}]`).join(' · ') : '–',
        done.length ? (1000 * meanSd(last.map((e) => e.secondsPerStep ?? NaN)).mean)
          .toFixed(1) : '–'];
    });
    return [`## ${task.id}: ${task.what}`, '',
      markdownTable(['method', 'runs', 'test acc % (mean ± sd)', 'trainable parameters',
        'final ranks per adapted layer', 'ms/step'], rows), ''];
  });
  const md = [
    '# Fine-tuning LeNet5 with adapters', '',
    `MNIST 8,000/2,000 split. Pretraining: LeNet5, dense, SGD lr 0.05, batch 128, 10 epochs. ` +
      `Fine-tuning: Adam lr 10⁻³ (10⁻² in the "10× lr" rows), batch 128, ${TUNE.epochs} ` +
      'epochs; adapters on conv1, conv2 and fc1 (fc2, the output layer, trains in every row); ' +
      'LoRA α = r; AdaLoRA from 12 triplets per layer, t_init 10% and t_final 20% of the steps, ' +
      'ΔT 10, orthogonality weight 0.1; GeoLoRA from rank 8, truncated by τ or to a global ' +
      `budget B of ${BUDGETS.join(' or ')} singular values over the three layers. Seeds ` +
      `${seeds.join(', ')}. Trainable parameters: after the last epoch. Regenerate ` +
      `with \`pnpm experiment ${NAME}\`. Test accuracy after the last epoch; ms/step is the ` +
      'mean training time of a step on one thread.', '',
    ...tables,
  ].join('\n');
  writeReport(NAME, md, {});
}
