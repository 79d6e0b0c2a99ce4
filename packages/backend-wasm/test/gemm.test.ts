// Oracle: the naive float64 reference of @dlrt/backend-cpu/testing, on every transpose, odd
// sizes (edge tiles), k beyond one packed slice, n beyond one packed block, accumulation,
// offsets, and operands inside and outside the wasm memory.
import t from 'tap';
import { type GemmArgs, ThreadPool } from '@dlrt/backend-cpu';
import { type Alloc, type Case, FLAGS, check, name, sweep } from '@dlrt/backend-cpu/testing';
import { TILE, WasmGemm, stridedKernel } from '../src/gemm.js';
import { WasmHeap } from '../src/heap.js';
import { compileKernels, instantiate } from '../src/kernels.js';

const compiled = await compileKernels();
const heap = new WasmHeap();
const exports = instantiate(compiled, heap.memory);
const scratch = heap.malloc(exports.gemmScratchBytes())!;
const kernel = stridedKernel(exports, scratch);
const one = new WasmGemm(heap, kernel, null);
const inHeap: Alloc = (T, n) => heap.alloc(T === Float64Array ? 'float64' : 'float32', n) as
  Float32Array | Float64Array;

t.test(`wasm gemm (${compiled.flavor}) matches a naive reference`, (t) => {
  for (const T of [Float64Array, Float32Array]) {
    // Operands in the wasm memory, and every fifth case on the JS heap (copied in).
    const { count, failures } = sweep(one.run, T, (seed) => (seed % 5 === 0 ? undefined : inHeap));
    t.same(failures.slice(0, 10), [], `${T.name}: ${count} cases`);
  }
  t.end();
});

t.test('wasm gemm: several packed blocks and slices (n > 1024, k > 256)', (t) => {
  let seed = 100;
  for (const T of [Float64Array, Float32Array]) {
    for (const [transA, transB] of FLAGS) {
      for (const [m, n, k] of [[100, 520, 260], [9, 1100, 13], [37, 5, 530]]) {
        const cs: Case = { T, m, n, k, transA, transB, accumulate: transA, offsets: true };
        t.equal(check(one.run, cs, seed++, inHeap), '', name(cs));
      }
    }
  }
  t.end();
});

t.test('wasm gemm: zero-sized dimensions', (t) => {
  for (const T of [Float64Array, Float32Array]) {
    const a = inHeap(T, 8).fill(1), b = inHeap(T, 8).fill(1);
    const base = { a, aOffset: 0, transA: false, b, bOffset: 0, transB: false, cOffset: 1 };
    let c = inHeap(T, 8).fill(5);
    one.run({ ...base, m: 2, n: 3, k: 0, c });
    t.same(Array.from(c), [5, 0, 0, 0, 0, 0, 0, 5], `${T.name} k=0 clears C`);
    c = inHeap(T, 8).fill(5);
    one.run({ ...base, m: 2, n: 3, k: 0, c, accumulate: true });
    t.same(Array.from(c), [5, 5, 5, 5, 5, 5, 5, 5], `${T.name} k=0 accumulate leaves C`);
    for (const [m, n] of [[0, 3], [3, 0]]) {
      c = inHeap(T, 8).fill(5);
      one.run({ ...base, m, n, k: 2, c });
      t.same(Array.from(c), [5, 5, 5, 5, 5, 5, 5, 5], `${T.name} m=${m} n=${n}`);
    }
  }
  t.end();
});

t.test('wasm gemm: mixed element types are rejected', (t) => {
  const g: GemmArgs = {
    m: 20, n: 20, k: 20, a: inHeap(Float32Array, 400), aOffset: 0, transA: false,
    b: inHeap(Float64Array, 400), bOffset: 0, transB: false, c: inHeap(Float64Array, 400),
    cOffset: 0,
  };
  t.throws(() => one.run(g), TypeError);
  t.end();
});

t.test('wasm gemm on two threads: workers compute in the same memory', async (t) => {
  const workerScratch = heap.malloc(exports.gemmScratchBytes())!;
  const warm = heap.malloc(3 * 131 * 131 * 8)!;
  const pool = new ThreadPool(2, {
    kernel, tile: TILE,
    worker: {
      name: 'worker', url: new URL('../src/wasm-backend.ts', import.meta.url).href,
      data: () => ({
        module: compiled.module, flavor: compiled.flavor, memory: heap.memory,
        scratch: workerScratch, warm,
      }),
    },
  });
  t.teardown(() => pool.close());
  t.equal(await pool.ready(), 1, 'its worker started');
  const two = new WasmGemm(heap, kernel, pool);
  let seed = 500;
  for (const T of [Float64Array, Float32Array]) {
    for (const [m, n, k] of [[150, 151, 149], [61, 311, 173], [300, 17, 601]]) {
      for (const [transA, transB] of FLAGS) {
        const cs: Case = { T, m, n, k, transA, transB, accumulate: transB, offsets: transA };
        t.equal(check(two.run, cs, seed++, inHeap), '', `2 threads ${name(cs)}`);
      }
    }
  }
});
