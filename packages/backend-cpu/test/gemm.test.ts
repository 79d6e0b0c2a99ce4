import t from 'tap';
import { gemm, type FloatArray, type GemmArgs } from '../src/kernels/gemm.js';
import { type Case, FLAGS, check, lcg, name, sweep } from '../src/testing/gemm-cases.js';
import { PARALLEL_MIN_MNK, ThreadPool, allocShared, isShared } from '../src/threads/pool.js';

t.test('gemm matches a naive reference: all transposes, odd sizes, offsets, accumulate', (t) => {
  for (const T of [Float64Array, Float32Array]) {
    const { count, failures } = sweep(gemm, T);
    t.same(failures.slice(0, 10), [], `${T.name}: ${count} cases`);
  }
  t.end();
});

t.test('gemm: large blocks (several MC/NC/KC blocks, edge tiles)', (t) => {
  let seed = 100;
  for (const T of [Float64Array, Float32Array]) {
    for (const [transA, transB] of FLAGS) {
      for (const [m, n, k] of [[100, 520, 260], [97, 3, 515], [4, 600, 9]]) {
        const cs: Case = { T, m, n, k, transA, transB, accumulate: transA, offsets: true };
        t.equal(check(gemm, cs, seed++), '', name(cs));
      }
    }
  }
  t.end();
});

t.test('gemm: zero-sized dimensions', (t) => {
  for (const T of [Float64Array, Float32Array]) {
    const a = new T(8).fill(1), b = new T(8).fill(1);
    const base = { a, aOffset: 0, transA: false, b, bOffset: 0, transB: false, cOffset: 1 };
    // k = 0: C = 0, or untouched when accumulating.
    let c = new T(8).fill(5);
    gemm({ ...base, m: 2, n: 3, k: 0, c });
    t.same(Array.from(c), [5, 0, 0, 0, 0, 0, 0, 5], `${T.name} k=0 clears C`);
    c = new T(8).fill(5);
    gemm({ ...base, m: 2, n: 3, k: 0, c, accumulate: true });
    t.same(Array.from(c), [5, 5, 5, 5, 5, 5, 5, 5], `${T.name} k=0 accumulate leaves C`);
    // m = 0 or n = 0: C is empty, nothing is written.
    for (const [m, n] of [[0, 3], [3, 0], [0, 0]]) {
      c = new T(8).fill(5);
      gemm({ ...base, m, n, k: 2, c });
      t.same(Array.from(c), [5, 5, 5, 5, 5, 5, 5, 5], `${T.name} m=${m} n=${n}`);
    }
  }
  t.end();
});

t.test('gemm: mixed element types are rejected', (t) => {
  const g: GemmArgs = {
    m: 2, n: 2, k: 2, a: new Float32Array(4), aOffset: 0, transA: false,
    b: new Float64Array(4), bOffset: 0, transB: false, c: new Float64Array(4), cOffset: 0,
  };
  t.throws(() => gemm(g), TypeError);
  t.end();
});

t.test('allocShared', (t) => {
  const x = allocShared('float32', 5), y = allocShared('float64', 3), z = allocShared('int32', 2);
  t.ok(x instanceof Float32Array && x.length === 5 && isShared(x));
  t.ok(y instanceof Float64Array && y.length === 3 && isShared(y));
  t.ok(z instanceof Int32Array && z.length === 2 && isShared(z));
  t.notOk(isShared(new Float32Array(2)));
  t.end();
});

t.test('ThreadPool(2).gemm: above the threshold, shared and non-shared inputs', async (t) => {
  const pool = new ThreadPool(2);
  t.equal(pool.threads, 2);
  // From built JS and from the sources alike (the tests run the sources through tsx).
  t.equal(await pool.ready(), 1, 'its worker thread started');
  t.teardown(() => pool.close());
  // Row splits (n ≤ m), column splits (n > m), odd sizes, every transpose.
  const shapes = [[150, 151, 149], [61, 311, 173], [300, 17, 601], [7, 700, 620]];
  let seed = 500;
  for (const T of [Float64Array, Float32Array]) {
    for (const [m, n, k] of shapes) {
      t.ok(m * n * k >= PARALLEL_MIN_MNK, `${m}x${k}x${n} is above the threshold`);
      for (const [transA, transB] of FLAGS) {
        const cs: Case = { T, m, n, k, transA, transB, accumulate: transB, offsets: transA };
        t.equal(check((g) => pool.gemm(g), cs, seed++), '', `pool ${name(cs)}`);
      }
    }
    // Shared operands are used in place (no copies): results must match gemm() bit for bit.
    const shared = (len: number): FloatArray =>
      T === Float32Array ? allocShared('float32', len) : allocShared('float64', len);
    const [m, n, k] = [160, 150, 140];
    const rnd = lcg(seed++);
    const a = shared(m * k + 1), b = shared(k * n);
    for (let i = 0; i < a.length; i++) a[i] = rnd();
    for (let i = 0; i < b.length; i++) b[i] = rnd();
    const c1 = shared(m * n), c2 = new T(m * n);
    const g = { m, n, k, a, aOffset: 1, transA: false, b, bOffset: 0, transB: true };
    pool.gemm({ ...g, c: c1, cOffset: 0 });
    gemm({ ...g, c: c2, cOffset: 0 });
    t.same(Array.from(c1), Array.from(c2), `${T.name}: shared in place = single thread`);
  }
  // Below the threshold the pool runs on the calling thread; still correct.
  t.equal(check((g) => pool.gemm(g), {
    T: Float32Array, m: 9, n: 10, k: 11, transA: true, transB: false,
    accumulate: false, offsets: true,
  }, 9), '', 'pool below threshold');
});

t.test('ThreadPool(1) runs on the calling thread; closed pools still work', async (t) => {
  const one = new ThreadPool(1);
  t.equal(one.threads, 1);
  const cs: Case = {
    T: Float64Array, m: 140, n: 150, k: 160, transA: false, transB: false,
    accumulate: false, offsets: false,
  };
  t.equal(check((g) => one.gemm(g), cs, 7), '');
  await one.close();
  const two = new ThreadPool(2);
  await two.close();
  t.equal(check((g) => two.gemm(g), cs, 8), '', 'after close()');
  t.throws(() => new ThreadPool(0));
});
