/**
 * Bench entry: `node bench/dist/main.js [suite ...]` (root script: `pnpm bench matmul`).
 * Runs the named suites in order, or every suite when none is named.
 */
import { runMatmul } from './matmul.js';

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
  const unknown = argv.filter((s) => !(s in SUITES));
  if (unknown.length > 0) {
    const known = Object.keys(SUITES).join(', ');
    console.error(`unknown suite(s): ${unknown.join(', ')}; known: ${known}`);
    process.exitCode = 2;
    return;
  }
  for (const name of argv.length > 0 ? argv : Object.keys(SUITES)) {
    console.log(`\n== ${name} ==`);
    await SUITES[name]();
  }
}

await main(process.argv.slice(2));
