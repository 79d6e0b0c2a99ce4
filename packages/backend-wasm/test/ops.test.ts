// The wasm backend's own kernels (float32 elementwise rows, where, unary, 2×2 max
// pooling, the last-two-axes transpose, the convolutions' implicit GEMM and im2col/col2im)
// against the cpu backend's TS kernels on the same inputs, NaN and ±0 included. Elementwise
// results are correctly rounded on both, so they must agree exactly (NaN with NaN; −0 with
// +0); convolutions, whose GEMMs sum in another order, to 1e-12 in
// float64 and 3e-4 in float32 (relative to 1 + the output's largest magnitude).
import t from 'tap';
import {
  add, conv2d, div, equal, greater, greaterEqual, less, lessEqual, maximum, maxPool2d, minimum,
  mul, neg, abs, notEqual, relu, setBackend, sqrt, square, sub, sum, tensor, type Tensor,
  valueAndGrads, where, closeBackends, transpose, cast, slice, concat,
} from '@dlrt/core';
import '@dlrt/backend-cpu';
import '@dlrt/backend-wasm';
import { WasmHeap } from '../src/heap.js';
import { compileKernels, instantiate } from '../src/kernels.js';
import { WasmBackend } from '../src/wasm-backend.js';

/** Values with NaN, ±0, ±Infinity, ties and ordinary numbers, deterministically. */
function values(n: number, seed: number): Float32Array {
  const special = [NaN, 0, -0, Infinity, -Infinity, 1, 1, -1];
  const v = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s % 13 === 0 ? special[s % special.length] : (s / 2 ** 31 - 1) * 3;
  }
  return v;
}

/** Runs `f` on fresh tensors of `inputs` on `backend` and returns every output's values. */
async function on(backend: string, inputs: [Float32Array, number[]][],
  f: (...xs: Tensor[]) => Tensor[], dtype: 'float32' | 'float64' = 'float32'):
  Promise<number[][]> {
  await setBackend(backend);
  const xs = inputs.map(([v, shape]) =>
    tensor(dtype === 'float32' ? v : Float64Array.from(v), shape, dtype));
  const ys = f(...xs);
  return ys.map((y) => Array.from(y.dataSync()));
}

const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));

