/**
 * LowRankLayer: the base of LowRankDense and LowRankConv2d. The weight, an n×m matrix
 * (n = outputs, m = inputs; a conv kernel unfolded to out × in·kh·kw), is stored as
 * W = U S Vᵀ with orthonormal U (n×r), V (m×r) and a core S (papers/matrix-methods.md §1.1).
 *
 * Integrators evaluate the same W in other forms to get the gradients their steps need
 * (§1.2, §3.2): W = K Vᵀ gives ∇_K ℓ = G V, W = U Lᵀ gives ∇_L ℓ = Gᵀ U, and U S Vᵀ gives
 * ∇_S ℓ = Uᵀ G V, where G = ∇_W ℓ is never formed.
 */
import {
  concat, diag, type FloatDType, linalg, LowRankMatrix, type MatrixFactors, matmul, type Rng,
  randn, sub, type Tensor, tidy, type Variable,
} from '@dlrt/core';
import {
  type CoreSpectrum, coreSpectrum, type InitOptions, initRng, weightVariance,
} from './init.js';
import { Module } from './module.js';

/**
 * How `forward` reads the weight. Integrators set it for one pass and restore `USV`.
 * - `USV`: W = U S Vᵀ (the default; S may be rectangular during an augmented step);
 * - `K`: W = K Vᵀ, K standing for U S;
 * - `L`: W = U Lᵀ, L standing for V Sᵀ;
 * - `tangent`: W = K Vᵀ + U Lᵀ − U S Vᵀ with K = U S, L = V Sᵀ: one pass gives ∇_K = G V,
 *   ∇_L = Gᵀ U and ∇_S = −Uᵀ G V together, without inverting S (ParallelBUG).
 */
export type LowRankForm =
  | { kind: 'USV' }
  | { kind: 'K'; K: Tensor }
  | { kind: 'L'; L: Tensor }
  | { kind: 'tangent'; K: Tensor; L: Tensor };

export interface LowRankOptions extends InitOptions {
  /** Initial rank r, 1 ≤ r ≤ maxRank. */
  rank: number;
  /** The largest rank an integrator may keep (default min(n, m)). */
  maxRank?: number;
  /** Add a bias (default true). */
  bias?: boolean;
}

/** The three factors of a weight (core's MatrixFactors). */
export type Factors = MatrixFactors;

export abstract class LowRankLayer extends Module {
  readonly U: Variable;
  readonly S: Variable;
  readonly V: Variable;
  abstract readonly bias: Variable | null;
  readonly maxRank: number;
  form: LowRankForm = { kind: 'USV' };

  /**
   * @param n outputs, m inputs of the weight matrix; `init` gives the starting factors (or
   *   undefined for orthonormal random bases and a diagonal core, see `randomFactors`).
   */
  protected constructor(readonly kind: string, readonly n: number, readonly m: number,
    o: LowRankOptions, init?: Factors) {
    super();
    for (const [k, v] of [['outputs', n], ['inputs', m]] as const) {
      if (!Number.isInteger(v) || v < 1) {
        throw new Error(`${kind}: ${k} must be a positive integer, got ${v}`);
      }
    }
    const full = Math.min(n, m);
    const maxRank = o.maxRank ?? full;
    if (!Number.isInteger(o.rank) || o.rank < 1 || o.rank > full) {
      throw new Error(`${kind}: rank ${o.rank} is outside [1, ${full}] = [1, min(${n}, ${m})]`);
    }
    if (!Number.isInteger(maxRank) || maxRank < o.rank || maxRank > full) {
      throw new Error(`${kind}: maxRank ${maxRank} must be an integer in [rank ${o.rank}, ` +
        `min(${n}, ${m}) = ${full}]`);
    }
    this.maxRank = maxRank;
    const f = init ?? randomFactors(n, m, o.rank, initRng(kind, [n, m], o),
      { dtype: o.dtype ?? 'float32', variance: weightVariance(kind, m, o),
        spectrum: coreSpectrum(kind, o), pool: 2 * maxRank });
    // U and V are moved only by integrators (they stay orthonormal); S trains like a weight.
    this.U = this.addParameter('U', f.U, { trainable: false });
    this.S = this.addParameter('S', f.S);
    this.V = this.addParameter('V', f.V, { trainable: false });
  }

  /** The current rank (the smaller side of S, which is square except mid-step). */
  get rank(): number {
    return Math.min(this.S.shape[0], this.S.shape[1]);
  }

  /** Parameters the full-rank layer would have: n·m weights plus the bias. */
  get denseParameters(): number {
    return this.n * this.m + (this.bias?.size ?? 0);
  }

  /** W = U S Vᵀ as a dense n×m matrix (for inspection, tests and export). */
  weightMatrix(): Tensor {
    return tidy(() => matmul(matmul(this.U, this.S), this.V, { transposeB: true }));
  }

