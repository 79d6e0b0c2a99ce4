/**
 * Backend contract checks that value comparisons miss: storage sharing, read copies, memory
 * accounting under tidy, use after dispose, errors at dispatch, and the autodiff entry points
 * (grad, valueAndGrads with dy, variableGrads with Variables).
 */
import { grad, valueAndGrads, variableGrads } from '../autodiff.js';
import { dtypeOf, type FloatDType } from '../dtype.js';
import { add, mul, pow, where } from '../ops/arithmetic.js';
import { avgPool2d, conv2d, maxPool2d } from '../ops/conv.js';
import { tensor } from '../ops/creation.js';
import { matmul } from '../ops/matmul.js';
import { max, sum } from '../ops/reduce.js';
import { concat, gather, reshape, slice, transpose } from '../ops/shape-ops.js';
import { crossEntropy, softmax } from '../ops/softmax.js';
import { abs, cast, exp, relu, square } from '../ops/unary.js';
import { memory, tidy } from '../scope.js';
import { type Tensor, Variable } from '../tensor.js';
import { checkThrows, compare, type Inputs, type TestLike, toTensor, tolFor } from './check.js';
import { binaryRef, makeRef, type Ref } from './reference.js';

/** Storage, reads, memory and disposal. */
export async function storageChecks(t: TestLike, g: Inputs, dtype: FloatDType): Promise<void> {
  const x = toTensor(g.normal([2, 3]), dtype);
  const before = memory();
  const y = reshape(x, [3, 2]);
  const after = memory();
  t.ok(y.dataId === x.dataId && after.numDataBuffers === before.numDataBuffers &&
    after.numTensors === before.numTensors + 1,
  `reshape ${dtype}: shares storage (buffers ${before.numDataBuffers} → ${after.numDataBuffers})`);
  const read = x.dataSync();
  t.ok(dtypeOf(read) === dtype, `dataSync ${dtype}: returns a ${read.constructor.name}`);
  read[0] = 12345;
  t.ok(x.dataSync()[0] !== 12345 && y.dataSync()[0] !== 12345,
    `dataSync ${dtype}: returns a copy (writing it leaves the tensor unchanged)`);
  const asyncRead = await x.data();
  t.ok(asyncRead.every((v, i) => v === y.dataSync()[i]), `data ${dtype}: same values as dataSync`);
  x.dispose();
  t.ok(x.isDisposed && y.dataSync().length === 6, `reshape ${dtype}: the view outlives its base`);
  const uses: [string, () => unknown][] = [['add', () => add(x, x)],
    ['dataSync', () => x.dataSync()], ['matmul', () => matmul(x, y)],
    ['reshape', () => reshape(x, [6])], ['sum', () => sum(x)], ['exp', () => exp(x)]];
  for (const [op, use] of uses) {
    checkThrows(t, `${op} ${dtype} after dispose`, use,
      new RegExp(`^${op}: tensor \\d+ \\[2,3\\] ${dtype} was disposed`));
  }
  x.dispose();
  y.dispose();
  t.ok(memory().numTensors === before.numTensors - 1, `dispose ${dtype}: twice is harmless`);

  // Everything made inside tidy is freed, except what it returns.
  const start = memory();
  const kept = tidy(() => {
    const a = toTensor(g.normal([2, 3, 5, 5]), dtype);
    const w = toTensor(g.normal([4, 3, 3, 3]), dtype);
    const h = avgPool2d(conv2d(a, w, { padding: 1 }), { kernelSize: 2 });
    const logits = reshape(h, [2, -1]);
    const { value, grads } = valueAndGrads((p, q) => sum(softmax(matmul(p, q))))([logits,
      transpose(logits)]);
    return add(value, max(grads[0]));
  });
  const mid = memory();
  kept.dispose();
  const end = memory();
  t.ok(mid.numTensors === start.numTensors + 1 && mid.numDataBuffers === start.numDataBuffers + 1,
    `tidy ${dtype}: keeps only its result (${start.numTensors} → ${mid.numTensors} tensors)`);
  t.ok(end.numTensors === start.numTensors && end.numBytes === start.numBytes &&
    end.numDataBuffers === start.numDataBuffers,
  `memory ${dtype}: back to ${start.numTensors} tensors / ${start.numBytes} bytes after ` +
    `tidy (now ${end.numTensors} / ${end.numBytes})`);
}

