/** Models as safetensors files (Node only): written atomically, read with errors naming it. */
import { encodeModel, loadModel } from '../io/model-state.js';
import type { Module } from '../nn/module.js';
import { modelPart, readSafetensors } from './checkpoint.js';
import { atomicWriter } from './run-record.js';

/**
 * Writes `model` (see `encodeModel`) to `path`: to a temporary file beside it, then renamed, so
 * `path` holds the old file or the new one, never part of one.
 * @throws Error naming the path when it cannot be written.
 * @example saveModelFile('lenet5.safetensors', model, { epochs: '10' })
 */
export function saveModelFile(path: string, model: Module,
  metadata: Record<string, string> = {}): void {
  modelFileWriter(path, model, { name: 'saveModelFile' })(metadata);
}

/**
 * A writer of `model` to `path` (as `saveModelFile`), the path checked at once, so a run fails
 * before training rather than at its end; `name` (default 'modelFileWriter') names it in errors.
 * @example const save = modelFileWriter('out.safetensors', model);   // throws now if unwritable
 *          await trainer.fit(); save({ epochs: '10' });
 */
export function modelFileWriter(path: string, model: Module, o: { name?: string } = {}):
  (metadata?: Record<string, string>) => void {
  const write = atomicWriter(path, o.name ?? 'modelFileWriter');
  return (metadata = {}) => write(() => encodeModel(model, metadata));
}

/**
 * Loads the safetensors file at `path` (a model file, or a checkpoint's model) into `model`
 * (see `loadModel`); returns its metadata.
 * @throws Error naming the path: unreadable, corrupt, or not this model's.
 * @example const metadata = loadModelFile('lenet5.safetensors', model)
 */
export function loadModelFile(path: string, model: Module): Record<string, string> {
  return loadModel(model, modelPart(readSafetensors(path, 'loadModelFile')), path);
}
