/**
 * The factorized-layer kit: the contract every factorized layer shows the integrators, whatever
 * its format (a matrix U S Vᵀ, a Tucker tensor 𝒞 ×ᵢ Uᵢ, an adapter, an attention projection):
 * - its factors: a core 𝒞 and an orthonormal basis Uᵢ (nᵢ × rᵢ) per factorized mode;
 * - the forms an integrator evaluates the same weight in, to get the gradients its steps need
 *   (`withForms`; the K-step forms and the coefficient form);
 * - `rebase`, which moves the layer to new factors and its optimizer state with them;
 * - factored and dense-equivalent parameter counts.
 * docs/factorized-layers.md shows how to add a layer and an integrator.
 */
import {
  type AxisChange, basisTransforms, changeBasis, concat, dispose, fold, linalg, matmul,
  modeProduct, mul, type Shape, slice, sub, type Tensor, tidy, type Truncation,
  type TruncationContext, type TruncationRule, truncateValues, unfold, Variable,
} from '@dlrt/core';
import type { Optimizer } from '../optim/optimizer.js';
import { Module } from './module.js';

/** A factorized weight: a core and an orthonormal basis per factorized mode. */
export interface Factorization {
  /** 𝒞, one mode per mode of the weight (a matrix layer's S). */
  readonly core: Tensor;
  /** Uᵢ [nᵢ, rᵢ] with orthonormal columns, for the core modes `layer.modes`, in that order. */
  readonly bases: readonly Tensor[];
}

/**
 * How a layer's forward reads its weight during one gradient pass. With 𝒦ᵢ = Uᵢ Mat(𝒞) (the
 * unfolding along basis i's mode; a matrix layer's K = U S and L = V Sᵀ):
 * - `factors`: W = 𝒞 ×ᵢ Uᵢ, the default; ∇_𝒞 ℓ = 𝒢 ×ᵢ Uᵢᵀ (the S-step's gradient);
 * - `K`: basis i folded into the core, W = Ten(𝒦ᵢ) ×ⱼ Uⱼ (j ≠ i); ∇_𝒦ᵢ ℓ = Mat(𝒢 ×ⱼ Uⱼᵀ), the
 *   K-step's gradient (G V and Gᵀ U for a matrix) without forming 𝒢 = ∇_W ℓ;
 * - `tangent`: W = Σᵢ W(𝒦ᵢ) − (d − 1) W(𝒞) for d bases: one pass gives every K-step gradient
 *   and −(d − 1) ∇_𝒞 ℓ together (the parallel integrator's single pass);
 * - `weight`: W itself, a tensor equal to `denseWeight()`: one pass gives 𝒢 = ∇_W ℓ, from which
 *   `kGradient` and `coreGradient` give every other form's gradient (for small weights, such as
 *   convolution kernels: 𝒢 has the dense size).
 */
export type FactorForm =
  | {
      /** W = 𝒞 ×ᵢ Uᵢ from the layer's own factors (the default form). */
      readonly kind: 'factors';
    }
  | {
      /** Basis `basis` folded into the core: W = Ten(𝒦ᵢ) ×ⱼ Uⱼ, j ≠ i. */
      readonly kind: 'K';
      /** i, the index of the basis folded in (0 … bases − 1; for a matrix 0: K, 1: L). */
      readonly basis: number;
      /** 𝒦ᵢ = Uᵢ Mat(𝒞), nᵢ × ∏ⱼ≠ᵢ rⱼ (K = U S or L = V Sᵀ for a matrix). */
      readonly K: Tensor;
    }
  | {
      /** W = Σᵢ W(𝒦ᵢ) − (d − 1) W(𝒞): every K-step gradient from one pass. */
      readonly kind: 'tangent';
      /** 𝒦ᵢ for every basis i in order, each as in the `K` form. */
      readonly K: readonly Tensor[];
    }
  | {
      /** The dense weight given directly: one pass gives 𝒢 = ∇_W ℓ. */
      readonly kind: 'weight';
      /** A tensor equal to `denseWeight()`, of its shape. */
      readonly W: Tensor;
    };

const FACTORS: FactorForm = { kind: 'factors' };

/** What `rebase` moves besides the factors. */
export interface RebaseOptions {
  /** Its state of the core and of the K coefficients follows the change of basis. */
  optimizer?: Optimizer;
  /** The integrator's K coefficient of each basis (`coefficient(i)`'s Variable), if any. */
  coefficients?: readonly (Variable | undefined)[];
}

/** Scalars a factorized layer stores, and what it would store dense. */
export interface LayerParameterCounts {
  /** Scalars stored now: core, bases and the rest (e.g. the bias). */
  factored: number;
  /** Scalars of the same layer stored dense (weight and bias). */
  dense: number;
}

