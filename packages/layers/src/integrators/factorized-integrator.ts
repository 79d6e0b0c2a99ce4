/**
 * The steps the factorized-layer integrators are written with: a gradient pass in chosen forms,
 * the K-steps, a move of every layer to new factors (augmentation, new bases, truncation) with
 * the optimizer state following, and the Galerkin core step. Each integrator's `step` is its
 * paper's algorithm in these terms, and works for any FactorizedLayer (docs/factorized-layers.md).
 * Memory: each helper frees what it makes; `rebaseAll` takes ownership of its inputs.
 */
import {
  dispose, linalg, matmul, type Tensor, tidy, transpose, unfold, valueAndGrads, Variable,
} from '@dlrt/core';
import { type Factorization, type FactorForm, FactorizedLayer } from '../nn/factorized-layer.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { type Integrator, readLoss, type StepResult } from './integrator.js';
import { type LowRankIntegratorOptions, ruleFor, type TruncationOptions } from './options.js';
import type { FactorizedParts } from './parts.js';

/**
 * The K coefficients an integrator steps, one Variable per layer and basis, so the inner
 * optimizer keeps their momentum across steps (moved with the bases by `rebase`).
 * @example const K = coefficients.refresh(layer, 0);   // U S of a matrix layer, a Variable
 */
export class Coefficients {
  private readonly vars = new Map<FactorizedLayer, (Variable | undefined)[]>();

  /** 𝒦ᵢ of `layer`, set to its current value Uᵢ Mat(𝒞) (K = U S, L = V Sᵀ for a matrix). */
  refresh(layer: FactorizedLayer, i: number): Variable {
    const list = this.vars.get(layer) ?? [];
    this.vars.set(layer, list);
    const value = tidy(() => layer.coefficient(i));
    const v = list[i];
    if (v) v.assign(value, { resize: true });
    else list[i] = new Variable(value, { name: `K${i}(${layer.kind})` });
    value.dispose();
    return list[i]!;
  }

  /** Every K coefficient of `layer` made so far, by basis. */
  of(layer: FactorizedLayer): readonly (Variable | undefined)[] {
    return this.vars.get(layer) ?? [];
  }

  /** Frees every K coefficient (a later `refresh` makes a new one). */
  dispose(): void {
    for (const list of this.vars.values()) dispose(list);
    this.vars.clear();
  }
}

/** What `kStep` returns: the pass's loss and each layer's stepped 𝒦ᵢ¹ (the caller's to free). */
export interface KStep {
  /** The loss of the pass, at the factors the step started from. */
  loss: number;
  /** Per layer: 𝒦ᵢ¹, or undefined for a layer without basis i. */
  next: (Tensor | undefined)[];
}

/**
 * The base of the factorized-layer integrators: a subclass writes `step` with the protected
 * helpers (`kStep`, `kSteps`, `rebaseAll`, `augment`, `coreStep`, `truncate`). It keeps the K
 * coefficients between steps; `dispose` frees them.
 * @example const step: FactorizedIntegrator = new RankAdaptiveBUG(model, { optimizer, tol: 0.1 });
 *          await step.step(() => crossEntropy(model.forward(x), y)); step.dispose();
 */
export abstract class FactorizedIntegrator implements Integrator {
  abstract readonly name: string;
  /** The K coefficients kept between steps, so the optimizer's momentum for them carries on. */
  protected readonly coefficients = new Coefficients();

  /**
   * @param model The model whose factorized layers (and other trainable parameters) it steps.
   * @param options The inner optimizer (and, in subclasses, the truncation options).
   */
  constructor(readonly model: Module, readonly options: LowRankIntegratorOptions) {}

  abstract step(lossFn: () => Tensor): Promise<StepResult>;

  /**
   * Frees the K coefficients the integrator keeps between steps (its optimizer, the caller's,
   * is left alone: `optimizer.dispose()` frees its state).
   */
  dispose(): void {
    this.coefficients.dispose();
  }

  /** The inner optimizer, `options.optimizer`. */
  protected get optimizer(): Optimizer {
    return this.options.optimizer;
  }

  /**
   * One forward/backward pass, layer i reading its weight in `forms[i]` (null: every layer in
   * the factors form): the loss and its gradients with respect to `sources`. A loss that is
   * not one finite value throws before anything was updated.
   */
  protected async pass(lossFn: () => Tensor, parts: FactorizedParts,
    forms: readonly FactorForm[] | null, sources: readonly Tensor[]): Promise<{
    /** The loss, one finite value. */
    loss: number;
    /** The gradient for each of `sources` in order, shaped like it (the caller's to free). */
    grads: Tensor[];
  }> {
    const run = () => valueAndGrads(() => lossFn())(sources);
    const { value, grads } = forms ? FactorizedLayer.withForms(parts.layers, forms, run) : run();
    return { loss: await readLoss(this.name, value, grads), grads };
  }

  /**
   * The K-step of basis i in every layer that has one, from its current factors: one pass with
   * 𝒦ᵢ = Uᵢ Mat(𝒞) standing for the layer (∇_𝒦ᵢ ℓ = Mat(𝒢 ×ⱼ Uⱼᵀ): G V and Gᵀ U for a
   * matrix), then 𝒦ᵢ¹ = optimizer(𝒦ᵢ, ∇). `others` (biases, dense weights) step from the same
   * pass. The factorized layers themselves are not changed.
   */
  protected async kStep(lossFn: () => Tensor, parts: FactorizedParts, i: number,
    o: { others?: readonly Variable[] } = {}): Promise<KStep> {
    const has = parts.layers.map((l) => i < l.bases.length);
    const K = parts.layers.map((l, j) => (has[j] ? this.coefficients.refresh(l, i) : undefined));
    const forms: FactorForm[] = K.map((k) => (k ? { kind: 'K', basis: i, K: k } : FACTORS));
    const sources = K.filter((k) => k !== undefined) as Variable[];
    const others = o.others ?? [];
    const { loss, grads } = await this.pass(lossFn, parts, forms, [...sources, ...others]);
    const stepped = sources.map((k, j) => tidy(() => this.optimizer.update(k, grads[j])));
    dispose(grads.slice(0, sources.length));
    this.stepAll(others, grads.slice(sources.length));
    let n = 0;
    return { loss, next: has.map((h) => (h ? stepped[n++] : undefined)) };
  }

