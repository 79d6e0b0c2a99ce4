/**
 * LowRankMatrix: W = U S Vᵀ with U (n×r) and V (m×r) orthonormal, S (r×r) any (docs/
 * manifolds.md). Values are immutable: augment and truncate return new matrices and
 * leave disposal of the old one to the caller.
 */
import { concat, slice } from '../ops/shape-ops.js';
import { add, sub } from '../ops/arithmetic.js';
import { matmul } from '../ops/matmul.js';
import { diag } from '../ops/creation.js';
import { orth, svd } from '../linalg/decompositions.js';
import { fmt } from '../shape.js';
import { changeBasis } from './basis-change.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import {
  type Truncation, type TruncationContext, type TruncationRule, truncateValues,
} from './truncation.js';

/** The first `r` columns of a matrix. */
function columns(x: Tensor, r: number): Tensor {
  return slice(x, [0, 0], [x.shape[0], r]);
}

/**
 * The factors of W = U S Vᵀ: U n×p and V m×q with orthonormal columns, S p×q (square except in
 * the middle of an integrator step). Functions on factors return new tensors and own nothing.
 */
export interface MatrixFactors {
  /** Left basis, n×p, orthonormal columns. */
  U: Tensor;
  /** Coefficients, p×q. */
  S: Tensor;
  /** Right basis, m×q, orthonormal columns. */
  V: Tensor;
}

/**
 * Augmentation: Û = orth([U | dU]), V̂ = orth([V | dV]), S̃ = (ÛᵀU) S (VᵀV̂), so Û S̃ V̂ᵀ = U S Vᵀ
 * exactly because span U ⊆ span Û (the augmented BUG: Ceruti, Kusch & Lubich, BIT 2022). The
 * old basis comes first: then ÛᵀU is a signed embedding, which keeps transformed optimizer state
 * exact (docs/low-rank-training.md). dU (n×a) and dV (m×b) are the new directions; Û and V̂
 * have min(n, p + a) and min(m, q + b) columns.
 * @example const { U, S, V } = augmentFactors({ U: U0, S: S0, V: V0 }, dU, dV);
 */
export function augmentFactors(f: MatrixFactors, dU: Tensor, dV: Tensor): MatrixFactors {
  return tidy(() => {
    const U = orth(concat([f.U, dU], 1));
    const V = orth(concat([f.V, dV], 1));
    const S = changeBasis(f.S, [{ axis: 0, from: f.U, to: U }, { axis: 1, from: f.V, to: V }]);
    return { U, S, V };
  });
}

/**
 * Truncation: S = P Σ Qᵀ, keep r₁ values by `rule`; U ← U P₁, S ← Σ₁, V ← V Q₁ (columns of Q,
 * not of Qᵀ: the transposition in COMPiLELab/DLRT-Net's truncation is not repeated). The Frobenius
 * change of W equals ‖dropped‖₂. `context` carries the previous rank for the rules that use it.
 * @example truncateFactors(f, { kind: 'relative', theta: 0.1 }, { previousRank: 16 }).truncation
 */
export function truncateFactors(f: MatrixFactors, rule: TruncationRule,
  context: TruncationContext = {}): MatrixFactors & {
  /** What the rule kept and dropped of S's singular values. */
  truncation: Truncation;
} {
  const { u: P, s, v: Q } = svd(f.S);
  const truncation = truncateValues(Array.from(s.dataSync()), rule, context);
  const r = truncation.rank;
  const out = tidy(() => ({ U: matmul(f.U, columns(P, r)), S: diag(truncation.kept, f.S.dtype),
    V: matmul(f.V, columns(Q, r)) }));
  for (const x of [P, s, Q]) x.dispose();
  return { ...out, truncation };
}

/**
 * A rank-r matrix W = U S Vᵀ kept as its factors: U n×r and V m×r with orthonormal columns,
 * S r×r. It owns its three tensors; `dispose` frees them. Methods return new matrices.
 * @example
 * const W = LowRankMatrix.fromDense(w, 16);   // w [n, m]
 * const dense = W.toDense();   // [n, m]
 */
export class LowRankMatrix {
  /** Left basis, n×r, orthonormal columns. */
  readonly U: Tensor;
  /** Coefficients, r×r. */
  readonly S: Tensor;
  /** Right basis, m×r, orthonormal columns. */
  readonly V: Tensor;

