#!/usr/bin/env node
/** The `dlrt` command. */
import { readFileSync } from 'node:fs';
import { LowRankSizeError } from '@dlrt/layers';
import { parseCommand } from './args.js';
import { evalFile } from './eval.js';
import { finetune } from './finetune.js';
import { HELP, USAGE } from './help.js';
import { plot } from './plot.js';
import { showValue, UsageError } from './options.js';
import { train, type TrainArgs } from './train.js';

/** The version in packages/cli/package.json (one level above both src/ and dist/). */
function version(): string {
  const pkg = new URL('../package.json', import.meta.url);
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

/** A rank above a layer's cap, told as the flag that asked for it (or the demo's preset). */
function rankError(e: LowRankSizeError, args: TrainArgs, argv: readonly string[]): UsageError {
  const flag = e.key === 'rank' ? '--rank' : '--max-rank';
  const given = showValue(args[e.key]);
  const preset = argv.some((x) => x === flag || x.startsWith(`${flag}=`)) ? '' : ' (--demo)';
  const which = given === String(e.value) ? ' ' : `: ${e.value} `;
  return new UsageError(`${flag} ${given}${preset}${which}is above ${e.limit}`);
}

async function main(argv: string[]): Promise<number> {
  const command = parseCommand(argv);
  if (command.kind === 'help') console.log(HELP);
  else if (command.kind === 'version') console.log(version());
  else if (command.kind === 'eval') await evalFile(command.args, (line) => console.log(line));
  else if (command.kind === 'plot') plot(command.args, (line) => console.log(line));
  else if (command.kind === 'finetune') {
    await finetune(command.args, (line) => console.log(line));
  }
  else {
    try {
      await train(command.args, (line) => console.log(line));
    } catch (e) {
      throw e instanceof LowRankSizeError ? rankError(e, command.args, argv) : e;
    }
  }
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