  /**
   * The K-steps of every basis, each from the same W₀ (they could run in parallel): one pass per
   * basis index, in order. Returns the first pass's loss and, per layer, each basis's new
   * directions: 𝒦ᵢ¹, reduced to rᵢ columns by TDLRT's Qᵢ (Mat(𝒞)ᵀ = QᵢRᵢ) where the core has more
   * than two modes (Zangrando et al., NeurIPS 2024, Theorem 1); a matrix's K and L have r already.
   */
  protected async kSteps(lossFn: () => Tensor, parts: FactorizedParts): Promise<{
    /** The loss of the first pass, at the factors the steps started from. */
    loss: number;
    /** Per layer, per basis i: the new directions, nᵢ×rᵢ (the caller's to free). */
    directions: Tensor[][];
  }> {
    if (parts.layers.length === 0) {
      // No basis to step and no pass to report a loss from: a dense model needs GradientStep.
      throw new Error(`${this.name}: the model has no factorized layer (LowRankDense, ` +
        'LowRankConv2d, TuckerConv2d, …); train a dense model with GradientStep');
    }
    const d = Math.max(...parts.layers.map((l) => l.bases.length));
    const steps: KStep[] = [];
    try {
      for (let i = 0; i < d; i++) steps.push(await this.kStep(lossFn, parts, i));
    } catch (e) {
      dispose(steps.map((s) => s.next));
      throw e;
    }
    const directions = parts.layers.map((l, j) => l.bases.map((_, i) =>
      reducedDirection(l, i, steps[i].next[j]!)));
    return { loss: steps[0].loss, directions };
  }

  /**
   * Moves every layer to `next(layer, inputs[i])`, computed in a tidy scope, with its optimizer
   * state and K coefficients following (`FactorizedLayer.rebase`). Takes ownership of `inputs`.
   */
  protected rebaseAll<T extends readonly (Tensor | undefined)[]>(parts: FactorizedParts,
    inputs: readonly T[], next: (layer: FactorizedLayer, inputs: T) => Factorization): void {
    parts.layers.forEach((layer, i) => {
      const f = tidy(() => next(layer, inputs[i]));
      layer.rebase(f, { optimizer: this.optimizer, coefficients: this.coefficients.of(layer) });
      dispose(inputs[i]);
    });
  }

  /** Augmentation of every basis by its direction: Ûᵢ = orth([Uᵢ | Dᵢ]), 𝒞̃ = 𝒞 ×ᵢ ÛᵢᵀUᵢ. */
  protected augment(parts: FactorizedParts, directions: readonly (readonly Tensor[])[]): void {
    this.rebaseAll(parts, directions, (layer, d) => layer.augmented(d));
  }

  /**
   * The Galerkin (S-) step: one pass in the factors form, then the optimizer steps every core
   * (𝒞 ← 𝒞 − λ 𝒢 ×ᵢ Uᵢᵀ), bias and dense weight. Returns the pass's loss.
   */
  protected async coreStep(lossFn: () => Tensor, parts: FactorizedParts): Promise<number> {
    const vars = [...parts.layers.map((l) => l.core), ...parts.others];
    const { loss, grads } = await this.pass(lossFn, parts, null, vars);
    this.stepAll(vars, grads);
    return loss;
  }

  /**
   * Truncates every layer by its rules (`ruleFor`); `before` holds each layer's ranks before
   * the step, which T-2022 keeps when it finds no break.
   */
  protected truncate(parts: FactorizedParts, o: TruncationOptions,
    before: readonly (readonly number[])[]): void {
    parts.layers.forEach((layer, i) => {
      const rules = layer.bases.map((_, j) => ruleFor(o, layer, j));
      const next = layer.truncated(rules, before[i].map((r) => ({ previousRank: r })));
      layer.rebase(next, { optimizer: this.optimizer, coefficients: this.coefficients.of(layer) });
    });
  }

  /** The optimizer steps `vars` with `grads` (same order), which it then frees. */
  protected stepAll(vars: readonly Variable[], grads: readonly Tensor[]): void {
    this.optimizer.step(new Map(vars.map((v, i) => [v, grads[i]])));
    dispose([...grads]);
  }
}

const FACTORS: FactorForm = { kind: 'factors' };

/**
 * 𝒦ᵢ¹ as rᵢ new directions: 𝒦ᵢ¹·Qᵢ with Mat_i(𝒞)ᵀ = QᵢRᵢ when it has more columns than rᵢ
 * (TDLRT's Kᵢ = UᵢRᵢᵀ, Zangrando et al., NeurIPS 2024, Theorem 1). Takes ownership of K.
 * Returns K itself when it has at most rᵢ columns (a matrix layer's K and L).
 * @example const D = reducedDirection(layer, i, K1)   // K1 [nᵢ, ∏ⱼ≠ᵢ rⱼ] → [nᵢ, rᵢ]
 */
export function reducedDirection(layer: FactorizedLayer, i: number, K: Tensor): Tensor {
  if (K.shape[1] <= layer.ranks[i]) return K;
  const out = tidy(() => matmul(K, linalg.qr(transpose(unfold(layer.core, layer.modes[i]))).q));
  K.dispose();
  return out;
}
