/**
 * Training the character language model on the Brown corpus: random windows of the train text,
 * Adam, the validation loss on fixed windows at intervals, and a generated sample. The record
 * (JSON) holds the arguments, the machine, every step's loss, the validation curve, the
 * attention's parameters and KV-cache size, and the sample.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import {
  type Backend, type Rng as RngT, crossEntropy, dispose, reshape, Rng, tensor,
  type Tensor, tidy,
} from '@dlrt/core';
import '@dlrt/backend-cpu';
import { Adam, type AttentionSpec, CharLM, GradientStep } from '@dlrt/layers';
import {
  atomicWriter, brownText, type CheckpointParts, checkpointWriter, readCheckpoint, textSha256,
} from '@dlrt/layers/node';
import { startBackend } from './train.js';

export interface LMArgs {
  attention: AttentionSpec;
  dim: number;
  depth: number;
  heads: number;
  /** Context length T: each training window has T inputs and T targets. */
  context: number;
  batch: number;
  steps: number;
  lr: number;
  seed: number;
  /** Validation every this many steps (and after the last). */
  evalEvery: number;
  /** Fixed validation windows of `context` tokens, evenly spaced in the validation text. */
  evalWindows: number;
  backend: 'auto' | 'wasm' | 'cpu';
  threads: number;
}

export interface LMRunOptions {
  /**
   * A checkpoint file, written at every validation; when it exists, the run resumes from it
   * (the same arguments, backend and threads aside) and continues to the same record.
   */
  checkpoint?: string;
}

export interface LMRecord {
  args: LMArgs;
  machine: Record<string, unknown>;
  date: string;
  vocab: string;
  data: { train: number; validation: number; trainSha256: string; validationSha256: string };
  /** Attention parameters of all blocks, and the KV cache per token (scalars, all blocks). */
  attentionParameters: number;
  kvCachePerToken: number;
  parameters: number;
  stepLosses: number[];
  validation: { step: number; loss: number }[];
  secondsPerStep: number;
  sample: { prompt: string; text: string };
}

/** Text ↦ ids in a sorted vocabulary of its characters. */
function vocabulary(text: string): { chars: string; ids: Map<string, number> } {
  const chars = [...new Set(text)].sort().join('');
  return { chars, ids: new Map([...chars].map((c, i) => [c, i])) };
}

function encode(text: string, ids: Map<string, number>): Int32Array {
  return Int32Array.from(text, (c) => ids.get(c)!);
}

/** B windows of T + 1 tokens at random offsets: inputs [B, T] and targets [B·T]. */
function batchAt(data: Int32Array, offsets: readonly number[], t: number): { x: Tensor; y: Tensor } {
  const xs = new Int32Array(offsets.length * t);
  const ys = new Int32Array(offsets.length * t);
  offsets.forEach((o, b) => {
    xs.set(data.subarray(o, o + t), b * t);
    ys.set(data.subarray(o + 1, o + t + 1), b * t);
  });
  return { x: tensor(xs, [offsets.length, t], 'int32'), y: tensor(ys, [offsets.length * t], 'int32') };
}

/** Mean cross-entropy of next-token prediction over B·T positions. */
function lmLoss(model: CharLM, x: Tensor, y: Tensor): Tensor {
  const logits = model.forward(x);
  const [b, t, v] = logits.shape;
  return crossEntropy(reshape(logits, [b * t, v]), y);
}

function checkArgs(a: LMArgs): void {
  for (const k of ['dim', 'depth', 'heads', 'context', 'batch', 'steps', 'evalEvery',
    'evalWindows', 'threads'] as const) {
    if (!Number.isInteger(a[k]) || a[k] < 1) {
      throw new Error(`trainLM: ${k} must be a positive integer, got ${a[k]}`);
    }
  }
  if (!(a.lr > 0)) throw new Error(`trainLM: lr must be positive, got ${a.lr}`);
}

/**
 * Trains one character LM and writes its record to `json` (atomically, after every
 * validation). Returns the record.
 */
