// tileCeiling runs the GEMM's register tile alone and checks its product against float64
// before it times anything, so a wrong tile fails here rather than reporting a rate.
import t from 'tap';
import { checkProduct } from '../src/ceiling.js';
import { compileKernels, tileCeiling } from '../src/index.js';

t.test('tileCeiling: a rate per round, for both dtypes, from the build in use', async (t) => {
  const { flavor } = await compileKernels();
  for (const dtype of ['float32', 'float64'] as const) {
    const c = await tileCeiling(dtype, { rounds: 3, roundMs: 2 });
    t.equal(c.dtype, dtype);
    t.equal(c.flavor, flavor, `the ${flavor} build`);
    t.equal(c.rounds.length, 3, 'one rate per round');
    t.ok(c.rounds.every((r) => Number.isFinite(r) && r > 0), `rates ${c.rounds.join(', ')}`);
    t.equal(c.gflops, Math.max(...c.rounds), 'the fastest round counts');
  }
  t.equal((await tileCeiling('float32', { rounds: 1, roundMs: 1, build: 'simd' })).flavor,
    'simd', 'a named build');
});

t.test('tileCeiling: bad options name the option and the value', async (t) => {
  await t.rejects(tileCeiling('int32' as 'float32'),
    /tileCeiling: dtype must be 'float32' or 'float64', got 'int32'/);
  await t.rejects(tileCeiling('float32', { rounds: 0 }),
    /tileCeiling: rounds must be an integer ≥ 1, got 0/);
  await t.rejects(tileCeiling('float32', { rounds: 2.5 }),
    /rounds must be an integer ≥ 1, got 2.5/);
  await t.rejects(tileCeiling('float64', { roundMs: Number.NaN }),
    /tileCeiling: roundMs must be a positive number, got NaN/);
  await t.rejects(tileCeiling('float64', { roundMs: -1 }), /roundMs must be a positive number/);
});

t.test('checkProduct: the product check passes A·B and names a wrong entry', (t) => {
  const m = 2, nr = 3, kc = 128;
  const A = Float64Array.from({ length: m * kc }, (_, i) => Math.sin(i));
  const B = Float64Array.from({ length: kc * nr }, (_, i) => Math.cos(i));
  const C = new Float64Array(m * nr);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < nr; j++) {
      for (let p = 0; p < kc; p++) C[i * nr + j] += A[i * kc + p] * B[p * nr + j];
    }
  }
  t.doesNotThrow(() => checkProduct(A, B, C, m, nr, 'float64'));
  C[4] += 1e-9;
  t.throws(() => checkProduct(A, B, C, m, nr, 'float64'),
    /tileCeiling: the float64 tile computed C\[1\]\[1\] = /);
  t.end();
});
