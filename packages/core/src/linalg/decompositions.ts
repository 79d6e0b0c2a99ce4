/**
 * Dense decompositions on the last two dims (leading dims batch): qr, svd, eigh, cholesky,
 * solveTriangular, orth. They are not differentiable; DLRT's integrators never differentiate
 * through them (they only orthonormalize bases and truncate cores; docs/low-rank-training.md).
 */
import type { TriangularOptions } from '../backend.js';
import { assertFloat } from '../dtype.js';
import { mul, sub } from '../ops/arithmetic.js';
import { transpose } from '../ops/shape-ops.js';
import { abs } from '../ops/unary.js';
import { max, sum } from '../ops/reduce.js';
import { runMultiOp } from '../run-op.js';
import { fmt } from '../shape.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';

/** Throws `op: a [3,3] holds NaN or Inf` (decompositions would loop or return garbage). */
function checkMatrix(op: string, a: Tensor, square = false): void {
  a.assertLive(op);
  assertFloat(op, 'a', a.dtype);
  if (a.rank < 2) throw new Error(`${op}: a ${fmt(a.shape)} must have rank ≥ 2`);
  const [m, n] = a.shape.slice(-2);
  if (square && m !== n) throw new Error(`${op}: a ${fmt(a.shape)} must be square`);
  // x·0 is NaN exactly where x is NaN or ±Inf, so one reduction finds both.
  if (a.size > 0) {
    const probe = tidy(() => sum(mul(a, 0)));
    const bad = Number.isNaN(probe.item());
    probe.dispose();
    if (bad) throw new Error(`${op}: a ${fmt(a.shape)} holds NaN or Inf`);
  }
}

/**
 * Throws `op: a [..] is not symmetric: max|a − aᵀ|/max|a| = …` (the worst matrix of a batch).
 * Max norms, not Frobenius: squares overflow or underflow (float32 entries near 1e20 or 1e-23)
 * and 0/0 made a zero or tiny symmetric matrix "not symmetric: NaN".
 */
function checkSymmetric(op: string, a: Tensor): void {
  if (a.size === 0) return;
  const r = a.rank;
  const perm = [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];
  const axes = [r - 2, r - 1];
  const [off, all] = tidy(() => [max(abs(sub(a, transpose(a, perm))), axes).dataSync(),
    max(abs(a), axes).dataSync()]);
  // An all-zero matrix is symmetric; the backend then reports it is not positive definite.
  const worst = Math.max(...Array.from(off, (d, i) => (d === 0 ? 0 : d / all[i])));
  const tol = Math.sqrt(a.dtype === 'float64' ? 2 ** -52 : 2 ** -23);
  if (!(worst <= tol)) {
    throw new Error(`${op}: a ${fmt(a.shape)} is not symmetric: max|a − aᵀ|/max|a| = ` +
      `${worst.toExponential(2)} > ${tol.toExponential(2)}`);
  }
}

/** Result of `qr`: a = q·r, q with orthonormal columns, r upper triangular. */
export interface QR {
  /** [..., m, k], orthonormal columns, k = min(m, n). */
  readonly q: Tensor;
  /** [..., k, n], upper triangular. */
  readonly r: Tensor;
}
/** Result of `svd`: a = u·diag(s)·vᵀ, s descending and non-negative. Note v, not vᵀ. */
export interface SVD {
  /** Left singular vectors [..., m, k], k = min(m, n). */
  readonly u: Tensor;
  /** Singular values [..., k], descending. */
  readonly s: Tensor;
  /** Right singular vectors [..., n, k] (v itself, not vᵀ). */
  readonly v: Tensor;
}
/** Result of `eigh`: a·vectors = vectors·diag(values), values ascending. */
export interface Eigh {
  /** Eigenvalues [..., n], ascending. */
  readonly values: Tensor;
  /** Eigenvectors [..., n, n], as columns in the order of `values`. */
  readonly vectors: Tensor;
}

/**
 * Thin Householder QR: q [..., m, k], r [..., k, n] with k = min(m, n). q has orthonormal
 * columns even when a has zero or dependent columns.
 * @example const { q, r } = linalg.qr(a);
 */
