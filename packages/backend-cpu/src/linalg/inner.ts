/**
 * The inner loops the linear-algebra drivers of this folder spend their time in, behind one
 * swappable set. The TS loops are the reference; a backend that extends the cpu backend can
 * run the same drivers over its own loops (backend-wasm: WebAssembly SIMD on its shared
 * memory) by calling them inside `withLinalgInner`. Drivers take work arrays from `alloc`, so
 * that the replacement loops can address them.
 */
import { gemmStrided, type StridedGemm } from '../kernels/gemm.js';
import { rotateRows } from './givens.js';
import { applyLeft, applyRight, reflectSymmetric } from './householder.js';
import { fusedPass } from './qr-leaf.js';
import { jacobiSweep } from './svd-jacobi.js';

/**
 * The inner loops of the linear-algebra drivers (QR, SVD, eigh, …), swappable as one set;
 * `tsInner` is the reference.
 */
export interface LinalgInner {
  /** A zeroed float64 work array of length n. */
  readonly alloc: (n: number) => Float64Array;
  /** The GEMM the drivers' blocked updates run (gemmStrided's signature). */
  readonly gemm: StridedGemm;
  /** H·A for one Householder reflector: householder.ts. */
  readonly applyLeft: typeof applyLeft;
  /** A·H for one Householder reflector: householder.ts. */
  readonly applyRight: typeof applyRight;
  /** H·A·H for one reflector and a symmetric A (its lower triangle): householder.ts. */
  readonly reflectSymmetric: typeof reflectSymmetric;
  /** One reflector of a QR leaf applied to its eight columns, with the next dots: qr-leaf.ts. */
  readonly leafPass: typeof fusedPass;
  /** One sweep of one-sided Jacobi over all row pairs: svd-jacobi.ts. */
  readonly jacobiSweep: typeof jacobiSweep;
  /** A sequence of plane rotations on adjacent rows: givens.ts. */
  readonly rotateRows: typeof rotateRows;
}

/**
 * The reference loops: plain TS over JS-heap arrays.
 * @example withLinalgInner({ ...tsInner, gemm: myGemm }, () => linalgKernels.qr(a, m, n))
 */
export const tsInner: LinalgInner = {
  alloc: (n) => new Float64Array(n),
  gemm: gemmStrided,
  applyLeft,
  applyRight,
  reflectSymmetric,
  leafPass: fusedPass,
  jacobiSweep,
  rotateRows,
};

let active: LinalgInner = tsInner;

/** The loops in effect: tsInner outside any `withLinalgInner`. */
export function inner(): LinalgInner {
  return active;
}

/**
 * Runs `fn` (synchronous) with `loops` in effect, restoring the previous set afterwards. Work
 * arrays `fn`'s drivers allocate, results included, come from `loops.alloc`; the caller owns
 * their lifetime.
 * @example const { q, r } = withLinalgInner(loops, () => linalgKernels.qr(a, m, n));
 */
export function withLinalgInner<T>(loops: LinalgInner, fn: () => T): T {
  const prev = active;
  active = loops;
  try {
    return fn();
  } finally {
    active = prev;
  }
}
