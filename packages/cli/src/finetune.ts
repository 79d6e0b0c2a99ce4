/**
 * `dlrt finetune --from FILE --adapter lora|adalora|geolora|head|full|tucker [options]`: fine-tunes a
 * model saved by `dlrt train --save` on a task (`--digits`, `--rotate`). A task with other
 * classes than the pretraining gets a new output layer, trained with the adapters. The base
 * weights stay frozen (but under `full`).
 */
import os from 'node:os';
import { closeBackends, Rng } from '@dlrt/core';
import {
  AdaLoRAStep, applyAdapters, Conv2d, Dense, type EpochLog, FactorizedIntegrator,
  FactorizedLayer, GeoLoRA, GradientStep, type Integrator, type Module, MultiHeadAttention,
  parameterCounts, type Sequential, trainableParameterCount, Trainer, TransformerBlock,
  TuckerAttention,
} from '@dlrt/layers';
import { runRecordWriter } from '@dlrt/layers/node';
import { savedModel, savedRun } from './saved.js';
import {
  describe, loadData, makeOptimizer, startBackend, type TrainArgs,
} from './train.js';
import { UsageError } from './options.js';

export const ADAPTERS = ['lora', 'adalora', 'geolora', 'head', 'full', 'tucker'] as const;
export type AdapterChoice = (typeof ADAPTERS)[number];

/** What `dlrt finetune` takes. */
export interface FinetuneArgs {
  /** The pretrained model (a `dlrt train --save` file). */
  from: string;
  adapter: AdapterChoice;
  /** Layers to adapt, by module name (default: every Dense and Conv2d but the output layer). */
  targets?: string[];
  /** LoRA's rank, AdaLoRA's initial rank, GeoLoRA's starting rank. */
  rank: number;
  /** LoRA's and AdaLoRA's α (default: the rank). */
  alpha?: number;
  /** GeoLoRA's truncation tolerance τ (default 0.15 unless a budget is given). */
  tol?: number;
  /** GeoLoRA's global rank budget, instead of τ (default none). */
  budget?: number;
  /** GeoLoRA's coefficient steps between augmentations (default 0: augment every step). */
  coefficientSteps: number;
  /** AdaLoRA's final rank per adapter. */
  targetRank: number;
  /**
   * --adapter tucker: each attention layer of a ViT becomes the truncated HOSVD of its 𝒲 and
   * 𝒲̃ at these ranks [head, query, key] (Tucker Attention's transfer protocol), then every
   * parameter fine-tunes.
   */
  tuckerRanks?: [number, number, number];
  /** AdaLoRA's t_init and t_final as fractions of the steps, and its ΔT. */
  tInit: number;
  tFinal: number;
  deltaT: number;
  epochs: number;
  batch: number;
  optimizer: 'sgd' | 'adam';
  lr: number;
  momentum: number;
  seed: number;
  digits?: number[];
  rotate?: number;
  /**
   * Rows held out of the task's train split (its last ones, see `holdOut`), evaluated after
   * every epoch: to choose settings such as the learning rate without the test split (0: none).
   */
  validation: number;
  json?: string;
  backend: string;
  threads: number;
  progress: TrainArgs['progress'];
}

export const FINETUNE_DEFAULTS: Omit<FinetuneArgs, 'from'> = {
  adapter: 'lora', rank: 8, coefficientSteps: 0, targetRank: 4, tInit: 0.1, tFinal: 0.2, deltaT: 10,
  epochs: 5, batch: 128, optimizer: 'adam', lr: 1e-3, momentum: 0, seed: 0, validation: 0,
  backend: 'auto', threads: 1, progress: 'auto',
};

/** The output layer: the last Dense of the model, and its name. */
function head(model: Module): [string, Dense] {
  const dense = model.namedModules().filter((e): e is [string, Dense] => e[1] instanceof Dense);
  if (dense.length === 0) throw new Error('dlrt finetune: the model has no Dense output layer');
  return dense[dense.length - 1];
}