t.test('wasm elementwise, where, max pooling and sums agree exactly with the cpu backend',
  async (t) => {
  const be = await setBackend('wasm');
  t.ok(be instanceof WasmBackend);
  const cases: [string, [Float32Array, number[]][], (...xs: Tensor[]) => Tensor[]][] = [];
  const shapes: [number[], number[]][] = [[[3, 37], [3, 37]], [[4, 5, 7], [5, 1]], [[2, 9], [1]],
    [[6], [2, 3, 6]], [[130], [130]]];
  for (const [sa, sb] of shapes) {
    const n = (s: number[]) => s.reduce((p, d) => p * d, 1);
    const inputs: [Float32Array, number[]][] = [[values(n(sa), 1), sa], [values(n(sb), 2), sb]];
    for (const [name, op] of [['add', add], ['sub', sub], ['mul', mul], ['div', div],
      ['maximum', maximum], ['minimum', minimum], ['greater', greater], ['less', less],
      ['greaterEqual', greaterEqual], ['lessEqual', lessEqual], ['equal', equal],
      ['notEqual', notEqual]] as const) {
      cases.push([`${name} ${sa}·${sb}`, inputs, (a, b) => [op(a, b)]]);
    }
    cases.push([`where ${sa}·${sb}`, inputs, (a, b) => [where(greater(a, 0), a, b),
      where(greater(b, 0.5), 2, a)]]);
  }
  for (const [name, op] of [['relu', relu], ['neg', neg], ['abs', abs], ['square', square],
    ['sqrt', sqrt]] as const) {
    cases.push([name, [[values(103, 3), [103]]], (x) => [op(x)]]);
  }
  const perms: [number[], number[]][] = [[[5, 7], [1, 0]], [[3, 9, 6], [0, 2, 1]],
    [[2, 4, 13, 5], [0, 1, 3, 2]], [[3, 4, 5], [2, 0, 1]]];
  for (const [shape, perm] of perms) {
    cases.push([`transpose [${shape}] by [${perm}]`, [[values(shape.reduce((p, d) => p * d, 1), 7),
      shape]], (x) => [transpose(x, perm), transpose(cast(greater(x, 0), 'int32'), perm)]]);
  }
  for (const shape of [[2, 3, 8, 10], [1, 2, 9, 19]] as number[][]) {
    cases.push([`maxPool2d 2×2 on [${shape}] and its gradient`,
      [[values(shape.reduce((p, d) => p * d), 4), shape]], (x) => {
        const f = (v: Tensor) => sum(mul(maxPool2d(v, { kernelSize: 2 }), 3));
        const { value, grads } = valueAndGrads(f)([x]);
        return [maxPool2d(x, { kernelSize: 2 }), value, grads[0]];
      }]);
  }
  // Sums around a kept block (conv bias gradients): float64 sums in the cpu backend's order.
  for (const [shape, axes] of [[[3, 5, 4, 7], [0, 2, 3]], [[2, 3, 4, 5, 6], [0, 3, 4]],
    [[2, 9, 1], [0, 2]], [[4, 8, 33], [0, 2]]] as [number[], number[]][]) {
    cases.push([`sum of [${shape}] over [${axes}]`, [[values(shape.reduce((p, d) => p * d),
      8).map((v) => (Number.isFinite(v) ? v * 1e3 : 0.5)), shape]], (x) => [sum(x, axes)]]);
  }
  // Sums over trailing axes (a loss, softmax rows): eight interleaved float64 sums, combined
  // in the cpu backend's order; whole blocks of 8, tails of 1–7, NaN and ±Inf among the values.
  for (const [shape, axes, scale] of [[[37], [0], 1], [[3, 37], [1], 1e3], [[4, 5, 7], [1, 2], 1],
    [[2, 1000], [0, 1], 1e3], [[6, 8], [1], 1], [[5, 3], [1], 1e3], [[2, 3, 64], [2], 1]] as
    [number[], number[], number][]) {
    const n = shape.reduce((p, d) => p * d);
    const raw = values(n, 9);
    cases.push([`sum of [${shape}] over [${axes}]${scale === 1 ? ' (NaN, ±Inf)' : ''}`,
      [[scale === 1 ? raw : raw.map((v) => (Number.isFinite(v) ? v * scale : 0.5)), shape]],
      (x) => [sum(x, axes)]]);
  }
  // Slices (one block copy of a vector's or matrix's rows; higher ranks in TS) and concats (a
  // block copy per input), in float32 and int32, rows of 1 to 13 elements, empty parts.
  const blocks: [string, number[][], (...xs: Tensor[]) => Tensor[]][] = [
    ['slice of a vector', [[13]], (x) => [slice(x, [4], [6]), slice(x, [0], [0])]],
    ['slice of a matrix', [[7, 13]], (x) => [slice(x, [2, 3], [4, 9]), slice(x, [0, 12], [7, 1]),
      slice(x, [6, 0], [1, 13])]],
    ['slice of a 3-tensor', [[3, 4, 5]], (x) => [slice(x, [1, 1, 2], [2, 3, 3])]],
    ['concat of matrices on axis 1', [[5, 3], [5, 8], [5, 0]], (a, b, c) => [concat([a, b, c], 1)]],
    ['concat of matrices on axis 0', [[2, 3], [4, 3]], (a, b) => [concat([a, b], 0)]],
    ['concat of 3-tensors on axis 1', [[2, 3, 4], [2, 1, 4]], (a, b) => [concat([a, b], 1)]],
    ['concat of vectors', [[6], [7]], (a, b) => [concat([a, b], 0)]],
  ];
  for (const [name, shapes, f] of blocks) {
    const inputs: [Float32Array, number[]][] = shapes.map((sh, i) =>
      [values(sh.reduce((p, d) => p * d, 1), 10 + i), sh]);
    cases.push([name, inputs, (...xs) => [...f(...xs),
      ...f(...xs.map((x) => cast(greater(x, 0), 'int32')))]]);
  }
  // Rows whose float64 sum depends on the order the partial sums meet (2⁶⁰ + 1 rounds to 2⁶⁰).
  const big = 2 ** 60;
  cases.push(['sum of rows that tell summation orders apart', [[Float32Array.from([
    big, -big, 0, 0, 1, 0, 0, 0, /**/ 1, big, 0, 0, 0, -big, 0, 0, /**/ big, 1, -big, 0, 0, 0, 0, 0,
  ]), [3, 8]]], (x) => [sum(x, [1])]]);
  // Leading axes summed (bias gradients), row by row in float64 on both: columns whose sum
  // depends on the order (2⁶⁰ + 1 − 2⁶⁰ is 0, 2⁶⁰ − 2⁶⁰ + 1 is 1), and random values whose
  // float32 running sums would round differently.
  cases.push(['sum of leading axes', [[Float32Array.from([
    big, big, 0, 1, 2, 3, /**/ 1, -big, 5, 1, 2, 3, /**/ -big, 1, 1, 1, 2, 3,
  ]), [3, 6]], [values(2 * 3 * 37, 5), [2, 3, 37]]], (x, y) => [sum(x, [0]), sum(y, [0, 1]),
    sum(y, [0])]]);
  for (const [name, inputs, f] of cases) {
    const want = await on('cpu', inputs, f);
    const got = await on('wasm', inputs, f);
    const bad = got.flatMap((g, k) => g.map((v, i) => [k, i, v, want[k][i]] as const))
      .filter(([, , v, w]) => !same(v, w));
    t.same(bad.slice(0, 3), [], name);
  }
  await closeBackends();
});