/**
 * The base of every factorized layer. A subclass registers its core and bases as parameters
 * (the bases untrainable: only integrators move them, keeping them orthonormal), says which
 * core mode each basis multiplies, and implements `applyFactors`. Everything else has a
 * generic form here that a format may override for speed (the matrix layer does).
 * @example const l = new LowRankDense(784, 500, { rank: 32, seed: 1 }); l.ranks   // [32, 32]
 *          l.rebase(l.truncated([{ kind: 'rank', rank: 16 }]))   // now rank 16
 */
export abstract class FactorizedLayer extends Module {
  /** The layer's name in messages, e.g. 'LowRankDense'. */
  abstract readonly kind: string;
  /** 𝒞, the trainable core (a matrix layer's S), one mode per mode of the weight. */
  abstract readonly core: Variable;
  /** Uᵢ [nᵢ, rᵢ], orthonormal and untrainable (only integrators move them), one per mode. */
  abstract readonly bases: readonly Variable[];
  /** The core mode that each basis multiplies. */
  abstract readonly modes: readonly number[];
  /** The largest rank an integrator may keep, per basis. */
  abstract readonly maxRanks: readonly number[];
  /** Scalars of the same layer stored dense (weight and bias). */
  abstract readonly denseParameters: number;
  #form: FactorForm = FACTORS;