/** Shape and dtype errors are thrown at dispatch and name the op and shapes. */
export function dispatchErrorChecks(t: TestLike, g: Inputs, float64 = true): void {
  const f32 = (shape: number[]) => toTensor(g.normal(shape), 'float32');
  // Without float64 storage, mixed-dtype errors are checked against int32 instead.
  const f64 = (shape: number[]) => toTensor(g.normal(shape), float64 ? 'float64' : 'int32');
  const i32 = (shape: number[]) => toTensor(g.ints(shape, 0, 1), 'int32');
  const cases: [string, () => unknown, RegExp][] = [
    ['add [2,3] vs [4]', () => add(f32([2, 3]), f32([4])),
      /^add: shapes \[2,3\] and \[4\] do not broadcast/],
    [`add float32 vs ${float64 ? 'float64' : 'int32'}`, () => add(f32([2]), f64([2])),
      /^add: dtypes differ/],
    ['mul [2,1,4] vs [3,2]', () => mul(f32([2, 1, 4]), f32([3, 2])), /^mul: shapes \[2,1,4\]/],
    ['matmul inner dims', () => matmul(f32([2, 3]), f32([4, 5])),
      /^matmul: a \[2,3\] · b \[4,5\]: inner dims 3 ≠ 4/],
    ['matmul transposed inner dims', () => matmul(f32([2, 3]), f32([4, 5]), { transposeB: true }),
      /^matmul: a \[2,3\] · b \[4,5\]ᵀ: inner dims 3 ≠ 5/],
    [`matmul float32 vs ${float64 ? 'float64' : 'int32'}`, () => matmul(f32([2, 3]), f64([3, 2])),
      /^matmul: .*dtypes/],
    ['matmul batch dims', () => matmul(f32([2, 2, 3]), f32([3, 3, 2])), /^matmul: shapes \[2\]/],
    ['conv2d channels', () => conv2d(f32([1, 3, 5, 5]), f32([2, 1, 3, 3])),
      /^conv2d: x \[1,3,5,5\] vs w \[2,1,3,3\]: channels 3 ≠ 1/],
    ['conv2d window', () => conv2d(f32([1, 1, 2, 2]), f32([1, 1, 3, 3])), /^conv2d: .*window 3/],
    ['avgPool2d padding', () => avgPool2d(f32([1, 1, 4, 4]), { kernelSize: 2, padding: 2 }),
      /^avgPool2d: padding/],
    ['where dtypes', () => where(i32([2]), f32([2]), f64([2])), /^where: dtypes differ/],
    ['concat shapes', () => concat([f32([2, 3]), f32([3, 2])], 1), /^concat: tensor 1 \[3,2\]/],
    ['gather float indices', () => gather(f32([3, 2]), f32([2])), /^gather: indices must be int32/],
    ['reshape size', () => reshape(f32([2, 3]), [4, 2]), /^reshape: cannot reshape \[2,3\]/],
    ['transpose perm', () => transpose(f32([2, 3]), [0, 0]), /^transpose: perm \[0,0\]/],
    ['slice bounds', () => slice(f32([2, 3]), [1, 1], [2, 1]), /^slice: .*out of bounds/],
    ['exp int32', () => exp(i32([2])), /^exp: x must be float32 or float64, got int32/],
    ['softmax int32', () => softmax(i32([2, 2])), /^softmax: x must be float/],
    ['sum axis', () => sum(f32([2, 3]), 2), /^sum: axis 2 is out of range for rank 2/],
    ['crossEntropy shapes', () => crossEntropy(f32([4, 3]), i32([3])),
      /^crossEntropy: logits \[4,3\] vs labels \[3\]/],
    ['crossEntropy label range', () => crossEntropy(f32([2, 3]), tensor([0, 3], [2], 'int32')),
      /^crossEntropy: labels range over \[0, 3\], outside \[0, 3\)/],
    ['valueAndGrads of int32', () => valueAndGrads((a) => a)([i32([2])]),
      /cannot differentiate an int32 input/],
  ];
  for (const [name, fn, pattern] of cases) checkThrows(t, name, fn, pattern);
}

const TWO = makeRef([], [2]);

function refOf(x: { shape: readonly number[]; dataSync(): ArrayLike<number> }): Ref {
  return makeRef(x.shape, x.dataSync());
}

