/**
 * Bench entry: `node bench/dist/main.js [--tag NAME] [suite ...]` (root script: `pnpm bench
 * matmul`). Runs the named suites in order, or every suite when none is named; with --tag, the
 * records are <suite>-NAME.json and .md, beside those of other machines.
 */
import { type BenchArgs, parseBenchArgs } from './args.js';
import { runMatmul } from './matmul.js';
import { setRecordTag } from './report.js';

const SUITES: Record<string, () => Promise<void>> = {
  matmul: runMatmul,
  linalg: async () => (await import('./linalg.js')).runLinalg(),
  conv: async () => (await import('./conv.js')).runConv(),
  steps: async () => (await import('./steps.js')).runSteps(),
  epoch: async () => (await import('./epoch.js')).runEpoch(),
  profile: async () => (await import('./profile.js')).runProfile(),
  adapters: async () => (await import('./adapters.js')).runAdapters(),
  tucker: async () => (await import('./tucker.js')).runTucker(),
  attention: async () => (await import('./attention.js')).runAttention(),
  ceiling: async () => (await import('./ceiling.js')).runCeiling(),
};

async function main(argv: string[]): Promise<void> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(argv, Object.keys(SUITES));
  } catch (e) {
    console.error((e as Error).message);
    process.exitCode = 2;
    return;
  }
  setRecordTag(args.tag);
  for (const name of args.suites) {
    console.log(`\n== ${name} ==`);
    await SUITES[name]();
  }
}

await main(process.argv.slice(2));
