/**
 * A model saved by `dlrt train --save` (or `--checkpoint`): its run's arguments, read from the
 * file's metadata, and the model they describe with the file's weights at their ranks. Shared
 * by `dlrt eval` and `dlrt finetune`.
 */
import { Rng } from '@dlrt/core';
import { loadModel, type Safetensors, type Sequential } from '@dlrt/layers';
import { META_KEY, modelPart, readSafetensors } from '@dlrt/layers/node';
import { DEFAULTS, drawModel, type TrainArgs } from './train.js';

/** The file at `path` and the arguments of the run that saved it; errors name `who`. */
export function savedRun(path: string, who: string): { args: TrainArgs; file: Safetensors } {
  const file = readSafetensors(path, who);
  const raw = file.metadata[META_KEY];
  if (raw === undefined) {
    throw new Error(`${who}: ${path} names no run arguments (metadata '${META_KEY}'): ` +
      'save models with dlrt train --save');
  }
  return { args: { ...DEFAULTS, ...(JSON.parse(raw) as Partial<TrainArgs>) }, file };
}

/** The model `args` describes, with the weights of `file` (a backend must be set). */
export function savedModel(args: TrainArgs, file: Safetensors, path: string): Sequential {
  const model = drawModel(args, new Rng(args.seed));
  try {
    loadModel(model, modelPart(file), path);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
