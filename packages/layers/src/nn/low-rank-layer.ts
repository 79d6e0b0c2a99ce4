/**
 * LowRankLayer: the base of LowRankDense and LowRankConv2d, the matrix format of the
 * factorized-layer kit (factorized-layer.ts). The weight, an n×m matrix (n = outputs,
 * m = inputs; a conv kernel unfolded to out × in·kh·kw), is stored as W = U S Vᵀ with
 * orthonormal U (n×r), V (m×r) and a core S (Schotthöfer et al., "Low-rank lottery tickets",
 * NeurIPS 2022): the core is S, the bases U (mode 0) and V (mode 1).
 *
 * Integrators evaluate the same W in other forms to get the gradients their steps need
 * (`FactorForm`): W = K Vᵀ gives ∇_K ℓ = G V, W = U Lᵀ gives ∇_L ℓ = Gᵀ U, and U S Vᵀ gives
 * ∇_S ℓ = Uᵀ G V, where G = ∇_W ℓ is never formed.
 */
import {
  clone, concat, diag, type FloatDType, linalg, LowRankMatrix, type MatrixFactors, matmul, type Rng,
  randn, sub, type Tensor, tidy, transpose, type Truncation, type TruncationContext,
  truncateFactors, type TruncationRule, type Variable,
} from '@dlrt/core';
import {
  type CoreSpectrum, coreSpectrum, initBias, type InitOptions, initRng, weightVariance,
} from './init.js';
import { type Factorization, type FactorForm, FactorizedLayer } from './factorized-layer.js';

/** A low-rank layer's ranks, bias and init (rank is required). */
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

/** Starting factors and bias, instead of random ones (`fromDense`). */
export type LowRankInit = Factors & {
  /** The bias, shape (n); null: no bias; undefined: as the options say (drawn). */
  bias?: Tensor | null;
};

/**
 * The matrix format of a factorized layer: the n×m weight stored as W = U S Vᵀ, the bases U
 * and V untrainable (integrators move them, keeping them orthonormal) and S trained like a
 * weight. LowRankDense and LowRankConv2d supply the input layout. The constructor throws
 * unless 1 ≤ rank ≤ maxRank ≤ min(n, m).
 * @example const l = new LowRankDense(784, 500, { rank: 32, seed: 1 });
 *          l.weightMatrix()   // U S Vᵀ, [500, 784]
 */
export abstract class LowRankLayer extends FactorizedLayer {
  /** U [n, r], orthonormal columns (basis 0). */
  readonly U: Variable;
  /** S [r, r], the trainable core (r₀ × r₁ mid-step). */
  readonly S: Variable;
  /** V [m, r], orthonormal columns (basis 1). */
  readonly V: Variable;
  /** [n], or null with `bias: false` (or a null `init.bias`). */
  readonly bias: Variable | null;
  /** The largest rank an integrator may keep (both bases). */
  readonly maxRank: number;
  readonly core: Variable;
  readonly bases: readonly Variable[];
  readonly modes: readonly number[] = [0, 1];
  readonly maxRanks: readonly number[];

  /**
   * @param n outputs, m inputs of the weight matrix; `init` gives the starting factors and
   *   bias (else orthonormal random bases and a diagonal core, see `randomFactors`, then the
   *   bias, both drawn from `o.rng` or `o.seed`).
   * @param m the weight's inputs, its columns (in·kh·kw for a convolution).
   */
  protected constructor(readonly kind: string, readonly n: number, readonly m: number,
    o: LowRankOptions, init?: LowRankInit) {
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
    this.maxRanks = [maxRank, maxRank];
    const wantsBias = init?.bias !== undefined ? init.bias !== null : o.bias !== false;
    const draws = !init || (wantsBias && init.bias === undefined);
    const rng = draws ? initRng(kind, o) : undefined;
    // Given factors stay the caller's (clone shares their storage).
    const f = init ? { U: clone(init.U), S: clone(init.S), V: clone(init.V) }
      : randomFactors(n, m, o.rank, rng!, { dtype: o.dtype ?? 'float32',
        variance: weightVariance(kind, m, o), spectrum: coreSpectrum(kind, o),
        pool: 2 * maxRank });
    // U and V are moved only by integrators (they stay orthonormal); S trains like a weight.
    this.U = this.addParameter('U', f.U, { trainable: false });
    this.S = this.addParameter('S', f.S);
    this.V = this.addParameter('V', f.V, { trainable: false });
    this.core = this.S;
    this.bases = [this.U, this.V];
    // The bias is drawn after the factors, from the same generator.
    const bias = init?.bias ? clone(init.bias) : wantsBias && init?.bias !== null
      ? initBias(kind, [n], m, rng!, o) : null;
    this.bias = bias ? this.addParameter('bias', bias) : null;
  }

