// Inputs that used to give a silent wrong answer or a long wait now fail at once with an error
// naming the op and the value. Oracles: the error messages; for the valid neighbours of each
// bad input, hand values (int32 bounds, truncation toward zero) and L·Lᵀ = a.
import t from 'tap';
import {
  add, arange, cast, diag, eye, full, gather, greater, linalg, matmul, MAX_ELEMENTS, mul, oneHot,
  ones, pad, rand, randn, Rng, slice, tensor, tidy, transpose, where, zeros,
} from '@dlrt/core';
import '@dlrt/backend-cpu';
import { maxAbsDiff } from '@dlrt/core/testing';

t.test('int32 tensors hold only integers in [−2³¹, 2³¹ − 1]', async (t) => {
  t.throws(() => tensor([3e9], [1], 'int32'),
    /tensor: int32 value 3000000000 at index 0 is outside \[-2147483648, 2147483647\]/);
  t.throws(() => tensor([1, 1.5], [2], 'int32'),
    /tensor: int32 value 1.5 at index 1 is not an integer/);
  t.throws(() => tensor(new Float64Array([2, -0.5]), [2], 'int32'),
    /tensor: int32 value -0.5 at index 1 is not an integer/);
  t.throws(() => full([2], NaN, 'int32'), /full: int32 value NaN is not an integer/);
  t.throws(() => full([2], 2 ** 31, 'int32'), /full: int32 value 2147483648 is outside/);
  t.throws(() => diag([1, 2.5], 'int32'), /diag: int32 value 2.5 at index 1 is not an integer/);
  t.throws(() => arange(0, 2, 0.5, 'int32'), /arange: int32 value 0.5 \(step\) is not an integer/);
  t.throws(() => arange(2 ** 31 - 2, 2 ** 31 + 1, 1, 'int32'),
    /arange: int32 value 2147483648 \(last value\) is outside/);
  const edge = tensor([-(2 ** 31), 2 ** 31 - 1], [2], 'int32');
  t.same(Array.from(edge.dataSync()), [-(2 ** 31), 2 ** 31 - 1], 'the bounds themselves are fine');
  t.same(Array.from(arange(0, 6, 2, 'int32').dataSync()), [0, 2, 4]);
});

