/** Trainer: epochs of shuffled mini-batches through any Integrator, with logs and evaluation. */
import { argmax, crossEntropy, memory, type Rng, type Tensor, tensor, tidy } from '@dlrt/core';
import { gatherRows, shuffledBatches } from '../data/batches.js';
import { type Integrator, NonFiniteLossError, type Rank } from '../integrators/integrator.js';
import { parameterCounts } from '../nn/factorized-layer.js';
import type { Module } from '../nn/module.js';
import { Progress, type ProgressMode } from './progress.js';

/** Rows of inputs with integer class labels (MNIST's `DigitSplit` is one). */
export interface LabeledData {
  /** count × rowLength values, row-major. */
  images: Float32Array;
  /** `count` class indices (integers ≥ 0), one per row. */
  labels: ArrayLike<number>;
  /** Number of rows. */
  count: number;
}

/** Options of `Trainer`: the model, the step, the data, the schedule and the logging. */
export interface TrainerOptions {
  /** The model to train; its `forward` takes a batch `[B, rowLength]` of rows as stored. */
  model: Module;
  /** Takes one step per mini-batch (e.g. `RankAdaptiveBUG`, or `GradientStep` for dense). */
  integrator: Integrator;
  /** The training rows, shuffled into mini-batches each epoch. */
  train: LabeledData;
  /** Evaluated after every epoch (loss and accuracy in the log), rows as long as train's. */
  test?: LabeledData;
  /**
   * Held-out training rows (see `holdOut`), evaluated after every epoch to select an epoch
   * (`bestValidationEpoch`) without looking at the test split.
   */
  validation?: LabeledData;
  /** The total number of epochs (a positive integer), resumed ones included. */
  epochs: number;
  /** Rows per mini-batch (a positive integer); the epoch's last batch may be smaller. */
  batchSize: number;
  /** Shuffles the training rows each epoch. */
  rng: Rng;
  /** Defaults to cross-entropy of the model's logits against the labels. */
  loss?: (output: Tensor, labels: Tensor) => Tensor;
  /** 'auto' (default): a progress bar on a TTY, plain lines otherwise. */
  progress?: ProgressMode;
  /** Where lines go (default console.log). */
  log?: (line: string) => void;
  /**
   * Called after each epoch's log line with the history so far and the new entry, awaited
   * before the next epoch (in Node, `runRecordWriter` of `@dlrt/layers/node` keeps a JSON
   * record of the run).
   */
  onEpoch?: (history: readonly EpochLog[], entry: EpochLog) => void | Promise<void>;
  /**
   * The epochs already trained (a checkpoint's history, `readCheckpoint`): training goes on
   * from the next one. The model, optimizer and `rng` must hold that checkpoint's state.
   */
  resumeFrom?: readonly EpochLog[];
}

/** One epoch's record. */
export interface EpochLog {
  /** The epoch's number, from 1. */
  epoch: number;
  /** Mean training loss over the epoch's steps. */
  loss: number;
  /** The training loss of each step, in order (absent from records written before). */
  stepLosses?: number[];
  /** Mean loss on the test rows after the epoch (null without `test`). */
  testLoss: number | null;
  /** Fraction of test rows classified right, in [0, 1] (null without `test`). */
  testAccuracy: number | null;
  /** Loss and accuracy on the validation rows (null without `validation`). */
  validationLoss: number | null;
  /** Fraction of validation rows classified right, in [0, 1] (null without `validation`). */
  validationAccuracy: number | null;
  /** Training seconds (evaluation excluded). */
  seconds: number;
  /** Seconds spent evaluating on the test and validation rows. */
  evalSeconds: number;
  /** Each factorized layer's rank (one per basis for a Tucker core). */
  ranks: Record<string, Rank>;
  /** Scalars stored (low-rank layers: r(n + m) + r² + bias). */
  parameters: number;
  /** 1 − parameters / the dense model's count. */
  compression: number;
  /** Tensors alive after the epoch (`memory().numTensors`): a leak grows it epoch by epoch. */
  liveTensors: number;
}

/**
 * Accuracy and mean loss of `model` on `data`, in batches (default 500 rows), in eval mode
 * (the model's training mode is restored after). The loss defaults to cross-entropy; the
 * prediction is the argmax of the last axis.
 * @example const { accuracy, loss } = evaluate(model, mnist().test)
 */
