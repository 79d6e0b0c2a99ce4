#!/usr/bin/env node
/**
 * `npm run replay -- RECORD.json [--epochs N]`: reruns the first N epochs (default 2) of a run
 * record (the JSON `dlrt train --json` and the experiments write) with the record's own
 * arguments, and checks that every number it recorded comes out exactly the same: losses,
 * accuracies, ranks and parameter counts (not the timings). Exit 0 when all match, 1 on any
 * difference (each is listed), 2 on bad usage. A refactoring that claims unchanged behaviour
 * shows it this way. When values differ, it also says which commit the record came from and
 * which source files changed since (record-origin.ts).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { originNote, recordOrigin } from './record-origin.js';
import { REPLAYED, replay } from './replay-record.js';

async function main(argv: string[]): Promise<number> {
  const usage = 'usage: npm run replay -- RECORD.json [--epochs N]';
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true,
      options: { epochs: { type: 'string' } } });
  } catch (e) {
    console.error(`replay: ${(e as Error).message}\n${usage}`);
    return 2;
  }
  const { positionals, values } = parsed;
  const epochs = Number(values.epochs ?? 2);
  if (positionals.length !== 1 || !Number.isInteger(epochs) || epochs < 1) {
    console.error(`replay: give one record and --epochs a positive integer\n${usage}`);
    return 2;
  }
  const file = positionals[0];
  const record = JSON.parse(readFileSync(file, 'utf8'));
  console.log(`replay: ${file}, the first ${epochs} epoch${epochs > 1 ? 's' : ''}`);
  const diff = await replay(record, epochs, (line) => console.log(`  ${line}`));
  for (const d of diff) {
    console.log(`epoch ${d.epoch} ${d.field}: recorded ${JSON.stringify(d.recorded)}, ` +
      `replayed ${JSON.stringify(d.replayed)}`);
  }
  console.log(diff.length === 0
    ? `replay: every recorded ${REPLAYED.join(', ')} matches exactly`
    : `replay: ${diff.length} value${diff.length > 1 ? 's' : ''} differ`);
  if (diff.length > 0) for (const line of originNote(recordOrigin(file))) console.log(`  ${line}`);
  return diff.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
  console.error(`replay: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