/** Fine-tunes as `f` asks, logging each line; returns the history. */
export async function finetune(f: FinetuneArgs, log: (line: string) => void):
  Promise<EpochLog[]> {
  const { args: pre, file } = savedRun(f.from, 'dlrt finetune');
  if (pre.standardize) {
    throw new Error(`dlrt finetune: ${f.from} was trained with --standardize, whose statistics ` +
      'the file does not keep; pretrain with --normalize MEAN,SD instead');
  }
  const task: TrainArgs = { ...pre, digits: f.digits ?? pre.digits, rotate: f.rotate,
    validation: f.validation, backend: f.backend, threads: f.threads };
  const write = f.json === undefined ? undefined : runRecordWriter(f.json, { name: '--json',
    meta: { command: 'dlrt finetune', args: { ...f, json: undefined, from: undefined },
      pretrained: pre, machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length,
        node: process.version }, date: new Date().toISOString() } });
  let model: Sequential | undefined;
  try {
    const ran = describe(await startBackend(task));
    model = savedModel(pre, file, f.from);
    if (model.modules().some((m) => m instanceof FactorizedLayer)) {
      throw new Error(`dlrt finetune: ${f.from} holds low-rank layers; fine-tune a dense model ` +
        '(pretrained with --method dense)');
    }
    const rng = new Rng(f.seed);
    const [headName, oldHead] = head(model);
    const classes = task.digits?.length ?? 10;
    const sameTask = JSON.stringify(task.digits ?? null) === JSON.stringify(pre.digits ?? null);
    const targets = f.targets ?? model.namedModules().filter(([n, m]) => n !== headName &&
      n !== '' && (m instanceof Dense || m instanceof Conv2d)).map(([n]) => n);
    if (f.adapter === 'tucker') toTuckerAttention(model, f.tuckerRanks!, f.from);
    if (f.adapter === 'lora' || f.adapter === 'adalora' || f.adapter === 'geolora') {
      applyAdapters(model, { method: f.adapter, rank: f.rank, alpha: f.alpha, targets, rng });
    } else if (f.adapter === 'head') {
      model.freeze();
    }
    if (!sameTask) {
      const fresh = new Dense(oldHead.inFeatures, classes, { rng,
        dtype: oldHead.weight.dtype as 'float32' });
      const [parent, child] = splitName(headName);
      new Map(model.namedModules()).get(parent)!.replaceModule(child, fresh);
      oldHead.dispose();
    } else if (f.adapter === 'head' || !targets.includes(headName)) {
      for (const v of head(model)[1].parameters()) v.trainable = true;
    }
    const data = loadData(task);
    const stepsPerEpoch = Math.ceil(data.train.count / f.batch);
    const optimizer = makeOptimizer(f);
    const total = f.epochs * stepsPerEpoch;
    const integrator: Integrator = f.adapter === 'geolora'
      ? new GeoLoRA(model, { optimizer, coefficientSteps: f.coefficientSteps,
        ...(f.budget !== undefined ? { rankBudget: f.budget } : { tol: f.tol ?? 0.15 }) })
      : f.adapter === 'adalora' ? new AdaLoRAStep(model, { optimizer, targetRank: f.targetRank,
        totalSteps: total, tInit: Math.round(f.tInit * total),
        tFinal: Math.round(f.tFinal * total), deltaT: f.deltaT })
        : new GradientStep(model, { optimizer });
    const trainable = trainableParameterCount(model);
    const all = parameterCounts(model).parameters;
    const what = f.adapter === 'tucker' ? `the model, its attention as Tucker [${f.tuckerRanks}]`
      : f.adapter === 'head' || f.adapter === 'full' ? 'the model'
      : `[${targets.join(', ')}]`;
    log(`dlrt finetune: ${f.adapter} on ${what} of ${f.from}` +
      `${sameTask ? '' : `, a new ${classes}-way output layer`}; ` +
      `${trainable.toLocaleString('en')} trainable of ${all.toLocaleString('en')} parameters; ` +
      `${f.optimizer} lr ${f.lr}, batch ` +
      `${f.batch}, ${f.epochs} epochs, backend ${f.backend} (${ran.name}), seed ${f.seed}`);
    log(`data: ${data.train.count} train / ` +
      `${data.validation ? `${data.validation.count} validation / ` : ''}` +
      `${data.test.count} test digits` +
      `${task.digits ? ` (digits ${task.digits.join(',')})` : ''}` +
      `${task.rotate ? `, turned ${task.rotate}°` : ''}`);
    const trainableAt = new Map<number, number>();
    let history: EpochLog[];
    try {
      history = await new Trainer({ model, integrator, train: data.train, test: data.test,
        validation: data.validation, epochs: f.epochs, batchSize: f.batch, rng,
        progress: f.progress, log,
        onEpoch: (h, entry) => {
          // A rank-adaptive adapter's trainable count moves with its ranks.
          trainableAt.set(entry.epoch, trainableParameterCount(model!));
          write?.(h.map((e) => ({ ...e, trainable: trainableAt.get(e.epoch),
            secondsPerStep: e.seconds / stepsPerEpoch })));
        } }).fit();
    } finally {
      if (integrator instanceof FactorizedIntegrator) integrator.dispose();
      optimizer.dispose();
    }
    const last = history[history.length - 1];
    const perStep = history.reduce((s, e) => s + e.seconds, 0) / (history.length * stepsPerEpoch);
    const ranks = Object.values(last.ranks);
    log(`test accuracy: ${(100 * (last.testAccuracy ?? 0)).toFixed(2)}%, ` +
      `${(trainableAt.get(last.epoch) ?? trainable).toLocaleString('en')} trainable parameters` +
      `${ranks.length ? `, ranks [${ranks.join(', ')}]` : ''} (${(1000 * perStep).toFixed(1)} ` +
      'ms per step)');
    return history;
  } finally {
    model?.dispose();
    await closeBackends();
  }
}