  /**
   * Replaces the factors (U n×p, S p×q, V m×q), resizing the variables; takes nothing over.
   */
  setFactors(f: Factors): void {
    const [p, q] = f.S.shape;
    if (f.U.shape[0] !== this.n || f.V.shape[0] !== this.m || f.U.shape[1] !== p ||
        f.V.shape[1] !== q) {
      throw new Error(`${this.kind}.setFactors: U [${f.U.shape}], S [${f.S.shape}], ` +
        `V [${f.V.shape}] must be ${this.n}×p, p×q, ${this.m}×q`);
    }
    this.U.assign(f.U, { resize: true });
    this.S.assign(f.S, { resize: true });
    this.V.assign(f.V, { resize: true });
  }

  forward(x: Tensor): Tensor {
    const [left, right] = this.leftRight();
    return this.addBias(this.apply(x, left, right));
  }

  /** The weight as left·rightᵀ in the current form. */
  private leftRight(): [Tensor, Tensor] {
    const f = this.form;
    switch (f.kind) {
      case 'USV': return [matmul(this.U, this.S), this.V];
      case 'K': return [f.K, this.V];
      case 'L': return [this.U, f.L];
      // (K − U S) Vᵀ + U Lᵀ = [K − US | U]·[V | L]ᵀ
      case 'tangent': return [concat([sub(f.K, matmul(this.U, this.S)), this.U], 1),
        concat([this.V, f.L], 1)];
    }
  }

  /** x ↦ x·(left·rightᵀ)ᵀ for this layer's input layout (left n×k, right m×k). */
  protected abstract apply(x: Tensor, left: Tensor, right: Tensor): Tensor;
  protected abstract addBias(y: Tensor): Tensor;
}

/**
 * Orthonormal U, V from the QR of Gaussian matrices and a diagonal S = diag(σ), σ sorted
 * descending, drawn by `spectrum`:
 * - 'gaussian' (default): |N(0, s²)| draws, s² = n·m·variance / r, so E‖W‖²_F = n·m·variance
 *   as for a dense layer whose entries have that variance (1/(3m) for the U(±1/√m) init gives
 *   s² = n/(3r));
 * - 'flat': every σ = s (the same energy, no small values for truncation to cut);
 * - 'unit': the r largest of `pool` (default 2r) draws of |N(0, 1)|, whatever the layer's size,
 *   as the DLRT reference code does with pool = 2·maxRank (papers/matrix-methods.md §3.3).
 */
export function randomFactors(n: number, m: number, r: number, rng: Rng,
  o: { dtype: FloatDType; variance: number; spectrum?: CoreSpectrum; pool?: number }): Factors {
  const { dtype, spectrum = 'gaussian', pool = 2 * r } = o;
  if (spectrum === 'unit' && !(Number.isInteger(pool) && pool >= r)) {
    throw new Error(`randomFactors: pool ${pool} must be an integer ≥ rank ${r}`);
  }
  return tidy(() => {
    const U = linalg.orth(randn([n, r], { rng, dtype }));
    const V = linalg.orth(randn([m, r], { rng, dtype }));
    const s = Math.sqrt((n * m * o.variance) / r);
    const draw = spectrum === 'flat' ? () => s
      : spectrum === 'unit' ? () => Math.abs(rng.normal()) : () => Math.abs(s * rng.normal());
    const sigma = Array.from({ length: spectrum === 'unit' ? pool : r }, draw)
      .sort((a, b) => b - a).slice(0, r);
    return { U, S: diag(sigma, dtype), V };
  });
}

/** The rank-r truncated SVD of a dense n×m weight as factors (the caller owns them). */
export function factorsFromDense(kind: string, W: Tensor, r: number): Factors {
  const [n, m] = W.shape;
  if (!Number.isInteger(r) || r < 1 || r > Math.min(n, m)) {
    throw new Error(`${kind}.fromDense: rank ${r} is outside [1, min(${n}, ${m})]`);
  }
  const { U, S, V } = LowRankMatrix.fromDense(W, r);
  return { U, S, V };
}

/** What a model stores against what its dense twin would. */
export interface ParameterCounts {
  /** Scalars stored now (low-rank layers count r(n + m) + r² plus the bias). */
  parameters: number;
  /** Scalars of the same model with every low-rank layer dense. */
  dense: number;
  /** 1 − parameters / dense. */
  compression: number;
}

export function parameterCounts(model: Module): ParameterCounts {
  const parameters = model.numParameters();
  let dense = parameters;
  for (const m of model.modules()) {
    if (m instanceof LowRankLayer) dense += m.denseParameters - m.numParameters();
  }
  return { parameters, dense, compression: 1 - parameters / dense };
}
