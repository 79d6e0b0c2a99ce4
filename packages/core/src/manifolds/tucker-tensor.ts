/**
 * Tucker tensors 𝒲 = 𝒞 ×₁ U₁ ⋯ ×_d U_d with orthonormal factors, and the tensor algebra they
 * need: mode products, unfolding and folding with the row-major convention of
 * the Tucker papers' code and TensorLy (move mode i to the front, then reshape row-major).
 */
import { orth, svd } from '../linalg/decompositions.js';
import { clone, concat, slice, transpose } from '../ops/shape-ops.js';
import { matmul } from '../ops/matmul.js';
import { fmt, normAxis } from '../shape.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { type Truncation, type TruncationRule, truncateValues } from './truncation.js';
import { changeBasis } from './basis-change.js';
import { modeProduct, unfold } from './unfold.js';

export { fold, modeProduct, unfold } from './unfold.js';

/** Left singular vectors and singular values of Mat_i(x). */
function leftSingular(x: Tensor, mode: number): { u: Tensor; s: number[] } {
  const m = unfold(x, mode);
  const { u, s, v } = svd(m);
  const values = Array.from(s.dataSync());
  for (const t of [m, s, v]) t.dispose();
  return { u, s: values };
}

function firstColumns(x: Tensor, r: number): Tensor {
  return slice(x, [0, 0], [x.shape[0], r]);
}

/**
 * Truncated HOSVD on `modes` alone (a partial Tucker, as TensorLy's partial_tucker): per mode i,
 * the leading left singular vectors Pᵢ of Mat_i(𝒳), as many as `rules[k]` keeps, and the core
 * 𝒳 ×ᵢ Pᵢᵀ over those modes (the other modes keep their full size). A rank rule above what the
 * unfolding has, min(nᵢ, Π_{j≠i} nⱼ), is an error naming `op`, the mode and the value.
 * @example partialHosvd(kernel, [0, 1], [{ kind: 'rank', rank: 8 }, { kind: 'rank', rank: 4 }])
 */
export function partialHosvd(x: Tensor, modes: readonly number[],
  rules: readonly TruncationRule[], op = 'partialHosvd'): {
  /** 𝒳 ×ᵢ Pᵢᵀ over `modes`: x's shape, each mode of `modes` cut to its kept rank. */
  core: Tensor;
  /** Pᵢ for each of `modes` in order, shape (nᵢ, rᵢ), with orthonormal columns. */
  factors: Tensor[];
  /** What each mode's rule kept and dropped of Mat_i(𝒳)'s singular values, in `modes` order. */
  truncations: Truncation[];
} {
  if (rules.length !== modes.length) {
    throw new Error(`${op}: ${rules.length} rules for ${modes.length} modes [${modes}]`);
  }
  modes.forEach((m, k) => {
    if (!Number.isInteger(m) || m < 0 || m >= x.rank || modes.indexOf(m) !== k) {
      throw new Error(`${op}: modes [${modes}] must be distinct modes of x ${fmt(x.shape)}`);
    }
    const most = Math.min(x.shape[m], x.size / Math.max(x.shape[m], 1));
    const r = rules[k];
    if (r.kind === 'rank' && !(Number.isInteger(r.rank) && r.rank >= 0 && r.rank <= most)) {
      throw new Error(`${op}: rank ${r.rank} of mode ${m} is outside [0, ${most}]`);
    }
  });
  const truncations: Truncation[] = [];
  const factors = modes.map((m, k) => {
    const { u, s } = leftSingular(x, m);
    const t = truncateValues(s, rules[k]);
    truncations.push(t);
    const f = tidy(() => firstColumns(u, t.rank));
    u.dispose();
    return f;
  });
  // With no modes the core is a copy: the caller owns (and may dispose) it, never x itself.
  const core = tidy(() => modes.length === 0 ? clone(x)
    : factors.reduce((c, u, k) => modeProduct(c, transpose(u), modes[k]), x));
  return { core, factors, truncations };
}

/**
 * A Tucker tensor 𝒲 = 𝒞 ×₁ U₁ ⋯ ×_d U_d: a core [r₁, …, r_d] and one factor U_i [n_i, r_i]
 * with orthonormal columns per mode. It owns its tensors; `dispose` frees them. Methods return
 * new Tucker tensors (unchanged factors share storage).
 * @example
 * const t = TuckerTensor.hosvd(kernel, [16, 8, 3, 3]);   // kernel [64, 32, 3, 3]
 * t.toDense();   // [64, 32, 3, 3]
 */
