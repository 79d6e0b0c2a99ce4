/** Interop with the `ndarray` package: copy tensors to and from (possibly strided) ndarrays. */
import ndarray, { type NdArray } from 'ndarray';
import { allocArray, type DType, type Tensor, tensor, type TypedArray } from '@dlrt/core';

/**
 * A contiguous row-major ndarray holding a copy of `t`'s values.
 * @example toNdarray(x).get(0, 1)
 */
export function toNdarray(t: Tensor): NdArray<TypedArray> {
  return ndarray(t.dataSync(), [...t.shape]);
}

/**
 * A tensor with the values of `a`, read in logical order through its strides and offset, so
 * views such as `a.transpose(1, 0)` or `a.lo(1).step(2)` copy correctly. The dtype follows
 * `a`'s storage unless given: float64 for a Float64Array, int32 for an Int32Array, else float32.
 * @example fromNdarray(ndarray(new Float64Array(6), [2, 3]).transpose(1, 0))   // [3, 2]
 */
export function fromNdarray(a: NdArray, dtype?: DType): Tensor {
  const d: DType = dtype ?? (a.data instanceof Float64Array ? 'float64'
    : a.data instanceof Int32Array ? 'int32' : 'float32');
  const shape = a.shape.slice();
  const n = shape.reduce((p, s) => p * s, 1);
  const out = allocArray(d, n);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    out[i] = a.get(...idx);
    for (let k = idx.length - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  return tensor(out, shape, d);
}
