#!/usr/bin/env node
/** The `dlrt` command. */
import { parseTrainArgs, USAGE, UsageError } from './args.js';
import { train } from './train.js';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'train') throw new UsageError(`unknown command '${command}'`);
  await train(parseTrainArgs(rest), (line) => console.log(line));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    if (e instanceof UsageError) console.error(`dlrt: ${e.message}\n${USAGE}`);
    else console.error(`dlrt: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  },
);
