/** Models as safetensors files (Node only): written atomically, read with errors naming it. */
import { readFileSync } from 'node:fs';
import { encodeModel, loadModel } from '../io/model-state.js';
import type { Module } from '../nn/module.js';
import { atomicWriter } from './run-record.js';

/**
 * Writes `model` (see `encodeModel`) to `path`: to a temporary file beside it, then renamed, so
 * `path` holds the old file or the new one, never part of one.
 * @throws Error naming the path when it cannot be written.
 */
export function saveModelFile(path: string, model: Module,
  metadata: Record<string, string> = {}): void {
  atomicWriter(path, 'saveModelFile')(() => encodeModel(model, metadata));
}

/**
 * Loads the safetensors file at `path` into `model` (see `loadModel`); returns its metadata.
 * @throws Error naming the path: unreadable, corrupt, or not this model's.
 */
export function loadModelFile(path: string, model: Module): Record<string, string> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`loadModelFile: cannot read '${path}': ${(e as NodeJS.ErrnoException).code ??
      (e as Error).message}`);
  }
  return loadModel(model, bytes, path);
}