export async function trainLM(a: LMArgs, log: (line: string) => void, json?: string,
  o: LMRunOptions = {}): Promise<LMRecord> {
  checkArgs(a);
  const write = json ? atomicWriter(json, 'trainLM') : undefined;
  const backend: Backend = await startBackend({ ...a, gpuMode: 'auto' });
  const text = brownText();
  const { chars, ids } = vocabulary(text.train + text.validation);
  const train = encode(text.train, ids);
  const valid = encode(text.validation, ids);
  const rng: RngT = new Rng(a.seed);
  const model = new CharLM({ rng, vocab: chars.length, dim: a.dim, depth: a.depth,
    heads: a.heads, attention: a.attention, maxLen: Math.max(a.context, 256) });
  const attentionParameters = model.blocks.reduce((s, b) => s + b.attention.attentionParameters,
    0);
  const kvCachePerToken = model.blocks.reduce((s, b) => s + b.attention.kvCachePerToken, 0);
  const optimizer = new Adam({ lr: a.lr });
  const step = new GradientStep(model, { optimizer });
  const record: LMRecord = {
    args: a, date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version,
      backend: backend.name },
    vocab: chars, data: { train: train.length, validation: valid.length,
      trainSha256: textSha256(text.train), validationSha256: textSha256(text.validation) },
    attentionParameters, kvCachePerToken, parameters: model.numParameters(),
    stepLosses: [], validation: [], secondsPerStep: 0, sample: { prompt: '', text: '' },
  };
  const evalOffsets = Array.from({ length: a.evalWindows }, (_, i) =>
    Math.floor((i * (valid.length - a.context - 1)) / a.evalWindows));
  const validate = (s: number) => {
    let total = 0;
    for (let i = 0; i < evalOffsets.length; i += a.batch) {
      const offs = evalOffsets.slice(i, i + a.batch);
      total += tidy(() => {
        const { x, y } = batchAt(valid, offs, a.context);
        return lmLoss(model, x, y).dataSync()[0] * offs.length;
      });
    }
    record.validation.push({ step: s, loss: total / evalOffsets.length });
  };
  let seconds = 0;
  // The checkpoint holds the model, Adam's state, the generator and the record so far.
  const { backend: _b, threads: _t, ...meta } = a;
  const parts: CheckpointParts = { model, rng, optimizer, meta: { trainLM: meta }, progress: {
    save: () => ({ record, seconds }),
    restore: (v) => {
      const p = v as { record: LMRecord; seconds: number };
      Object.assign(record, p.record, { args: a, machine: record.machine });
      seconds = p.seconds;
    },
  } };
  if (o.checkpoint && existsSync(o.checkpoint)) {
    readCheckpoint(o.checkpoint, parts);
    log(`resumed from ${o.checkpoint} at step ${record.stepLosses.length}`);
  }
  const saveCheckpoint = o.checkpoint ? checkpointWriter(o.checkpoint, parts) : undefined;
  try {
    for (let s = record.stepLosses.length + 1; s <= a.steps; s++) {
      const offsets = Array.from({ length: a.batch }, () =>
        Math.floor(rng.uniform() * (train.length - a.context - 1)));
      const { x, y } = batchAt(train, offsets, a.context);
      const t0 = performance.now();
      try {
        record.stepLosses.push((await step.step(() => lmLoss(model, x, y))).loss);
      } finally {
        dispose([x, y]);
      }
      seconds += (performance.now() - t0) / 1000;
      record.secondsPerStep = seconds / s;
      if (s % a.evalEvery === 0 || s === a.steps) {
        validate(s);
        write?.(() => `${JSON.stringify(record, null, 1)}\n`);
        saveCheckpoint?.([]);
        log(`step ${s}: validation loss ${record.validation.at(-1)!.loss.toFixed(4)}`);
      }
    }
    const prompt = 'The jury said';
    const generated = model.generate(tensor(encode(prompt, ids), [1, prompt.length], 'int32'),
      { tokens: 120, temperature: 0.8, topK: 10, rng: new Rng(a.seed + 1) })[0];
    record.sample = { prompt, text: prompt + generated.map((i) => chars[i]).join('') };
    log(`sample: ${JSON.stringify(record.sample.text)}`);
    write?.(() => `${JSON.stringify(record, null, 1)}\n`);
    return record;
  } finally {
    model.dispose();
  }
}