export function evaluate(model: Module, data: LabeledData, o: { batchSize?: number;
  loss?: (output: Tensor, labels: Tensor) => Tensor } = {}): {
  /** The fraction of rows whose argmax equals the label, in [0, 1] (0 for no rows). */
  accuracy: number;
  /** The loss per row, each batch's mean weighted by its rows (0 for no rows). */
  loss: number;
} {
  const bs = o.batchSize ?? 500;
  const lossFn = o.loss ?? crossEntropy;
  const rowLen = data.images.length / Math.max(data.count, 1);
  const wasTraining = model.training;
  model.eval();
  let correct = 0;
  let lossSum = 0;
  for (let start = 0; start < data.count; start += bs) {
    const n = Math.min(bs, data.count - start);
    const rows = Int32Array.from({ length: n }, (_, i) => start + i);
    const [pred, l] = tidy(() => {
      const { x, y } = labeledBatch(data, rows, rowLen);
      const out = model.forward(x);
      return [argmax(out, -1), lossFn(out, y)];
    });
    const p = pred.dataSync();
    for (let i = 0; i < n; i++) if (p[i] === data.labels[start + i]) correct++;
    lossSum += l.item() * n;
    pred.dispose();
    l.dispose();
  }
  model.train(wasTraining);
  return { accuracy: correct / Math.max(data.count, 1), loss: lossSum / Math.max(data.count, 1) };
}

/**
 * The mini-batch of `data`'s `rows`: inputs x [rows, rowLen] and int32 labels y [rows] (the
 * caller's to dispose). `rowLen` defaults to the data's own row length.
 * @example const { x, y } = labeledBatch(mnist().train, Int32Array.of(0, 1, 2))   // x [3, 784]
 */
export function labeledBatch(data: LabeledData, rows: Int32Array,
  rowLen = data.images.length / Math.max(data.count, 1)): {
  /** The rows' inputs, [rows.length, rowLen]. */
  x: Tensor;
  /** Their labels, int32 [rows.length]. */
  y: Tensor;
} {
  const x = tensor(gatherRows(data.images, rowLen, rows), [rows.length, rowLen]);
  const y = tensor(Int32Array.from(rows, (r) => data.labels[r]), [rows.length], 'int32');
  return { x, y };
}

/**
 * Trains `o.model` for `o.epochs` epochs: each epoch shuffles the training rows with `o.rng`,
 * steps `o.integrator` once per mini-batch, then evaluates on the test and validation rows,
 * logs a line and calls `o.onEpoch`. The constructor checks the options and every label; it
 * throws naming the split and the row for a mismatch.
 * @example
 * const trainer = new Trainer({ model, integrator, train, test, epochs: 10, batchSize: 128,
 *                               rng: new Rng(0) });
 * const history = await trainer.fit();
 */
export class Trainer {
  /** Every epoch's record so far, resumed epochs included. */
  readonly history: EpochLog[] = [];

  /** @param o The model, integrator, data and schedule (see TrainerOptions). */
  constructor(readonly o: TrainerOptions) {
    if (!Number.isInteger(o.epochs) || o.epochs < 1) {
      throw new Error(`Trainer: epochs must be a positive integer, got ${o.epochs}`);
    }
    if (!Number.isInteger(o.batchSize) || o.batchSize < 1) {
      throw new Error(`Trainer: batchSize must be a positive integer, got ${o.batchSize}`);
    }
    if (o.train.count < 1 || o.train.images.length % o.train.count !== 0) {
      throw new Error(`Trainer: train has ${o.train.images.length} values for ` +
        `${o.train.count} rows`);
    }
    const rowLen = o.train.images.length / o.train.count;
    for (const [name, d] of [['test', o.test], ['validation', o.validation]] as const) {
      if (d && (d.count < 1 || d.images.length !== d.count * rowLen)) {
        throw new Error(`Trainer: ${name} has ${d.images.length} values for ${d.count} rows; ` +
          `expected rows of ${rowLen} values, as in train`);
      }
    }
    // Labels become int32 class indices: a fraction would be truncated without a word.
    const splits = [['train', o.train], ['test', o.test], ['validation', o.validation]] as const;
    for (const [name, d] of splits) {
      if (!d) continue;
      if (d.labels.length !== d.count) {
        throw new Error(`Trainer: ${name} has ${d.labels.length} labels for ${d.count} rows`);
      }
      for (let i = 0; i < d.count; i++) {
        const y = d.labels[i];
        if (!(Number.isInteger(y) && y >= 0 && y <= 0x7fffffff)) {
          throw new Error(`Trainer: ${name} label ${y} at row ${i} is not a class index ` +
            '(an integer ≥ 0)');
        }
      }
    }
  }