  /**
   * Runs `fn` with `layers[i]` reading its weight in `forms[i]`, then restores the factors
   * form, also when `fn` throws. The form is private to the layer: only this sets it.
   * @example FactorizedLayer.withForms([l], [{ kind: 'K', basis: 0, K }], () => lossFn())
   */
  static withForms<T>(layers: readonly FactorizedLayer[], forms: readonly FactorForm[],
    fn: () => T): T {
    if (forms.length !== layers.length) {
      throw new Error(`withForms: ${forms.length} forms for ${layers.length} layers`);
    }
    layers.forEach((l, i) => l.checkForm(forms[i]));
    try {
      layers.forEach((l, i) => (l.#form = forms[i]));
      return fn();
    } finally {
      for (const l of layers) l.#form = FACTORS;
    }
  }

  /** The current rank of each basis. */
  get ranks(): number[] {
    return this.bases.map((u) => u.shape[1]);
  }

  /** The rank a log reports: one number per basis (a matrix layer reports its single rank). */
  get rank(): number | readonly number[] {
    return this.ranks;
  }

  /** Scalars stored now (core, bases and the rest, e.g. the bias) and dense. */
  parameterCounts(): LayerParameterCounts {
    return { factored: this.numParameters(), dense: this.denseParameters };
  }

  /** nᵢ, the full size of basis i's mode. */
  size(i: number): number {
    return this.bases[i].shape[0];
  }

  forward(x: Tensor): Tensor {
    return this.applyForm(x, this.#form);
  }

  /**
   * x ↦ the layer's output with the weight W = core ×ᵢ bases[i] (bias included); a null basis
   * means the core already has the full size on that mode.
   */
  protected abstract applyFactors(x: Tensor, core: Tensor, bases: readonly (Tensor | null)[]):
    Tensor;

  /** The output in `form`, generically through `applyFactors`. */
  protected applyForm(x: Tensor, form: FactorForm): Tensor {
    if (form.kind === 'factors') return this.applyFactors(x, this.core, this.bases);
    if (form.kind === 'K') return this.applyK(x, form.basis, form.K);
    if (form.kind === 'weight') return this.applyFactors(x, form.W, this.bases.map(() => null));
    // Σᵢ y(𝒦ᵢ) − (d − 1) y(𝒞): the layer is affine in W, so the bias comes out once.
    const d = this.bases.length;
    const ys = form.K.map((K, i) => this.applyK(x, i, K));
    return sub(ys.reduce((a, b) => a.add(b)), mul(this.applyForm(x, FACTORS), d - 1));
  }

  private applyK(x: Tensor, i: number, K: Tensor): Tensor {
    const { core, bases } = this.kFactors(i, K);
    return this.applyFactors(x, core, bases);
  }

  /** The form this layer's forward reads its weight in now ('factors' outside `withForms`). */
  protected get form(): FactorForm {
    return this.#form;
  }

  /** The weight W = Ten(𝒦ᵢ) ×ⱼ Uⱼ (j ≠ i) as a core with mode i at full size, basis i null. */
  protected kFactors(i: number, K: Tensor): {
    /** Ten(𝒦ᵢ): K folded back into the core's shape, mode i at its full size nᵢ. */
    core: Tensor;
    /** The layer's bases, with null at i (Uᵢ is folded into the core). */
    bases: (Tensor | null)[];
  } {
    return { core: fold(K, this.modes[i], this.kShape(i)),
      bases: this.bases.map((u, j) => (j === i ? null : u)) };
  }

  /** The core's shape with basis i's mode at full size nᵢ. */
  private kShape(i: number): Shape {
    return this.core.shape.map((r, m) => (m === this.modes[i] ? this.size(i) : r));
  }

  /** The dense weight W = 𝒞 ×ᵢ Uᵢ, in the core's mode order (a matrix layer's U S Vᵀ). */
  denseWeight(): Tensor {
    return tidy(() => this.bases.reduce<Tensor>((c, u, i) => modeProduct(c, u, this.modes[i]),
      this.core));
  }

  /** ∇_𝒦ᵢ ℓ = Mat_i(𝒢 ×ⱼ Uⱼᵀ), j ≠ i, from 𝒢 = ∇_W ℓ (G V and Gᵀ U for a matrix). */
  kGradient(i: number, G: Tensor): Tensor {
    return tidy(() => unfold(this.bases.reduce<Tensor>((g, u, j) => (j === i ? g
      : modeProduct(g, u.transpose(), this.modes[j])), G), this.modes[i]));
  }

  /** ∇_𝒞 ℓ = 𝒢 ×ᵢ Uᵢᵀ from 𝒢 = ∇_W ℓ (Uᵀ G V for a matrix), in the current bases. */
  coreGradient(G: Tensor): Tensor {
    return tidy(() => this.bases.reduce<Tensor>((g, u, i) =>
      modeProduct(g, u.transpose(), this.modes[i]), G));
  }

  /** 𝒦ᵢ = Uᵢ Mat(𝒞): the K-step's variable of basis i, as a new tensor. */
  coefficient(i: number): Tensor {
    return tidy(() => matmul(this.bases[i], unfold(this.core, this.modes[i])));
  }

  /**
   * Augmentation: Ûᵢ = orth([Uᵢ | Dᵢ]) with the old basis first, and the core written in the
   * new bases, 𝒞̃ = 𝒞 ×ᵢ (ÛᵢᵀUᵢ), so the weight is unchanged because span Uᵢ ⊆ span Ûᵢ (the
   * augmented BUG: Ceruti, Kusch & Lubich, BIT Numer. Math. 2022).
   */
  augmented(directions: readonly Tensor[]): Factorization {
    return tidy(() => this.withBases(this.bases.map((u, i) =>
      linalg.orth(concat([u, directions[i]], 1)))));
  }

  /** The same weight's core written in `bases`: 𝒞 ×ᵢ (basesᵢᵀ Uᵢ) (exact when they span Uᵢ). */
  withBases(bases: readonly Tensor[]): Factorization {
    return { core: changeBasis(this.core, this.changes(bases)), bases };
  }

  /**
   * Truncation of every basis by its rule: the left singular vectors Pᵢ of the core's
   * unfolding along its mode, Uᵢ ← Uᵢ Pᵢ and 𝒞 ← 𝒞 ×ᵢ Pᵢᵀ (a truncated HOSVD of the core, as
   * TDLRT's spectral pruning: Zangrando et al., NeurIPS 2024). A matrix layer truncates the SVD
   * of S instead, keeping one rank for both bases.
   */
  truncated(rules: readonly TruncationRule[], contexts: readonly TruncationContext[] = []):
    Factorization & {
      /** What each basis's rule kept and dropped, by basis. */
      truncations: Truncation[];
    } {
    const truncations: Truncation[] = [];
    const P = this.bases.map((_, i) => tidy(() => {
      const { u, s } = linalg.svd(unfold(this.core, this.modes[i]));
      const t = truncateValues(Array.from(s.dataSync()), rules[i], contexts[i]);
      truncations.push(t);
      return slice(u, [0, 0], [u.shape[0], t.rank]);
    }));
    const next = tidy(() => ({
      core: P.reduce((c, p, i) => modeProduct(c, p.transpose(), this.modes[i]), this.core),
      bases: this.bases.map((u, i) => matmul(u, P[i])),
    }));
    for (const p of P) p.dispose();
    return { ...next, truncations };
  }

  /**
   * Moves the layer to `next`, taking ownership of its tensors (a Variable among them, such as
   * an unchanged basis, is left alone). With an optimizer, the state of the core and of the K
   * coefficients follows the per-basis change Mᵢ = Ûᵢᵀ Uᵢ: core state ×ᵢ Mᵢ, 𝒦ᵢ's state ×ⱼ Mⱼ
   * for j ≠ i (RobustDLRT's rotation of Adam's moments, Schotthöfer, Yang & Schnake 2025).
   */
  rebase(next: Factorization, o: RebaseOptions = {}): void {
    this.checkFactors('rebase', next);
    const { optimizer, coefficients = [] } = o;
    if (optimizer && [this.core, ...coefficients].some((v) => v && optimizer.state(v))) {
      // Each basis's change matrix once, for the core's state and every coefficient's.
      const changes = basisTransforms(this.changes(next.bases));
      optimizer.changeBasis(this.core, changes);
      coefficients.forEach((K, i) => {
        if (!K) return;
        // 𝒦ᵢ = Mat(core ×ᵢ Uᵢ): the other bases' changes act on its column modes.
        const folded = [this.size(i), ...this.core.shape.filter((_, m) => m !== this.modes[i])];
        const others = changes.filter((c) => c.axis !== this.modes[i]).map((c) => ({ ...c,
          axis: 1 + c.axis - (c.axis > this.modes[i] ? 1 : 0) }));
        optimizer.changeBasis(K, others, { folded });
      });
      dispose(changes.map((c) => c.matrix));
    }
    this.core.assign(next.core, { resize: true });
    this.bases.forEach((u, i) => u.assign(next.bases[i], { resize: true }));
    for (const t of [next.core, ...next.bases]) if (!(t instanceof Variable)) t.dispose();
  }

  /** The change of each basis to `bases` on its core axis (unchanged bases are left out). */
  private changes(bases: readonly Tensor[]): AxisChange[] {
    return this.bases.flatMap((u, i) => (bases[i] === u ? []
      : [{ axis: this.modes[i], from: u, to: bases[i] }]));
  }

  private checkFactors(op: string, f: Factorization): void {
    const fmt = (t: Tensor) => `[${t.shape.join(',')}]`;
    const bad = f.bases.length !== this.bases.length || f.core.rank !== this.core.rank ||
      f.bases.some((u, i) => u.rank !== 2 || u.shape[0] !== this.size(i) ||
        u.shape[1] !== f.core.shape[this.modes[i]]) ||
      f.core.shape.some((r, m) => !this.modes.includes(m) && r !== this.core.shape[m]);
    if (bad) {
      throw new Error(`${this.kind}.${op}: core ${fmt(f.core)} and bases ` +
        `${f.bases.map(fmt).join(', ')} do not factor this layer (core ${fmt(this.core)}, ` +
        `bases ${this.bases.map(fmt).join(', ')} on modes [${this.modes}])`);
    }
  }

  private checkForm(form: FactorForm): void {
    const want = (i: number) => [this.size(i), ...this.core.shape
      .filter((_, m) => m !== this.modes[i])].reduce((a, b) => a * b, 1);
    const ok = (i: number, K: Tensor) => Number.isInteger(i) && i >= 0 && i < this.bases.length &&
      K.rank === 2 && K.shape[0] === this.size(i) && K.size === want(i);
    const full = this.core.shape.map((r, m) => (this.modes.includes(m)
      ? this.size(this.modes.indexOf(m)) : r));
    const fine = form.kind === 'factors' || (form.kind === 'K' && ok(form.basis, form.K)) ||
      (form.kind === 'weight' && form.W.rank === full.length &&
        form.W.shape.every((n, m) => n === full[m])) ||
      (form.kind === 'tangent' && form.K.length === this.bases.length &&
        form.K.every((K, i) => ok(i, K)));
    if (!fine) throw new Error(`${this.kind}: form '${form.kind}' does not fit this layer`);
  }
}

/** What a model stores against what its dense twin would. */
export interface ParameterCounts {
  /** Scalars stored now (a matrix layer counts r(n + m) + r² plus its bias). */
  parameters: number;
  /** Scalars of the same model with every factorized layer dense. */
  dense: number;
  /** 1 − parameters / dense. */
  compression: number;
}

/** A module that stores a factorized weight and knows its dense twin's size. */
export interface Factored {
  /** Scalars stored now and what the same module would store dense. */
  parameterCounts(): LayerParameterCounts;
}

/**
 * Whether `m` stores a factorized weight: a FactorizedLayer, or another module with
 * `parameterCounts()` (TuckerFactorsConv2d, whose factors train as ordinary parameters).
 * @example model.modules().filter(isFactored)   // the factorized modules
 */
export function isFactored(m: Module): m is Module & Factored {
  return typeof (m as Partial<Factored>).parameterCounts === 'function';
}

/**
 * Parameters of `model` now and with every factorized module (nested ones too) dense, and the
 * compression 1 − parameters / dense (0 for a dense model).
 * @example parameterCounts(mlp({ rng: new Rng(1), lowRank: { rank: 32 } })).compression
 */
export function parameterCounts(model: Module): ParameterCounts {
  const parameters = model.numParameters();
  let dense = parameters;
  for (const m of model.modules()) {
    if (isFactored(m)) {
      const c = m.parameterCounts();
      dense += c.dense - c.factored;
    }
  }
  return { parameters, dense, compression: 1 - parameters / dense };
}