export function qr(a: Tensor): QR {
  checkMatrix('linalg.qr', a);
  const [m, n] = a.shape.slice(-2);
  const k = Math.min(m, n);
  const batch = a.shape.slice(0, -2);
  const [q, r] = runMultiOp('linalg.qr', [a], [
    { shape: [...batch, m, k], dtype: a.dtype }, { shape: [...batch, k, n], dtype: a.dtype },
  ], (b) => {
    const out = b.qr(a);
    return [out.q, out.r];
  });
  return Object.freeze({ q, r });
}

/**
 * Thin SVD: u [..., m, k], s [..., k] (descending), v [..., n, k] with a = u·diag(s)·vᵀ.
 * @example const { u, s, v } = linalg.svd(a);
 */
export function svd(a: Tensor): SVD {
  checkMatrix('linalg.svd', a);
  const [m, n] = a.shape.slice(-2);
  const k = Math.min(m, n);
  const batch = a.shape.slice(0, -2);
  const [u, s, v] = runMultiOp('linalg.svd', [a], [
    { shape: [...batch, m, k], dtype: a.dtype }, { shape: [...batch, k], dtype: a.dtype },
    { shape: [...batch, n, k], dtype: a.dtype },
  ], (b) => {
    const out = b.svd(a);
    return [out.u, out.s, out.v];
  });
  return Object.freeze({ u, s, v });
}

/**
 * Eigendecomposition of symmetric a (its lower triangle is read): values ascending.
 * @example const { values, vectors } = linalg.eigh(gram);
 */
export function eigh(a: Tensor): Eigh {
  checkMatrix('linalg.eigh', a, true);
  const n = a.shape[a.rank - 1];
  const batch = a.shape.slice(0, -2);
  const [values, vectors] = runMultiOp('linalg.eigh', [a], [
    { shape: [...batch, n], dtype: a.dtype }, { shape: a.shape, dtype: a.dtype },
  ], (b) => {
    const out = b.eigh(a);
    return [out.values, out.vectors];
  });
  return Object.freeze({ values, vectors });
}

/**
 * Lower-triangular L with a = L·Lᵀ; throws if a is not symmetric positive definite. Symmetric
 * means max|a − aᵀ| ≤ √ε max|a| (ε of the dtype), per matrix of a batch: roundoff of a computed
 * Gram matrix passes, a matrix that is not symmetric is an error rather than the factor of
 * its lower triangle.
 * @example const L = linalg.cholesky(matmul(x, x, { transposeA: true }));   // xᵀx = L·Lᵀ
 */
export function cholesky(a: Tensor): Tensor {
  checkMatrix('linalg.cholesky', a, true);
  checkSymmetric('linalg.cholesky', a);
  return runMultiOp('linalg.cholesky', [a], [{ shape: a.shape, dtype: a.dtype }],
    (b) => [b.cholesky(a)])[0];
}

/**
 * X with op(a)·X = b for triangular a [..., n, n] and b [..., n, k].
 * @example linalg.solveTriangular(r, b, { lower: false })
 */
export function solveTriangular(a: Tensor, b: Tensor, o: TriangularOptions): Tensor {
  checkMatrix('linalg.solveTriangular', a, true);
  checkMatrix('linalg.solveTriangular', b);
  const n = a.shape[a.rank - 1];
  if (b.shape[b.rank - 2] !== n || a.dtype !== b.dtype ||
      a.shape.slice(0, -2).join() !== b.shape.slice(0, -2).join()) {
    throw new Error(`linalg.solveTriangular: a ${fmt(a.shape)} ${a.dtype} vs b ${fmt(b.shape)} ` +
      `${b.dtype}: want a [...,n,n] and b [...,n,k] with one batch shape and dtype`);
  }
  return runMultiOp('linalg.solveTriangular', [a, b], [{ shape: b.shape, dtype: b.dtype }],
    (k) => [k.solveTriangular(a, b, o)])[0];
}

/**
 * An orthonormal basis [..., m, min(m, n)] whose span contains the columns of a. Zero or
 * dependent columns get a valid orthonormal completion, never NaN (Householder QR's q).
 * @example const U = linalg.orth(concat([U0, dU], 1));
 */
export function orth(a: Tensor): Tensor {
  const { q, r } = qr(a);
  r.dispose();
  return q;
}