t.test('cast to int32 truncates toward zero, and refuses what int32 cannot hold', async (t) => {
  t.same(Array.from(cast(tensor([2.7, -2.7, 0.5]), 'int32').dataSync()), [2, -2, 0]);
  t.throws(() => cast(tensor([1, NaN]), 'int32'), /cast: \[2\] float32 holds NaN or ±Infinity/);
  t.throws(() => cast(tensor([1, Infinity], [2], 'float64'), 'int32'), /holds NaN or ±Infinity/);
  t.throws(() => cast(tensor([3e9], [1], 'float64'), 'int32'),
    /cast: \[1\] float64 ranges over \[3000000000, 3000000000\], outside int32's/);
});

t.test('an oversized tensor fails at once, naming the op and the shape', async (t) => {
  const began = Date.now();
  t.throws(() => zeros([2 ** 31]),
    /zeros: shape \[2147483648\] has 2147483648 elements, more than the limit 1073741824/);
  t.throws(() => full([2 ** 16, 2 ** 16], 1),
    /full: shape \[65536,65536\] has 4294967296 elements/);
  t.throws(() => arange(0, 2 ** 31), /arange: shape \[2147483648\]/);
  const a = ones([2 ** 16, 1]);
  t.throws(() => matmul(a, a, { transposeB: true }),
    /matmul: shape \[65536,65536\] has 4294967296 elements, more than the limit/);
  t.ok(Date.now() - began < 2000, `all refused within ${Date.now() - began} ms`);
  t.equal(MAX_ELEMENTS, 2 ** 30);
  t.throws(() => zeros([2, -1]), /shape \[2,-1\] must hold non-negative integers/);
  t.throws(() => zeros([NaN]), /must hold non-negative integers/);
});

t.test('seeds are integers in [0, 2³²); no two seeds alias', async (t) => {
  for (const bad of [1.5, -1, 2 ** 32, NaN, Infinity]) {
    t.throws(() => new Rng(bad), new RegExp(`Rng: seed must be an integer in \\[0, 2\\^32\\), ` +
      `got ${String(bad).replace('.', '\\.')}`));
  }
  t.throws(() => new Rng('7' as unknown as number), /got '7'/);
  t.throws(() => randn([2], { seed: 0.5 }), /Rng: seed must be an integer/);
  const first = (s: number) => new Rng(s).nextUint32();
  t.not(first(0), first(2 ** 32 - 1), 'the extreme seeds differ');
});

t.test('an Rng state, saved and restored, replays the same draws; a bad state is refused',
  async (t) => {
    const a = new Rng(42);
    for (let i = 0; i < 5; i++) a.nextUint32();
    a.normal();                                     // leaves a spare normal in the state
    const state = JSON.parse(JSON.stringify(a.getState()));
    t.ok(state.words.every((w: number) => w >= 0 && w < 2 ** 32) && state.spare !== null);
    const want = [a.normal(), a.uniform(), a.nextUint32(), a.normal()];
    const b = new Rng(7);
    b.setState(state);
    t.same([b.normal(), b.uniform(), b.nextUint32(), b.normal()], want);
    for (const bad of [{ words: [0, 0, 0, 0], spare: null }, { words: [1, 2, 3], spare: null },
      { words: [1, 2, 3, 2 ** 32], spare: null }, { words: [1, 2, 3, 4], spare: NaN }]) {
      t.throws(() => b.setState(bad as never), /^Rng\.setState: expected four 32-bit words/);
    }
  });

t.test('gather refuses indices out of range', async (t) => {
  const x = tensor([[1, 2], [3, 4], [5, 6]]);
  t.throws(() => gather(x, tensor([0, 3], [2], 'int32'), 0),
    /gather: indices range over \[0, 3\], outside \[0, 3\)/);
  t.throws(() => gather(x, tensor([-1], [1], 'int32'), 1), /gather: indices range over \[-1, -1\]/);
  t.same(Array.from(gather(x, tensor([2, 0], [2], 'int32'), 0).dataSync()), [5, 6, 1, 2]);
});

t.test('linalg.cholesky refuses a matrix that is not symmetric', async (t) => {
  const a = tensor([[4, 1], [3, 5]], [2, 2], 'float64');
  // max|a − aᵀ| = |1 − 3| = 2 over max|a| = 5.
  t.throws(() => linalg.cholesky(a),
    /linalg.cholesky: a \[2,2\] is not symmetric: max\|a − aᵀ\|\/max\|a\| = 4\.00e-1 > 1\.49e-8/);
  // A Gram matrix from a product is symmetric only to roundoff; it passes, and L·Lᵀ = a.
  const x = randn([40, 6], { seed: 3, dtype: 'float32' });
  const g = tidy(() => matmul(x, x, { transposeA: true }).add(tensor(Array(36).fill(0).map(
    (_, i) => (i % 7 === 0 ? 1 : 0)), [6, 6])));
  const L = linalg.cholesky(g);
  t.ok(maxAbsDiff(matmul(L, L, { transposeB: true }), g) < 1e-4, 'L·Lᵀ = a (float32)');
  // Batches are checked per matrix; a symmetric indefinite one keeps its own error.
  const batch = tensor([[[2, 0], [0, 2]], [[1, 2], [0, 1]]], [2, 2, 2], 'float64');
  t.throws(() => linalg.cholesky(batch), /is not symmetric/);
  t.throws(() => linalg.cholesky(tensor([[1, 2], [2, 1]], [2, 2], 'float64')),
    /cholesky: matrix is not positive definite/);
});

t.test('number operands of int32 tensors must be int32 values', async (t) => {
  const i = tensor([1, 2], [2], 'int32');
  t.throws(() => add(i, 0.5),
    /add: int32 value 0\.5 \(a number operand, taking int32 from the tensor \[2\]\) is not an/);
  t.throws(() => mul(i, 3e9),
    /mul: int32 value 3000000000 .* is outside \[-2147483648, 2147483647\]/);
  // Both branches numbers: they take the int32 mask's dtype, so 0.5 would become 0.
  t.throws(() => where(greater(tensor([1, -1]), 0), 0.5, 1.5), /where: int32 value 0\.5/);
  t.same(Array.from(add(i, 2).dataSync()), [3, 4], 'an integer operand is fine');
  t.same(Array.from(where(greater(tensor([1, -1]), 0), tensor(0.5), 1.5).dataSync()), [0.5, 1.5],
    'a float tensor branch sets a float dtype');
  t.throws(() => pad(i, [[1, 0]], 1.5), /pad: int32 value 1\.5 \(the fill value, for int32 x\)/);
  t.same(Array.from(pad(i, [[1, 0]], -7).dataSync()), [-7, 1, 2]);
});

t.test('a shape with a NaN or fractional dim never reaches a kernel', async (t) => {
  const x = tensor([1, 2, 3]);
  t.throws(() => slice(x, [0], [NaN]), /slice: begin \[0\] size \[NaN\] is out of bounds/);
  t.throws(() => slice(x, [0], [1.5]), /slice: begin \[0\] size \[1\.5\] is out of bounds/);
  t.throws(() => transpose(tensor([[1, 2], [3, 4]]), [0.5, 1]),
    /transpose: perm \[0\.5,1\] is not a permutation of rank 2/);
  t.same(Array.from(slice(x, [1], [2]).dataSync()), [2, 3]);
});

t.test('randomness: seed or rng, not both; Rng.int takes a positive integer', async (t) => {
  t.throws(() => rand([2], { seed: 1, rng: new Rng(2) }),
    /rand: pass \{ seed \} or \{ rng \}, not both/);
  for (const n of [0, -3, 2.5, NaN, 2 ** 53]) {
    t.throws(() => new Rng(1).int(n),
      new RegExp(`Rng.int: n must be a positive safe integer, got ${n}`));
  }
  t.ok(new Rng(1).int(2 ** 53 - 1) < 2 ** 53 - 1, 'the largest safe integer is allowed');
  const draws = Array.from({ length: 200 }, ((r) => () => r.int(3))(new Rng(4)));
  t.same([...new Set(draws)].sort(), [0, 1, 2], 'int(3) draws exactly 0, 1 and 2');
});

t.test('oneHot: numClasses is a non-negative integer', async (t) => {
  const labels = tensor([0, 2], [2], 'int32');
  t.throws(() => oneHot(labels, 2.5),
    /oneHot: numClasses must be a non-negative integer, got 2\.5/);
  t.same(oneHot(labels, 3).arraySync(), [[1, 0, 0], [0, 0, 1]]);
});

t.test('cholesky: a zero or tiny symmetric matrix is not called "not symmetric"', async (t) => {
  // Sums of squares underflowed (0/0 = NaN); max norms do not. 1e-25·I is SPD: L = √1e-25·I.
  const tiny = mul(eye(2), 1e-25);
  const L = linalg.cholesky(tiny).dataSync();
  t.ok(Math.abs(L[0] / Math.sqrt(1e-25) - 1) < 1e-6 && L[1] === 0 && L[2] === 0,
    `L of 1e-25·I is √1e-25·I (got ${Array.from(L)})`);
  t.throws(() => linalg.cholesky(zeros([2, 2])), /cholesky: matrix is not positive definite/);
  const big = tensor([[1e20, 0], [3e19, 1e20]]);
  t.throws(() => linalg.cholesky(big), /is not symmetric: max\|a − aᵀ\|\/max\|a\| = 3\.00e-1/);
});
