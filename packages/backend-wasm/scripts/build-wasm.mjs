// Builds the AssemblyScript kernels (assembly/) into build/kernels-simd.wasm (SIMD128) and
// build/kernels-relaxed.wasm (plus relaxed SIMD); the backend picks one at load.
import { main } from 'assemblyscript/asc';
import { mkdirSync } from 'node:fs';

const here = new URL('..', import.meta.url).pathname;
mkdirSync(`${here}build`, { recursive: true });
const common = [
  `${here}assembly/index.ts`, '-O3', '--noAssert', '--runtime', 'stub',
  '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536',
  '--enable', 'simd', '--enable', 'threads',
];
for (const [name, extra] of [['simd', []], ['relaxed', ['--enable', 'relaxed-simd']]]) {
  const { error, stderr } = await main([...common, ...extra, '-o', `${here}build/kernels-${name}.wasm`]);
  if (error) {
    console.error(stderr.toString());
    console.error(`build-wasm: ${name}: ${error.message}`);
    process.exit(1);
  }
}
