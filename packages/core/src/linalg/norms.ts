/** Norms and numerical rank. */
import { sqrt, square } from '../ops/unary.js';
import { sum } from '../ops/reduce.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { svd } from './decompositions.js';

/**
 * Frobenius (2-)norm of all entries, as a number.
 * @example linalg.norm(sub(a, b)) / linalg.norm(b)   // relative error
 */
export function norm(x: Tensor): number {
  return tidy(() => sqrt(sum(square(x))).item());   // frees the intermediates too
}

/**
 * Number of singular values above `rtol·σ₁` (default max(m, n)·ε of the dtype, as numpy).
 * One rule for rank everywhere in dlrt. `a` must be a matrix.
 * @example linalg.matrixRank(w, { rtol: 1e-3 })
 */
export function matrixRank(a: Tensor, o: { rtol?: number } = {}): number {
  if (a.rank !== 2) throw new Error(`linalg.matrixRank: a [${a.shape}] must be a matrix`);
  const [m, n] = a.shape;
  const eps = a.dtype === 'float64' ? 2.220446049250313e-16 : 1.1920928955078125e-7;
  const { u, s, v } = svd(a);
  const sv = s.dataSync();
  u.dispose();
  s.dispose();
  v.dispose();
  const tol = (o.rtol ?? Math.max(m, n) * eps) * (sv[0] ?? 0);
  return sv.filter((x) => x > tol).length;
}
