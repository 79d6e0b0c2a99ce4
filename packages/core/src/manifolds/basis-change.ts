/**
 * Changes of basis of factorized tensors. When an integrator replaces an orthonormal basis
 * U_old of some mode by U_new (augmentation, truncation, a new basis), every tensor whose
 * coordinates live in that basis (the core 𝒞, the optimizer state of 𝒞 and of the K
 * coefficients) is rewritten in the new one: 𝒳 ← 𝒳 ×_axis (U_newᵀ U_old). When span U_old ⊆
 * span U_new (augmentation) this is exact: 𝒳 ×_axis U_old = (𝒳 ×_axis U_newᵀU_old) ×_axis U_new.
 */
import { matmul } from '../ops/matmul.js';
import { clone } from '../ops/shape-ops.js';
import { fmt, normAxis } from '../shape.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { modeProduct } from './unfold.js';

/** One axis's change of basis: coordinates in the orthonormal columns `from` rewritten in `to`. */
export interface AxisChange {
  /** The axis of the tensor whose index runs over the basis columns. */
  readonly axis: number;
  /** The old basis U_old [n, r_old]. */
  readonly from: Tensor;
  /** The new basis U_new [n, r_new]. */
  readonly to: Tensor;
}

/** One axis's change of basis given by its matrix, for rewriting several tensors with it. */
export interface AxisTransform {
  /** The axis of the tensor whose index runs over the basis columns. */
  readonly axis: number;
  /** M = U_newᵀ U_old [r_new, r_old]. */
  readonly matrix: Tensor;
}

/**
 * Each change's matrix M = U_newᵀ U_old, computed once for rewriting several tensors (a core
 * and its optimizer state) in the new bases. The caller owns the matrices.
 * @example const ms = basisTransforms([{ axis: 0, from: U, to: Uhat }]); changeBasis(S, ms)
 */
export function basisTransforms(changes: readonly AxisChange[]): AxisTransform[] {
  return changes.map((c) => {
    const [n] = c.from.shape;
    if (c.from.rank !== 2 || c.to.rank !== 2 || c.to.shape[0] !== n) {
      throw new Error(`changeBasis: bases ${fmt(c.from.shape)} → ${fmt(c.to.shape)} are not ` +
        'two bases of one space ([n, r] → [n, r\'])');
    }
    return { axis: c.axis, matrix: matmul(c.to, c.from, { transposeA: true }) };
  });
}

/**
 * 𝒳 ×_a (U_newᵀ U_old) for each change, in order; a change is two bases or its matrix
 * (`basisTransforms`). A matrix takes the products in its natural orientation: on axis 0
 * (U_newᵀU_old)·X, on axis 1 X·(U_oldᵀU_new), as the augmented BUG writes S̃ = (ÛᵀU₀) S₀ (V₀ᵀV̂)
 * (Ceruti, Kusch & Lubich, "A rank-adaptive robust integrator for dynamical low-rank
 * approximation", BIT Numer. Math. 2022). The result is a new tensor.
 * @example changeBasis(S, [{ axis: 0, from: U, to: Uhat }, { axis: 1, from: V, to: Vhat }])
 */
export function changeBasis(x: Tensor, changes: readonly (AxisChange | AxisTransform)[]):
  Tensor {
  return tidy(() => changes.reduce((y, c) => {
    const a = normAxis('changeBasis', c.axis, y.rank);
    const m = 'matrix' in c ? c.matrix : basisTransforms([c])[0].matrix;
    if (m.rank !== 2 || y.shape[a] !== m.shape[1]) {
      throw new Error(`changeBasis: a change [${m.shape[1]} → ${m.shape[0]}] does not ` +
        `change axis ${a} of ${fmt(y.shape)} (its old basis has ${y.shape[a]} columns)`);
    }
    if (y.rank === 2 && a === 1) return matmul(y, m, { transposeB: true });
    return y.rank === 2 ? matmul(m, y) : modeProduct(y, m, a);
  }, clone(x)));
}