/** Swaps every MultiHeadAttention of `model` for its truncated HOSVD at `ranks`. */
function toTuckerAttention(model: Module, ranks: [number, number, number], from: string): void {
  const blocks = model.modules().filter((m): m is TransformerBlock => m instanceof
    TransformerBlock && m.attention instanceof MultiHeadAttention);
  if (blocks.length === 0) {
    throw new Error(`dlrt finetune: --adapter tucker needs a model with multi-head attention ` +
      `(a dlrt train --model vit --attention mha|gqa|mqa file); ${from} has none`);
  }
  for (const block of blocks) {
    const mha = block.attention as MultiHeadAttention;
    block.replaceModule('attention', TuckerAttention.fromHOSVD(mha, ranks));
    mha.dispose();
  }
}

function splitName(name: string): [string, string] {
  const i = name.lastIndexOf('.');
  return i < 0 ? ['', name] : [name.slice(0, i), name.slice(i + 1)];
}

/** Checks the combination of `f`'s values (each parsed alone before). */
export function checkFinetune(f: FinetuneArgs): void {
  if (!ADAPTERS.includes(f.adapter)) {
    throw new UsageError(`--adapter: expected one of ${ADAPTERS.join('|')}, got '${f.adapter}'`);
  }
  if (f.adapter !== 'geolora' && f.budget !== undefined) {
    throw new UsageError(`--budget ${f.budget}: does nothing with --adapter ${f.adapter}: ` +
      'geolora only');
  }
  if (f.budget !== undefined && f.tol !== undefined) {
    throw new UsageError(`--budget ${f.budget}: conflicts with --tol ${f.tol}: the budget ` +
      'replaces the tolerance');
  }
  if (f.adapter !== 'geolora' && f.tol !== undefined) {
    throw new UsageError(`--tol ${f.tol}: does nothing with --adapter ${f.adapter}: geolora only`);
  }
  if (f.adapter !== 'geolora' && f.coefficientSteps !== 0) {
    throw new UsageError(`--coefficient-steps ${f.coefficientSteps}: does nothing with ` +
      `--adapter ${f.adapter}: geolora only`);
  }
  if ((f.adapter === 'tucker') !== (f.tuckerRanks !== undefined)) {
    throw new UsageError(f.adapter === 'tucker' ? '--adapter tucker: needs --tucker-ranks R1,R2,R3'
      : `--tucker-ranks: does nothing with --adapter ${f.adapter}: tucker only`);
  }
  if ((f.adapter === 'head' || f.adapter === 'full' || f.adapter === 'tucker') &&
    f.targets !== undefined) {
    throw new UsageError(`--targets: does nothing with --adapter ${f.adapter}`);
  }
}