  /**
   * Trains the remaining epochs (after `o.resumeFrom`'s) and returns the history. A later call
   * goes on after the last epoch trained, so once all `o.epochs` are done it trains nothing.
   * @throws Error naming the epoch and the step when a loss is NaN or infinite (training stops
   *   there), or when `resumeFrom` does not hold epochs 1…k with k ≤ epochs.
   */
  async fit(): Promise<EpochLog[]> {
    const { o } = this;
    const log = o.log ?? ((line: string) => console.log(line));
    const lossFn = o.loss ?? crossEntropy;
    const rowLen = o.train.images.length / o.train.count;
    const done = o.resumeFrom ?? [];
    if (done.length > o.epochs || done.some((e, i) => e.epoch !== i + 1)) {
      throw new Error(`Trainer: resumeFrom must hold epochs 1…k with k ≤ ${o.epochs}, got ` +
        `[${done.map((e) => e.epoch)}]`);
    }
    if (this.history.length === 0) this.history.push(...done);
    for (let epoch = this.history.length + 1; epoch <= o.epochs; epoch++) {
      const batches = shuffledBatches(o.train.count, o.batchSize, () => o.rng.uniform());
      const bar = new Progress(o.progress ?? 'auto', `epoch ${epoch}/${o.epochs}`, batches.length);
      const t0 = performance.now();
      let lossSum = 0;
      const stepLosses: number[] = [];
      let ranks: Record<string, Rank> = {};
      for (const [i, rows] of batches.entries()) {
        const { x, y } = labeledBatch(o.train, rows, rowLen);
        try {
          const r = await o.integrator.step(() => lossFn(o.model.forward(x), y));
          lossSum += r.loss;
          stepLosses.push(r.loss);
          ranks = r.ranks;
          const shown = Object.keys(r.ranks).length ? `  ranks ${formatRanks(r.ranks)}` : '';
          bar.tick(i + 1, `loss ${r.loss.toFixed(4)}${shown}`);
        } catch (e) {
          bar.done();
          if (e instanceof NonFiniteLossError) {
            throw new Error(`Trainer: loss is ${e.loss} at epoch ${epoch}, step ${i + 1} of ` +
              `${batches.length}; stopping (${e.message})`);
          }
          throw e;
        } finally {
          x.dispose();
          y.dispose();
        }
      }
      bar.done();
      const seconds = (performance.now() - t0) / 1000;
      const t1 = performance.now();
      const test = o.test ? evaluate(o.model, o.test, { loss: lossFn }) : null;
      const val = o.validation ? evaluate(o.model, o.validation, { loss: lossFn }) : null;
      const counts = parameterCounts(o.model);
      const entry: EpochLog = {
        epoch, loss: lossSum / batches.length, stepLosses, testLoss: test?.loss ?? null,
        testAccuracy: test?.accuracy ?? null, validationLoss: val?.loss ?? null,
        validationAccuracy: val?.accuracy ?? null, seconds,
        evalSeconds: (performance.now() - t1) / 1000,
        ranks, parameters: counts.parameters, compression: counts.compression,
        liveTensors: memory().numTensors,
      };
      this.history.push(entry);
      log(formatEpoch(entry, o.epochs));
      await o.onEpoch?.(this.history, entry);
    }
    return this.history;
  }
}

/**
 * The epoch with the lowest validation loss (the first of equals). The reference DLRT code
 * reports each LeNet5 run's test accuracy at this epoch (its `produce_results.py`, on a 50k/10k
 * train/validation split; the table of the DLRT paper's LeNet5 results).
 *
 * @throws Error naming `bestValidationEpoch` if the history is empty or has no validation loss.
 * @example const best = bestValidationEpoch(await trainer.fit()); best.testAccuracy
 */
export function bestValidationEpoch(history: readonly EpochLog[]): EpochLog {
  let best: EpochLog | undefined;
  for (const e of history) {
    if (e.validationLoss == null) {
      throw new Error(`bestValidationEpoch: epoch ${e.epoch} has no validation loss ` +
        '(train with a validation set)');
    }
    if (best === undefined || e.validationLoss < best.validationLoss!) best = e;
  }
  if (!best) throw new Error('bestValidationEpoch: the history is empty');
  return best;
}

/**
 * The log line of an epoch: `epoch  3/10  loss 0.1234  test loss 0.0987  test acc 97.10%  12.3 s`,
 * with validation, ranks and parameter counts where the record has them.
 * @example log(formatEpoch(history.at(-1)!, 10))
 */
export function formatEpoch(e: EpochLog, epochs: number): string {
  const w = String(epochs).length;
  const parts = [`epoch ${String(e.epoch).padStart(w)}/${epochs}`, `loss ${e.loss.toFixed(4)}`];
  if (e.testLoss !== null) parts.push(`test loss ${e.testLoss.toFixed(4)}`);
  if (e.testAccuracy !== null) parts.push(`test acc ${(100 * e.testAccuracy).toFixed(2)}%`);
  if (e.validationLoss != null) parts.push(`val loss ${e.validationLoss.toFixed(4)}`);
  if (e.validationAccuracy != null) {
    parts.push(`val acc ${(100 * e.validationAccuracy).toFixed(2)}%`);
  }
  if (Object.keys(e.ranks).length) {
    parts.push(`ranks ${formatRanks(e.ranks)}`, `params ${e.parameters.toLocaleString('en')} ` +
      `(${(100 * e.compression).toFixed(1)}% compression)`);
  }
  parts.push(`${e.seconds.toFixed(1)} s`);
  return parts.join('  ');
}

/** `[10, 25, 250]`; a layer with a rank per basis shows them as 4×3. */
export function formatRanks(ranks: Record<string, Rank>): string {
  return `[${Object.values(ranks).map((r) => (typeof r === 'number' ? r : r.join('×')))
    .join(', ')}]`;
}
