/**
 * Per-epoch checkpoints of a training run (Node only), so that a run of hours resumes after any
 * interruption: every parameter of the model (a low-rank layer's factors at their current
 * rank), the optimizer's state of each, the generator that shuffles the batches, and the
 * history so far. Written atomically after each epoch; a resumed run replays the same draws.
 */
import { readFileSync } from 'node:fs';
import { type DType, type Rng, type RngState, tensor, tidy } from '@dlrt/core';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { EpochLog } from '../train/trainer.js';
import { atomicWriter } from './run-record.js';

/** What a checkpoint holds and restores. */
export interface CheckpointParts {
  model: Module;
  rng: Rng;
  optimizer: Optimizer;
  /** Anything the caller must match on resume (e.g. the run's arguments), compared as JSON. */
  meta?: unknown;
}

interface SavedTensor {
  shape: number[];
  dtype: DType;
  /** The values' bytes, base64. */
  data: string;
}

interface CheckpointFile {
  format: 'dlrt-checkpoint-1';
  meta: unknown;
  rng: RngState;
  params: Record<string, SavedTensor & { state: SavedTensor[]; updates: number }>;
  history: EpochLog[];
}

function save(values: { shape: readonly number[]; dtype: DType; dataSync(): ArrayLike<number> &
  { buffer: ArrayBufferLike; byteOffset: number; byteLength: number } }): SavedTensor {
  const v = values.dataSync();
  return { shape: [...values.shape], dtype: values.dtype,
    data: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
}

function load(t: SavedTensor, where: string) {
  const bytes = Buffer.from(t.data, 'base64');
  const Ctor = t.dtype === 'float64' ? Float64Array : t.dtype === 'float32' ? Float32Array
    : t.dtype === 'int32' ? Int32Array : null;
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (!Ctor || bytes.length !== n * Ctor.BYTES_PER_ELEMENT) {
    throw new Error(`checkpoint: ${where}: ${bytes.length} bytes for a ${t.dtype} tensor of ` +
      `shape [${t.shape}]`);
  }
  const copy = new Ctor(n);
  new Uint8Array(copy.buffer).set(bytes);
  return tensor(copy, t.shape, t.dtype);
}

/**
 * A Trainer `onEpoch` hook that writes the checkpoint to `path` after every epoch
 * (`atomicWriter`: `path` is checked at once and always holds a whole file). It refuses,
 * naming them, optimizer state that belongs to no model parameter (an integrator's own
 * coefficients under momentum or Adam), which it could not restore.
 */
export function checkpointWriter(path: string, parts: CheckpointParts):
  (history: readonly EpochLog[]) => void {
  const write = atomicWriter(path, 'checkpoint');
  return (history) => {
    const named = parts.model.namedParameters();
    const known = new Set(named.map(([, v]) => v));
    const orphans = parts.optimizer.stateful().filter((v) => !known.has(v));
    if (orphans.length > 0) {
      throw new Error(`checkpoint: the optimizer holds state for ${orphans.length} variables ` +
        `outside the model (${orphans.slice(0, 3).map((v) => v.name).join(', ')}), which a ` +
        'checkpoint cannot restore; use an optimizer without state (plain SGD) to checkpoint');
    }
    const file: CheckpointFile = {
      format: 'dlrt-checkpoint-1', meta: parts.meta ?? null, rng: parts.rng.getState(),
      params: Object.fromEntries(named.map(([name, v]) => [name, {
        ...save(v), state: (parts.optimizer.state(v) ?? []).map(save),
        updates: parts.optimizer.updates(v) }])),
      history: [...history],
    };
    write(() => JSON.stringify(file));
  };
}

/**
 * Restores the checkpoint at `path` into `parts` (parameters resized to the saved ranks,
 * optimizer state, generator) and returns its history. Errors name the file and the
 * mismatch: another format, other `meta`, other parameter names or dtypes.
 */
export function readCheckpoint(path: string, parts: CheckpointParts): EpochLog[] {
  let file: CheckpointFile;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as CheckpointFile;
  } catch (e) {
    throw new Error(`checkpoint: cannot read ${path}: ${(e as Error).message}`);
  }
  if (file?.format !== 'dlrt-checkpoint-1') {
    throw new Error(`checkpoint: ${path} is not a dlrt checkpoint (format ` +
      `${JSON.stringify(file?.format)})`);
  }
  const want = JSON.stringify(parts.meta ?? null), got = JSON.stringify(file.meta);
  if (want !== got) {
    throw new Error(`checkpoint: ${path} belongs to another run: its ${got} is not this run's ` +
      `${want}`);
  }
  const named = parts.model.namedParameters();
  const names = named.map(([n]) => n).sort().join(', ');
  const saved = Object.keys(file.params).sort().join(', ');
  if (names !== saved) {
    throw new Error(`checkpoint: ${path} has parameters [${saved}], the model [${names}]`);
  }
  for (const [name, v] of named) {
    const p = file.params[name];
    if (p.dtype !== v.dtype) {
      throw new Error(`checkpoint: ${path}: ${name} is ${p.dtype}, the model's ${v.dtype}`);
    }
    tidy(() => v.assign(load(p, name), { resize: true }));
    parts.optimizer.resetState(v);
    if (p.state.length > 0) {
      parts.optimizer.setState(v, p.state.map((s, i) => load(s, `${name} state ${i}`)));
    }
    parts.optimizer.setUpdates(v, p.updates);
  }
  parts.rng.setState(file.rng);
  return file.history;
}
