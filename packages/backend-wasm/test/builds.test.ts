// The kernel build can be chosen. Oracle: the build that loads, and the bits a product gets:
// the plain build forced where relaxed SIMD is on gives the same bits as where it is off (what
// lets a record made on one runtime replay on another).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { setBackend } from '@dlrt/core';
import { compileKernels } from '../src/index.js';
import { productBits } from './fixtures/product.js';

const relaxedHere = WebAssembly.validate(readFileSync(new URL('../build/kernels-relaxed.wasm',
  import.meta.url)));

t.test('build: simd is the plain build everywhere; auto and relaxed as the runtime allows',
  async (t) => {
    t.equal((await productBits('simd'))[0], 'simd');
    t.equal((await productBits('auto'))[0], relaxedHere ? 'relaxed' : 'simd');
    if (relaxedHere) {
      t.equal((await compileKernels('relaxed')).flavor, 'relaxed');
    } else {
      await t.rejects(compileKernels('relaxed'), new RegExp('wasm: this runtime does not ' +
        'validate the relaxed-SIMD build \\(Node 20 needs --experimental-wasm-relaxed-simd'));
      await t.rejects(setBackend('wasm', { build: 'relaxed' }), /relaxed-SIMD build/);
    }
  });

t.test('bad build values are errors naming the option', async (t) => {
  await t.rejects(setBackend('wasm', { build: 'fast' }),
    /setBackend\('wasm'\): build must be one of auto, simd, relaxed, got 'fast'/);
  await t.rejects(compileKernels('fast' as 'auto'),
    /wasm: build must be one of auto, simd, relaxed/);
  await t.rejects(setBackend('wasm', { builds: 'simd' }),
    /setBackend\('wasm'\): unknown option builds \(known: threads, build\)/);
});

// Node 20 turns relaxed SIMD on only with a flag: a child process with it must pick the relaxed
// build by default, and, told 'simd', reproduce this process's plain-build bits exactly.
t.test('with relaxed SIMD on, build simd gives the bits of a runtime without it',
  { skip: relaxedHere ? 'relaxed SIMD is on here already' : false }, async (t) => {
    const here = await productBits('simd');
    const child = spawnSync(process.execPath, [...process.execArgv,
      '--experimental-wasm-relaxed-simd',
      fileURLToPath(new URL('fixtures/product-bits.ts', import.meta.url))], { encoding: 'utf8' });
    t.equal(child.status, 0, child.stderr);
    const got = JSON.parse(child.stdout.trim().split('\n').at(-1)!);
    t.equal(got.auto[0], 'relaxed', 'auto loads the relaxed build there');
    t.equal(got.simd[0], 'simd');
    t.equal(got.simd[1], here[1], 'the plain build gives the same bits as here');
    t.not(got.auto[1], here[1], 'the relaxed build rounds differently');
  });
