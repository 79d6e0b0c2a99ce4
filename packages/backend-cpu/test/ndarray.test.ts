// ndarray interop: values and shapes survive the round trip, and strided views (transpose,
// step, offset) are read in their logical order. Oracle: ndarray's own get(i, j).
import ndarray from 'ndarray';
import t from 'tap';
import { tensor } from '@dlrt/core';
import { fromNdarray, toNdarray } from '@dlrt/backend-cpu';

t.test('toNdarray copies values and shape', async (t) => {
  const x = tensor([[1, 2, 3], [4, 5, 6]], [2, 3], 'float64');
  const a = toNdarray(x);
  t.same(a.shape, [2, 3]);
  t.equal(a.get(1, 2), 6);
  t.ok(a.data instanceof Float64Array, 'dtype kept');
  a.set(0, 0, 99);
  t.equal(x.dataSync()[0], 1, 'a copy: writing the ndarray leaves the tensor alone');
  x.dispose();
});

t.test('fromNdarray reads strided views in logical order', async (t) => {
  const base = ndarray(new Float32Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), [3, 4]);
  const view = base.transpose(1, 0).lo(1, 0).step(2, 1);   // rows 1 and 3 of the transpose
  const x = fromNdarray(view);
  t.same(x.shape, view.shape);
  const want: number[] = [];
  for (let i = 0; i < view.shape[0]; i++) for (let j = 0; j < view.shape[1]; j++) want.push(view.get(i, j));
  t.same(Array.from(x.dataSync()), want);
  t.equal(x.dtype, 'float32');
  const y = fromNdarray(ndarray(new Int32Array([7, 8]), [2]));
  t.equal(y.dtype, 'int32');
  const z = fromNdarray(base, 'float64');
  t.equal(z.dtype, 'float64');
  for (const v of [x, y, z]) v.dispose();
});