  /** The current rank (the smaller side of S, which is square except mid-step). */
  override get rank(): number {
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

  /** K = U S for U (basis 0), L = V Sᵀ for V (basis 1). */
  override coefficient(i: number): Tensor {
    return i === 0 ? matmul(this.U, this.S) : matmul(this.V, this.S, { transposeB: true });
  }

  /** The SVD of S = P Σ Qᵀ: U ← U P₁, S ← Σ₁, V ← V Q₁ (one rank for both bases). */
  override truncated(rules: readonly TruncationRule[],
    contexts: readonly TruncationContext[] = []): Factorization & {
      /** What the SVD of S kept and dropped, once per basis (the same truncation twice). */
      truncations: Truncation[];
    } {
    const t = truncateFactors(this, rules[0], contexts[0]);
    return { core: t.S, bases: [t.U, t.V], truncations: [t.truncation, t.truncation] };
  }

  protected override applyForm(x: Tensor, form: FactorForm): Tensor {
    if (form.kind === 'weight') return this.addBias(this.applyDense(x, form.W));
    return this.addBias(this.apply(x, ...this.leftRight(form)));
  }

  protected applyFactors(x: Tensor, core: Tensor, bases: readonly (Tensor | null)[]): Tensor {
    const [U, V] = bases;
    const lr: [Tensor, Tensor] = !U ? [core, V!] : !V ? [U, transpose(core)]
      : [matmul(U, core), V];
    return this.addBias(this.apply(x, ...lr));
  }

  /** The weight as left·rightᵀ in `form` (any form but 'weight'). */
  private leftRight(form: Exclude<FactorForm, { kind: 'weight' }>): [Tensor, Tensor] {
    switch (form.kind) {
      case 'factors': return [matmul(this.U, this.S), this.V];
      case 'K': return form.basis === 0 ? [form.K, this.V] : [this.U, form.K];
      // (K − U S) Vᵀ + U Lᵀ = [K − US | U]·[V | L]ᵀ
      case 'tangent': return [concat([sub(form.K[0], matmul(this.U, this.S)), this.U], 1),
        concat([this.V, form.K[1]], 1)];
    }
  }

  /** x ↦ x·(left·rightᵀ)ᵀ for this layer's input layout (left n×k, right m×k). */
  protected abstract apply(x: Tensor, left: Tensor, right: Tensor): Tensor;
  /** x ↦ x·Wᵀ for this layer's input layout, W the dense n×m weight. */
  protected abstract applyDense(x: Tensor, W: Tensor): Tensor;
  /** y plus the bias in this layer's output layout (y itself without a bias). */
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
 *   as the DLRT reference code does with pool = 2·maxRank (COMPiLELab/DLRT-Net);
 * - 'matrix': no diagonal at all: S is an r×r matrix of N(0, 1) entries, as the abPSI MNIST
 *   reference code draws it. Its singular values run up to about 2√r, so ‖S‖_F ≈ r where
 *   'unit' gives about √r.
 * The caller owns the returned tensors.
 * @example randomFactors(500, 784, 32, new Rng(1), { dtype: 'float32', variance: 1 / (3 * 784) })
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
    if (spectrum === 'matrix') return { U, S: randn([r, r], { rng, dtype }), V };
    const s = Math.sqrt((n * m * o.variance) / r);
    const draw = spectrum === 'flat' ? () => s
      : spectrum === 'unit' ? () => Math.abs(rng.normal()) : () => Math.abs(s * rng.normal());
    const sigma = Array.from({ length: spectrum === 'unit' ? pool : r }, draw)
      .sort((a, b) => b - a).slice(0, r);
    return { U, S: diag(sigma, dtype), V };
  });
}

/**
 * The rank-r truncated SVD of a dense n×m weight as factors (the caller owns them); throws,
 * naming `kind`, unless 1 ≤ r ≤ min(n, m).
 * @example const { U, S, V } = factorsFromDense('LowRankDense', dense.weight, 32);
 */
export function factorsFromDense(kind: string, W: Tensor, r: number): Factors {
  const [n, m] = W.shape;
  if (!Number.isInteger(r) || r < 1 || r > Math.min(n, m)) {
    throw new Error(`${kind}.fromDense: rank ${r} is outside [1, min(${n}, ${m})]`);
  }
  const { U, S, V } = LowRankMatrix.fromDense(W, r);
  return { U, S, V };
}
