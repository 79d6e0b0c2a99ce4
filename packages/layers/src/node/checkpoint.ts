/**
 * Per-epoch checkpoints of a training run (Node only), so that a run of hours resumes after any
 * interruption: every parameter of the model (a low-rank layer's factors at their current
 * rank), the optimizer's state of each, the generator that shuffles the batches, and the
 * history so far. Written atomically after each epoch; a resumed run replays the same draws.
 */
import { readFileSync } from 'node:fs';
import { type Rng, type RngState, tensor, tidy } from '@dlrt/core';
import { loadModel, modelRanks, modelTensors, RANKS_KEY } from '../io/model-state.js';
import {
  decodeSafetensors, encodeSafetensors, type SafeTensor, type Safetensors,
} from '../io/safetensors.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { EpochLog } from '../train/trainer.js';
import { atomicWriter } from './run-record.js';

/** What a checkpoint holds and restores. */
export interface CheckpointParts {
  /** The model: every named parameter is saved, and restored at the saved rank. */
  model: Module;
  /** The generator that shuffles the batches (the Trainer's `rng`); its state is saved. */
  rng: Rng;
  /** The optimizer whose state (and update count) of each model parameter is saved. */
  optimizer: Optimizer;
  /** Anything the caller must match on resume (e.g. the run's arguments), compared as JSON. */
  meta?: unknown;
  /**
   * The caller's own progress (JSON), saved with the state it belongs to and handed back on
   * resume: e.g. a run that counts steps, not epochs.
   */
  progress?: {
    /** The progress to save now, a JSON-serializable value. */
    save(): unknown;
    /** Takes back, on resume, the value `save` returned (parsed from JSON). */
    restore(value: unknown): void;
  };
}

/**
 * The metadata key of `meta` (JSON), in checkpoints and in model files saved by a run.
 * @example JSON.parse(readSafetensors('model.safetensors', 'show').metadata[META_KEY] ?? 'null')
 */
export const META_KEY = 'dlrt.meta';
/** The other metadata keys of a checkpoint (beside the model's ranks). */
const FORMAT = 'dlrt.checkpoint', META = META_KEY, RNG = 'dlrt.rng', HISTORY = 'dlrt.history',
  UPDATES = 'dlrt.updates', PROGRESS = 'dlrt.progress';

/** The tensor name of optimizer state `i` of parameter `name`. */
const stateName = (name: string, i: number) => `optimizer-state:${name}:${i}`;
const STATE = /^optimizer-state:(.*):(\d+)$/;

/**
 * The file's model parameters: its tensors but the optimizer state of a checkpoint (the
 * metadata is kept as is).
 * @example loadModel(model, modelPart(readSafetensors(path, 'load')), path)
 */
export function modelPart(file: Safetensors): Safetensors {
  return { tensors: new Map([...file.tensors].filter(([n]) => !STATE.test(n))),
    metadata: file.metadata };
}

/**
 * Whether the decoded file is a checkpoint (a model file with training state).
 * @example isCheckpoint(readSafetensors('run.ckpt', 'resume'))
 */
export function isCheckpoint(file: Safetensors): boolean {
  return file.metadata[FORMAT] === '2';
}

/**
 * A Trainer `onEpoch` hook that writes the checkpoint to `path` after every epoch
 * (`atomicWriter`: `path` is checked at once and always holds a whole file). The file is a
 * safetensors model file (see `encodeModel`) with the optimizer's state as more tensors and
 * the generator, history and `meta` in its metadata. It refuses, naming them, optimizer state
 * that belongs to no model parameter (an integrator's own coefficients under momentum or
 * Adam), which it could not restore.
 * @throws Error naming `checkpoint` and the path when the path cannot be written (at once) or
 *   a write fails.
 * @example const onEpoch = checkpointWriter('run.ckpt', { model, rng, optimizer });
 *          await new Trainer({ model, integrator, train, epochs: 10, batchSize: 128, rng,
 *            onEpoch }).fit();
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
    const state: [string, SafeTensor][] = named.flatMap(([name, v]) =>
      (parts.optimizer.state(v) ?? []).map((t, i) => [stateName(name, i), {
        dtype: t.dtype as SafeTensor['dtype'], shape: [...t.shape],
        data: t.dataSync().slice() as SafeTensor['data'] }] as [string, SafeTensor]));
    write(() => encodeSafetensors([...modelTensors(parts.model), ...state], {
      [FORMAT]: '2', [META]: JSON.stringify(parts.meta ?? null),
      [RNG]: JSON.stringify(parts.rng.getState()), [HISTORY]: JSON.stringify(history),
      [UPDATES]: JSON.stringify(Object.fromEntries(named.map(([n, v]) =>
        [n, parts.optimizer.updates(v)]))),
      [RANKS_KEY]: JSON.stringify(modelRanks(parts.model)),
      ...(parts.progress ? { [PROGRESS]: JSON.stringify(parts.progress.save()) } : {}),
    }));
  };
}

/**
 * Restores the checkpoint at `path` into `parts` (parameters resized to the saved ranks,
 * optimizer state, generator) and returns its history. Errors name the file and the
 * mismatch: not a checkpoint, other `meta`, other parameters, shapes or dtypes.
 * @example const done = readCheckpoint('run.ckpt', { model, rng, optimizer });
 *          await new Trainer({ ...options, resumeFrom: done }).fit();
 */
