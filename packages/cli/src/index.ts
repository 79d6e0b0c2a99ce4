/** @dlrt/cli as a library: the pieces behind the `dlrt` command. */
export { train, DEFAULTS, DEMO, type TrainArgs } from './train.js';
export { parseTrainArgs, USAGE, UsageError } from './args.js';
export { markdownTable } from './markdown.js';
