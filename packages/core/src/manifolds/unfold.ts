/**
 * Mode-wise tensor algebra with the row-major convention of the Tucker papers' code: Mat_i(𝒳)
 * moves mode i to the front, then reshapes row-major (Kolda & Bader's mode product; the
 * unfolding order as in TensorLy).
 */
import { matmul } from '../ops/matmul.js';
import { reshape, transpose } from '../ops/shape-ops.js';
import { fmt, normAxis, type Shape } from '../shape.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';

/** [i, the other modes in increasing order]. */
export function frontPerm(rank: number, mode: number): number[] {
  return [mode, ...Array.from({ length: rank }, (_, j) => j).filter((j) => j !== mode)];
}

function inverse(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/**
 * Mat_i(𝒳) ∈ R^{n_i × Π_{j≠i} n_j}: mode i moved to the front, then reshaped row-major.
 * @example unfold(x, 1)   // x [5,4,3] → [4, 15]
 */
export function unfold(x: Tensor, mode: number): Tensor {
  const i = normAxis('unfold', mode, x.rank);
  return tidy(() => reshape(transpose(x, frontPerm(x.rank, i)), [x.shape[i], -1]));
}

/**
 * Ten_i, the inverse of `unfold` given the full shape; throws when `m` is not an unfolding of
 * `shape` along `mode`.
 * @example fold(unfold(x, 1), 1, [5, 4, 3])   // x [5,4,3] again
 */
export function fold(m: Tensor, mode: number, shape: Shape): Tensor {
  const i = normAxis('fold', mode, shape.length);
  const perm = frontPerm(shape.length, i);
  const front = perm.map((p) => shape[p]);
  if (m.rank !== 2 || m.shape[0] !== shape[i] || m.size !== front.reduce((a, b) => a * b, 1)) {
    throw new Error(`fold: matrix ${fmt(m.shape)} does not unfold ${fmt(shape)} along mode ${i}`);
  }
  return tidy(() => transpose(reshape(m, front), inverse(perm)));
}

/**
 * 𝒳 ×_i U for U [J, n_i]: (𝒳 ×_i U)[…, j, …] = Σₐ 𝒳[…, a, …] U[j, a].
 * @example modeProduct(x, u, 0)
 */
export function modeProduct(x: Tensor, u: Tensor, mode: number): Tensor {
  const i = normAxis('modeProduct', mode, x.rank);
  if (u.rank !== 2 || u.shape[1] !== x.shape[i]) {
    throw new Error(`modeProduct: U ${fmt(u.shape)} must be [J, ${x.shape[i]}] for mode ${i} of ` +
      `x ${fmt(x.shape)}`);
  }
  const shape = [...x.shape];
  shape[i] = u.shape[0];
  return tidy(() => fold(matmul(u, unfold(x, i)), i, shape));
}
