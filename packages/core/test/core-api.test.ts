// Core API behaviour that every backend shares (creation, randomness, scopes, tape-safe
// disposal, Variables, errors), run on the cpu backend (a dev dependency; core's sources
// import no backend).
import t from 'tap';
import {
  add, arange, dispose, eye, full, grad, keep, linalg, matmul, memory, mul, rand, randn, Rng, setBackend,
  sum, tensor, tidy, valueAndGrads, Variable, variableGrads, zeros,
} from '@dlrt/core';
import '@dlrt/backend-cpu';

t.test('tensor(): nested arrays, flat values, dtypes', async (t) => {
  const a = tensor([[1, 2], [3, 4]]);
  t.same(a.shape, [2, 2]);
  t.equal(a.dtype, 'float32');
  t.same(a.arraySync(), [[1, 2], [3, 4]]);
  const b = tensor(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3]);
  t.equal(b.dtype, 'float64');
  t.same(tensor([1, 2, 3], [3], 'int32').dataSync(), new Int32Array([1, 2, 3]));
  t.same(tensor(5).shape, []);
  t.same(eye(2, 3).arraySync(), [[1, 0, 0], [0, 1, 0]]);
  t.same(Array.from(arange(0, 1, 0.25).dataSync()), [0, 0.25, 0.5, 0.75]);
  t.same(Array.from(full([2], 7, 'int32').dataSync()), [7, 7]);
  t.throws(() => tensor([[1, 2], [3]]), /tensor: ragged nested array/);
  t.throws(() => tensor([1, 2, 3], [2, 2]), /tensor: 3 values do not fill shape \[2,2\]/);
  t.throws(() => tensor([1.5], [1], 'int32'), /int32 value 1.5 at index 0 is not an integer/);
  t.throws(() => zeros([2, -1]), /zeros|full: shape \[2,-1\]/);
  dispose([a, b]);
});

t.test('seeded randomness is reproducible and has the right moments', async (t) => {
  t.same(rand([5], { seed: 3 }).dataSync(), rand([5], { seed: 3 }).dataSync());
  t.notSame(rand([5], { seed: 3 }).dataSync(), rand([5], { seed: 4 }).dataSync());
  const r = new Rng(1);
  t.notSame(randn([4], { rng: r }).dataSync(), randn([4], { rng: r }).dataSync());
  const x = Array.from(randn([20000], { seed: 9, dtype: 'float64', mean: 2, std: 3 }).dataSync());
  const m = x.reduce((s, v) => s + v, 0) / x.length;
  const sd = Math.sqrt(x.reduce((s, v) => s + (v - m) ** 2, 0) / x.length);
  t.ok(Math.abs(m - 2) < 0.1 && Math.abs(sd - 3) < 0.1, `mean ${m}, std ${sd}`);
  const u = rand([20000], { seed: 9, low: -1, high: 1 }).dataSync();
  t.ok(u.every((v) => v >= -1 && v < 1), 'uniform draws stay in [low, high)');
  t.throws(() => rand([2]), /rand: pass \{ seed \} or \{ rng \}/);
});

t.test('tidy frees intermediates, keeps results; keep() escapes', async (t) => {
  const start = memory().numTensors;
  const startBytes = memory().numBytes;
  const x = tensor([1, 2, 3]);
  let kept;
  const y = tidy(() => {
    const a = mul(x, 2);
    kept = keep(add(a, 1));
    return add(a, x);
  });
  t.equal(memory().numTensors, start + 3, 'x, y and the kept tensor');
  t.same(Array.from(y.dataSync()), [3, 6, 9]);
  dispose([x, y, kept]);
  t.equal(memory().numTensors, start);
  t.equal(memory().numBytes, startBytes);
  t.throws(() => add(x, 1), /add: tensor \d+ \[3\] float32 was disposed/);
  t.throws(() => tidy(() => Promise.resolve(1) as never), /tidy: fn must be synchronous/);
});

t.test('linalg.norm returns a number and leaves no tensor behind', async (t) => {
  const x = tensor([3, 4]);
  const start = memory().numTensors;
  t.equal(linalg.norm(x), 5);
  t.equal(memory().numTensors, start);
  x.dispose();
});

t.test('the tape keeps what backward needs even if the user disposes it', async (t) => {
  const start = memory().numTensors;
  const x = tensor([1, 2, 3], [3], 'float64');
  const { value, grads } = valueAndGrads((v) => tidy(() => sum(mul(v, mul(v, v)))))([x]);
  t.equal(value.item(), 36);
  t.same(Array.from(grads[0].dataSync()), [3, 12, 27], 'd/dx Σx³ = 3x²');
  dispose([x, value, grads]);
  t.equal(memory().numTensors, start, 'nothing from the tape is left');
  const g = grad((v) => mul(v, v))(tensor([3], [1], 'float64'));
  t.same(Array.from(g.dataSync()), [6]);
  t.throws(() => grad((v) => v)(tensor([1], [1], 'int32')), /cannot differentiate an int32/);
});

t.test('Variables: assign checks shape and dtype; variableGrads finds trainable ones', async (t) => {
  const w = new Variable(tensor([[1, 2], [3, 4]], [2, 2], 'float64'), { name: 'w' });
  const frozen = new Variable(tensor([1, 1], [2, 1], 'float64'), { trainable: false });
  const x = tensor([[1, 0], [0, 1]], [2, 2], 'float64');
  const { value, grads } = variableGrads(() => sum(matmul(matmul(x, w), frozen)));
  t.equal(value.item(), 10);
  t.same([...grads.keys()], [w], 'only the trainable variable');
  t.same(Array.from(grads.get(w)!.dataSync()), [1, 1, 1, 1]);
  t.throws(() => w.assign(tensor([1, 2])), /assign: variable 'w' is \[2,2\] float64, value is \[2\] float32/);
  w.assign(tensor([[0, 0], [0, 5]], [2, 2], 'float64'));
  t.same(Array.from(w.dataSync()), [0, 0, 0, 5]);
  tidy(() => mul(w, 2));
  t.notOk(w.isDisposed, 'tidy never disposes a Variable');
  dispose([w, frozen, x, value, grads]);
});

t.test('errors name the op, the shapes and the dtypes; unknown backends are named', async (t) => {
  const a = zeros([2, 3]);
  t.throws(() => add(a, zeros([4])), /add: shapes \[2,3\] and \[4\] do not broadcast/);
  t.throws(() => add(a, zeros([2, 3], 'float64')), /add: dtypes differ: a \[2,3\] float32 vs b \[2,3\] float64/);
  t.throws(() => matmul(a, zeros([2, 3])), /matmul: a \[2,3\] · b \[2,3\]: inner dims 3 ≠ 2/);
  await t.rejects(setBackend('tpu'), /setBackend: unknown backend 'tpu' \(registered: cpu\)/);
  await t.rejects(setBackend('cpu', { threads: 0 }), /threads must be an integer in \[1, 256\], got 0/);
  a.dispose();
});
