/** @dlrt/cli as a library: the pieces behind the `dlrt` command. */
export {
  train, DEFAULTS, DEMO, drawModel, loadData, startBackend, type TrainArgs,
} from './train.js';
export {
  parseCommand, parseEvalArgs, parseFinetuneArgs, parseTrainArgs, type Command,
} from './args.js';
export { finetune, FINETUNE_DEFAULTS, type FinetuneArgs } from './finetune.js';
export { savedModel, savedRun } from './saved.js';
export { evalFile, type EvalArgs, type EvalResult } from './eval.js';
export { OPTIONS, type OptionSpec, UsageError } from './options.js';
export { HELP, USAGE } from './help.js';
export { markdownTable } from './markdown.js';
export { type LMArgs, type LMRecord, trainLM } from './lm.js';
export { parsePlotArgs, plot, type PlotArgs, plotRuns } from './plot.js';
