/** Float storage the GEMM kernels accept (row-major, contiguous). */
export type FloatArray = Float32Array | Float64Array;

/**
 * One matrix product C = op(A) · op(B), all row-major and contiguous.
 * A is m×k (or k×m when `transA`), B is k×n (or n×k when `transB`), C is m×n.
 * C is overwritten unless `accumulate` is set, in which case the product is added to C.
 * a, b and c must share one element type.
 */
export interface GemmArgs {
  /** Rows of C and of op(A). */
  m: number;
  /** Columns of C and of op(B). */
  n: number;
  /** The inner dimension: columns of op(A), rows of op(B). */
  k: number;
  /** A's storage. */
  a: FloatArray;
  /** Where A starts in `a`, in elements. */
  aOffset: number;
  /** Whether A is stored k×m and op(A) = Aᵀ. */
  transA: boolean;
  /** B's storage. */
  b: FloatArray;
  /** Where B starts in `b`, in elements. */
  bOffset: number;
  /** Whether B is stored n×k and op(B) = Bᵀ. */
  transB: boolean;
  /** C's storage, written (or added to) in place. */
  c: FloatArray;
  /** Where C starts in `c`, in elements. */
  cOffset: number;
  /** Add the product to C instead of overwriting it (default false). */
  accumulate?: boolean;
}
