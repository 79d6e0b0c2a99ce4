/** Error measures the tests of every package share. */
import { eye } from '../ops/creation.js';
import { sub } from '../ops/arithmetic.js';
import { matmul } from '../ops/matmul.js';
import { norm } from '../linalg/norms.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';

/**
 * max |a − b| over all entries (a and b of one size; shapes are not compared), read with
 * `dataSync`. Throws when the sizes differ.
 * @example maxAbsDiff(W.toDense(), w) < 1e-5
 */
export function maxAbsDiff(a: Tensor, b: Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  if (x.length !== y.length) throw new Error(`maxAbsDiff: ${x.length} vs ${y.length} values`);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

/**
 * ‖QᵀQ − I‖_F: zero for orthonormal columns.
 * @example orthonormalityError(linalg.qr(a).q) < 1e-6
 */
export function orthonormalityError(q: Tensor): number {
  return tidy(() => norm(sub(matmul(q, q, { transposeA: true }),
    eye(q.shape[1], q.shape[1], q.dtype))));
}