/** grad, valueAndGrads with a dy seed, and variableGrads against closed forms. */
export function autodiffApiChecks(t: TestLike, g: Inputs, dtype: FloatDType): void {
  const tol = tolFor(dtype);
  const near = (name: string, got: Tensor | undefined, want: Ref) => {
    const r = got ? compare(got, want, dtype, tol) : { ok: false, detail: 'no gradient' };
    t.ok(r.ok, `${name} ${dtype}: ${r.detail}`);
  };
  tidy(() => {
    const x = toTensor(g.normal([2, 3]), dtype);
    const dy = toTensor(g.normal([2, 3]), dtype);
    near('grad of Σx² (oracle 2x)', grad((a) => sum(square(a)))(x),
      binaryRef('mul', refOf(x), TWO));
    near('grad with dy of 3x (oracle 3·dy)', grad((a) => mul(a, 3))(x, dy),
      binaryRef('mul', refOf(dy), makeRef([], [3])));
    const { value, grads } = valueAndGrads((a, b) => mul(a, b))([x, dy], dy);
    near('valueAndGrads value of a·b', value, binaryRef('mul', refOf(x), refOf(dy)));
    near('valueAndGrads with dy (oracle dy·b)', grads[0], binaryRef('mul', refOf(dy), refOf(dy)));
  });
  // Conventions at kinks and ties (hand values): relu′(0) = abs′(0) = 0; d/dx x⁰ = 0 at 0;
  // max shares dy evenly among tied maxima; maxPool2d routes it to the first maximum, or to
  // the first NaN (which it propagates, as PyTorch does).
  const conventions: [string, (x: Tensor) => Tensor, number[], number[], number[]][] = [
    ['relu at 0', (a) => relu(a), [3], [0, -1, 2], [0, 0, 1]],
    ['abs at 0', (a) => abs(a), [3], [0, -1, 2], [0, -1, 1]],
    ['pow x**0 at 0', (a) => pow(a, 0), [2], [0, 2], [0, 0]],
    ['max with ties', (a) => max(a), [4], [1, 3, 3, 0], [0, 0.5, 0.5, 0]],
    ['maxPool2d with ties', (a) => maxPool2d(a, { kernelSize: 2 }), [1, 1, 2, 2], [5, 5, 5, 5],
      [1, 0, 0, 0]],
    ['maxPool2d with NaN', (a) => maxPool2d(a, { kernelSize: 2 }), [1, 1, 2, 2], [1, NaN, NaN, 0],
      [0, 1, 0, 0]],
    ['maxPool2d 1×3 with NaN', (a) => maxPool2d(a, { kernelSize: [1, 3] }), [1, 1, 1, 3],
      [1, NaN, NaN], [0, 1, 0]],
  ];
  for (const [name, f, shape, values, want] of conventions) {
    tidy(() => near(`grad of ${name}`, grad((a) => sum(f(a)))(toTensor(makeRef(shape, values),
      dtype)), makeRef(shape, want)));
  }
  // L = Σ c·w1² + Σ w2·frozen: dL/dw1 = 2c·w1, dL/dw2 = frozen, dL/dfrozen = w2.
  // Variables are never disposed by tidy; the tensors they start from are.
  const variable = (name: string, trainable = true) =>
    tidy(() => new Variable(toTensor(g.normal([2, 2]), dtype), { name, trainable }));
  const [w1, w2, unused, frozen] = [variable('w1'), variable('w2'), variable('w3'),
    variable('frozen', false)];
  try {
    tidy(() => {
      const c = toTensor(g.normal([2, 2]), dtype);
      const loss = () => add(sum(mul(c, square(w1))), sum(mul(w2, frozen)));
      const w1Grad = binaryRef('mul', binaryRef('mul', refOf(c), TWO), refOf(w1));
      const all = variableGrads(loss);
      t.ok(all.grads.size === 2 && all.grads.has(w1) && all.grads.has(w2),
        `variableGrads ${dtype}: default = the trainable variables used (got ` +
        `${[...all.grads.keys()].map((v) => v.name).join(', ')})`);
      near('variableGrads dw1 (oracle 2c·w1)', all.grads.get(w1), w1Grad);
      near('variableGrads dw2 (oracle frozen)', all.grads.get(w2), refOf(frozen));
      near('variableGrads value', all.value, makeRef([], [sum(loss()).item()]));
      t.ok(!all.grads.has(unused) && !all.grads.has(frozen),
        `variableGrads ${dtype}: unused and non-trainable variables are excluded`);
      const listed = variableGrads(loss, [w2, frozen]);
      t.ok(listed.grads.size === 2 && !listed.grads.has(w1),
        `variableGrads ${dtype}: an explicit list is exactly what is differentiated`);
      near('variableGrads listed dfrozen (oracle w2)', listed.grads.get(frozen), refOf(w2));
    });
  } finally {
    for (const v of [w1, w2, unused, frozen]) v.dispose();
  }
}

/**
 * A float32-only backend refuses float64 with an error that says so: on write and on cast,
 * never a silent downcast.
 */
export function float64RefusedChecks(t: TestLike, g: Inputs): void {
  checkThrows(t, 'tensor float64 on a float32-only backend',
    () => toTensor(g.normal([2, 2]), 'float64'), /float64/);
  checkThrows(t, 'cast to float64 on a float32-only backend',
    () => cast(toTensor(g.normal([2, 2]), 'float32'), 'float64'), /float64/);
}
