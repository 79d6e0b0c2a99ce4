/** Float storage the GEMM kernels accept (row-major, contiguous). */
export type FloatArray = Float32Array | Float64Array;

/**
 * One matrix product C = op(A) · op(B), all row-major and contiguous.
 * A is m×k (or k×m when `transA`), B is k×n (or n×k when `transB`), C is m×n.
 * C is overwritten unless `accumulate` is set, in which case the product is added to C.
 * a, b and c must share one element type.
 */
export interface GemmArgs {
  m: number;
  n: number;
  k: number;
  a: FloatArray;
  aOffset: number;
  transA: boolean;
  b: FloatArray;
  bOffset: number;
  transB: boolean;
  c: FloatArray;
  cOffset: number;
  accumulate?: boolean;
}