export class TuckerTensor {
  /** The core 𝒞, [r₁, …, r_d]. */
  readonly core: Tensor;
  /** U₁ … U_d, U_i [n_i, r_i] with orthonormal columns (frozen array). */
  readonly factors: readonly Tensor[];

  /** Takes ownership of the core [r₁,…,r_d] and the factors U_i [n_i, r_i] (orthonormal). */
  constructor(core: Tensor, factors: readonly Tensor[]) {
    if (factors.length !== core.rank ||
        factors.some((u, i) => u.rank !== 2 || u.shape[1] !== core.shape[i] || u.dtype !== core.dtype)) {
      throw new Error(`TuckerTensor: core ${fmt(core.shape)} needs one factor [n_i, r_i] per mode, ` +
        `got ${factors.map((u) => fmt(u.shape)).join(', ')}`);
    }
    this.core = core;
    this.factors = Object.freeze([...factors]);
  }

  /** [r₁, …, r_d], the core's shape (a copy). */
  get ranks(): number[] {
    return [...this.core.shape];
  }

  /** [n₁, …, n_d], the shape of the represented tensor. */
  get shape(): number[] {
    return this.factors.map((u) => u.shape[0]);
  }

  /**
   * Truncated HOSVD: per mode, the leading left singular vectors of Mat_i(𝒳) (a fixed rank per
   * mode, or a rule applied to each mode), core = 𝒳 ×_i P_iᵀ.
   */
  static hosvd(x: Tensor, ranks: readonly number[] | TruncationRule): TuckerTensor {
    if (Array.isArray(ranks) && ranks.length !== x.rank) {
      throw new Error(`hosvd: ${ranks.length} ranks for x ${fmt(x.shape)}`);
    }
    const modes = x.shape.map((_, i) => i);
    const rules = modes.map((i): TruncationRule => (Array.isArray(ranks)
      ? { kind: 'rank', rank: ranks[i] } : ranks as TruncationRule));
    const { core, factors } = partialHosvd(x, modes, rules, 'hosvd');
    return new TuckerTensor(core, factors);
  }

  /** 𝒞 ×₁ U₁ ⋯ ×_d U_d. */
  toDense(): Tensor {
    return tidy(() => this.factors.reduce((c, u, i) => modeProduct(c, u, i), this.core));
  }

  /**
   * Mode i's basis becomes orth([U_i | dU]) = Û_i and the core 𝒞 ×_i (Û_iᵀ U_i), so the
   * represented tensor is unchanged.
   */
  augment(mode: number, dU: Tensor): TuckerTensor {
    const i = normAxis('TuckerTensor.augment', mode, this.core.rank);
    const U = this.factors[i];
    if (dU.rank !== 2 || dU.shape[0] !== U.shape[0]) {
      throw new Error(`TuckerTensor.augment: dU ${fmt(dU.shape)} must have ${U.shape[0]} rows`);
    }
    const [core, Uh] = tidy(() => {
      const Uh = orth(concat([U, dU], 1));
      return [changeBasis(this.core, [{ axis: i, from: U, to: Uh }]), Uh];
    });
    // Unchanged factors are shared storage (clone is free), so each tensor owns its own handles.
    const factors = this.factors.map((f, j) => (j === i ? Uh : clone(f)));
    return new TuckerTensor(core, factors);
  }

  /**
   * Mode i: SVD of Mat_i(𝒞) = P Σ Zᵀ, keep r by `rule`, U_i ← U_i P_r, 𝒞 ← 𝒞 ×_i P_rᵀ.
   * The change of the tensor's Frobenius norm equals ‖dropped‖₂.
   */
  truncate(mode: number, rule: TruncationRule): {
    /** The truncated Tucker tensor, with r_i = `rank` (a new tensor; this one is unchanged). */
    tensor: TuckerTensor;
  } & Truncation {
    const i = normAxis('TuckerTensor.truncate', mode, this.core.rank);
    const { u: P, s } = leftSingular(this.core, i);
    const t = truncateValues(s, rule);
    const [core, Ui] = tidy(() => {
      const Pr = firstColumns(P, t.rank);
      return [modeProduct(this.core, transpose(Pr), i), matmul(this.factors[i], Pr)];
    });
    P.dispose();
    const factors = this.factors.map((f, j) => (j === i ? Ui : clone(f)));
    return { tensor: new TuckerTensor(core, factors), ...t };
  }

  /** Scalar parameters stored: Π r_i + Σ n_i r_i. */
  get numParameters(): number {
    return this.core.size + this.factors.reduce((n, u) => n + u.size, 0);
  }

  /** Disposes the core and every factor. */
  dispose(): void {
    this.core.dispose();
    for (const u of this.factors) u.dispose();
  }
}