export function readCheckpoint(path: string, parts: CheckpointParts): EpochLog[] {
  return restore(readSafetensors(path, 'checkpoint'), path, parts);
}

/** readCheckpoint on a file already read (`path` names it in errors). */
function restore(file: Safetensors, path: string, parts: CheckpointParts): EpochLog[] {
  if (!isCheckpoint(file)) {
    throw new Error(`checkpoint: ${path} is a model file without training state, not a ` +
      'checkpoint');
  }
  for (const key of [RNG, HISTORY]) {
    if (file.metadata[key] === undefined) {
      throw new Error(`checkpoint: ${path} has no '${key}' metadata; it is not a whole checkpoint`);
    }
  }
  const want = JSON.stringify(parts.meta ?? null), got = file.metadata[META];
  if (want !== got) {
    throw new Error(`checkpoint: ${path} belongs to another run: its ${got} is not this run's ` +
      `${want}`);
  }
  const named = parts.model.namedParameters();
  const states = new Map<string, SafeTensor[]>();
  const params = new Map<string, SafeTensor>();
  for (const [name, t] of file.tensors) {
    const m = STATE.exec(name);
    if (m) (states.get(m[1]) ?? states.set(m[1], []).get(m[1])!)[Number(m[2])] = t;
    else params.set(name, t);
  }
  loadModel(parts.model, { tensors: params, metadata: file.metadata }, path);
  const updates = JSON.parse(file.metadata[UPDATES] ?? '{}') as Record<string, number>;
  for (const [name, v] of named) {
    parts.optimizer.resetState(v);
    const s = states.get(name) ?? [];
    if (s.length > 0) {
      parts.optimizer.setState(v, s.map((t) => tidy(() => tensor(t.data, t.shape, t.dtype))));
    }
    parts.optimizer.setUpdates(v, updates[name] ?? 0);
  }
  parts.rng.setState(JSON.parse(file.metadata[RNG]) as RngState);
  if (parts.progress) {
    if (file.metadata[PROGRESS] === undefined) {
      throw new Error(`checkpoint: ${path} holds no progress for this run to resume from`);
    }
    parts.progress.restore(JSON.parse(file.metadata[PROGRESS]));
  }
  return JSON.parse(file.metadata[HISTORY]) as EpochLog[];
}

/**
 * The decoded file at `path`; errors name `who` and the path when it cannot be read, and the
 * path when it is not a valid safetensors file.
 * @example const { tensors, metadata } = readSafetensors('model.safetensors', 'inspect')
 */
export function readSafetensors(path: string, who: string): Safetensors {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`${who}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ??
      (e as Error).message}`);
  }
  return decodeSafetensors(bytes, path);
}

/**
 * Starts a run from the file at `path`: a checkpoint of the same run (its `meta` equal to
 * `parts.meta`) resumes, as `readCheckpoint`, and its history is returned; any other model
 * file, or another run's checkpoint, only gives the model its weights (at the saved ranks),
 * and the result is null.
 * @example const done = startFrom(args.init, { model, rng, optimizer, meta: args });
 *          await new Trainer({ ...options, resumeFrom: done ?? undefined }).fit();
 */
export function startFrom(path: string, parts: CheckpointParts): EpochLog[] | null {
  const file = readSafetensors(path, 'startFrom');
  if (isCheckpoint(file) && file.metadata[META] === JSON.stringify(parts.meta ?? null)) {
    return restore(file, path, parts);
  }
  loadModel(parts.model, modelPart(file), path);
  return null;
}