  /** Takes ownership of U (n×r), S (r×r) and V (m×r); U and V must be orthonormal. */
  constructor(U: Tensor, S: Tensor, V: Tensor) {
    const r = S.shape[0];
    if (U.rank !== 2 || S.rank !== 2 || V.rank !== 2 || S.shape[1] !== r || U.shape[1] !== r ||
        V.shape[1] !== r || U.dtype !== S.dtype || V.dtype !== S.dtype) {
      throw new Error(`LowRankMatrix: U ${fmt(U.shape)}, S ${fmt(S.shape)}, V ${fmt(V.shape)} ` +
        'must be n×r, r×r, m×r of one dtype');
    }
    this.U = U;
    this.S = S;
    this.V = V;
  }

  /** r, the number of columns of U and V. */
  get rank(): number {
    return this.S.shape[0];
  }

  /** [n, m] of the represented matrix. */
  get shape(): [number, number] {
    return [this.U.shape[0], this.V.shape[0]];
  }

  /**
   * The best approximation of W by the truncated SVD, with a fixed `rank` or a rule.
   * @example
   * LowRankMatrix.fromDense(w, 16);
   * LowRankMatrix.fromDense(w, { kind: 'relative', theta: 0.1 });
   */
  static fromDense(W: Tensor, rankOrRule: number | TruncationRule): LowRankMatrix {
    if (W.rank !== 2) {
      throw new Error(`LowRankMatrix.fromDense: W ${fmt(W.shape)} must be a matrix`);
    }
    const k = Math.min(W.shape[0], W.shape[1]);
    if (typeof rankOrRule === 'number' && !(Number.isInteger(rankOrRule) && rankOrRule >= 0 &&
        rankOrRule <= k)) {
      throw new Error(`LowRankMatrix.fromDense: rank ${rankOrRule} is outside [0, ${k}] for ` +
        `W ${fmt(W.shape)}`);
    }
    const rule: TruncationRule = typeof rankOrRule === 'number'
      ? { kind: 'rank', rank: rankOrRule } : rankOrRule;
    const { u, s, v } = svd(W);
    const t = truncateValues(Array.from(s.dataSync()), rule);
    const out = tidy(() => [columns(u, t.rank), diag(t.kept, W.dtype), columns(v, t.rank)]);
    for (const x of [u, s, v]) x.dispose();
    return new LowRankMatrix(out[0], out[1], out[2]);
  }

  /** U S Vᵀ as a dense n×m tensor. */
  toDense(): Tensor {
    return tidy(() => matmul(matmul(this.U, this.S), this.V, { transposeB: true }));
  }

  /**
   * Bases [U | dU] and [V | dV] orthonormalized (Û, V̂); S lifted to S̃ = (ÛᵀU) S (VᵀV̂), so
   * Û S̃ V̂ᵀ = U S Vᵀ exactly, because span U ⊆ span Û (Ceruti, Kusch & Lubich, BIT 2022).
   */
  augment(dU: Tensor, dV: Tensor): LowRankMatrix {
    const [n, m] = this.shape;
    if (dU.rank !== 2 || dU.shape[0] !== n || dV.rank !== 2 || dV.shape[0] !== m) {
      throw new Error(`LowRankMatrix.augment: dU ${fmt(dU.shape)} and dV ${fmt(dV.shape)} must ` +
        `have ${n} and ${m} rows`);
    }
    const { U, S, V } = augmentFactors(this, dU, dV);
    return new LowRankMatrix(U, S, V);
  }

  /**
   * SVD of S = P Σ Qᵀ, keep r₁ values by `rule`: U ← U P₁, S ← Σ₁, V ← V Q₁. The Frobenius
   * change of W equals ‖dropped‖₂.
   */
  truncate(rule: TruncationRule): {
    /** The truncated matrix, of rank `rank` (a new matrix; this one is unchanged). */
    matrix: LowRankMatrix;
  } & Truncation {
    const { U, S, V, truncation } = truncateFactors(this, rule);
    return { matrix: new LowRankMatrix(U, S, V), ...truncation };
  }

  /** The orthogonal projection of Z (n×m) onto the tangent space at W: UUᵀZ + ZVVᵀ − UUᵀZVVᵀ. */
  projectTangent(Z: Tensor): Tensor {
    return tidy(() => {
      const UtZ = matmul(this.U, Z, { transposeA: true });            // r×m
      const ZV = matmul(Z, this.V);                                    // n×r
      const UUtZ = matmul(this.U, UtZ);
      const ZVVt = matmul(ZV, this.V, { transposeB: true });
      const core = matmul(matmul(this.U, matmul(UtZ, this.V)), this.V, { transposeB: true });
      return sub(add(UUtZ, ZVVt), core);
    });
  }

  /** Scalar parameters stored: r(n + m + r). */
  get numParameters(): number {
    const [n, m] = this.shape;
    return this.rank * (n + m + this.rank);
  }

  /** Disposes U, S and V. */
  dispose(): void {
    this.U.dispose();
    this.S.dispose();
    this.V.dispose();
  }
}