t.test('wasm convolutions (implicit GEMM, im2col/col2im): conv2d and both gradients match '
  + 'the cpu backend', async (t) => {
  // Panels inside and across output rows and images, padding, strides, dilation, several k
  // slices (C·kh·kw = 300; 260 filters for the input gradient), more than one 128-row block
  // of C (150 patch rows, 260 filters), and LeNet5-like rows of 24 where every fast path runs.
  // Output positions per image (Ho·Wo) a multiple of 8 (f32) or 4 (f64) store Y straight into
  // NCHW; with rows (Wo) such a multiple, no padding and unit column stride, the input
  // gradient is added straight onto dx.
  type Pair = number | [number, number];
  const layers: [number[], number[], { stride?: Pair; padding?: Pair; dilation?: Pair }][] =
    [[[3, 2, 9, 11], [4, 2, 3, 3], {}], [[2, 3, 10, 9], [5, 3, 5, 3], { padding: 2 }],
      [[2, 2, 11, 12], [3, 2, 3, 2], { stride: 2, padding: 1 }],
      [[1, 2, 12, 12], [2, 2, 3, 3], { dilation: 2, padding: 3, stride: 3 }],
      [[3, 3, 28, 28], [8, 3, 5, 5], {}], [[2, 12, 10, 10], [6, 12, 5, 5], {}],
      [[2, 2, 8, 8], [3, 2, 3, 3], { padding: 1 }],
      [[1, 6, 13, 12], [4, 6, 5, 5], { stride: [2, 1] }],
      [[1, 2, 12, 12], [3, 2, 3, 3], { dilation: [1, 2] }],
      [[1, 1, 10, 10], [260, 1, 3, 3], {}]];
  for (const [xs, ws, o] of layers) {
    const inputs: [Float32Array, number[]][] = [
      [values(xs.reduce((p, d) => p * d), 5).map((v) => (Number.isFinite(v) ? v : 0.5)), xs],
      [values(ws.reduce((p, d) => p * d), 6).map((v) => (Number.isFinite(v) ? v : -0.5)), ws]];
    const f = (x: Tensor, w: Tensor) => {
      const { value, grads } = valueAndGrads((a, b) => sum(square(conv2d(a, b, o))))([x, w]);
      return [conv2d(x, w, o), value, ...grads];
    };
    for (const [dtype, tol] of [['float64', 1e-12], ['float32', 3e-4]] as const) {
      const want = await on('cpu', inputs, f, dtype);
      const got = await on('wasm', inputs, f, dtype);
      // Normwise per output (GEMMs sum in another order): max error over 1 + max magnitude.
      let err = 0;
      got.forEach((g, k) => {
        const scale = 1 + want[k].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        g.forEach((v, i) => { err = Math.max(err, Math.abs(v - want[k][i]) / scale); });
      });
      t.ok(err < tol, `${dtype} x ${xs} w ${ws} ${JSON.stringify(o)}: relative error ${err}`);
    }
  }
  await closeBackends();
});

t.test('wasm sumMiddleF32: float64 sums in order, rounded once (direct kernel call)', async (t) => {
  const heap = new WasmHeap();
  const k = instantiate(await compileKernels(), heap.memory);
  for (const [before, outer, after] of [[3, 5, 7], [2, 8, 1], [1, 3, 64], [4, 11, 9]]) {
    const n = before * outer * after;
    const x = heap.alloc('float32', n) as Float32Array;
    x.set(values(n, outer).map((v) => (Number.isFinite(v) ? v * 1e4 : 1)));
    const out = heap.alloc('float32', outer) as Float32Array;
    k.sumMiddleF32(x.byteOffset, before, outer, after, out.byteOffset);
    const want = new Float32Array(outer);
    for (let j = 0; j < outer; j++) {
      let acc = 0;
      for (let b = 0; b < before; b++) {
        for (let i = 0; i < after; i++) acc += x[(b * outer + j) * after + i];
      }
      want[j] = acc;
    }
    t.same(Array.from(out), Array.from(want), `[${before}, ${outer}, ${after}]`);
  }
});
