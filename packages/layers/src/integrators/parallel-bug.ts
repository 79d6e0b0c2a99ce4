/**
 * ParallelBUG: the parallel rank-adaptive integrator of Ceruti, Kusch & Lubich ("A parallel
 * rank-adaptive integrator for dynamical low-rank approximation", SIAM J. Sci. Comput. 2024);
 * with explicit Euler substeps it is GeoLoRA's update (Schotthöfer et al., ICLR 2025).
 * Matrix layers only.
 */
import { concat, dispose, linalg, matmul, neg, slice, type Tensor, tidy, zeros } from '@dlrt/core';
import type { Factorization, FactorForm, FactorizedLayer } from '../nn/factorized-layer.js';
import type { Module } from '../nn/module.js';
import { FactorizedIntegrator } from './factorized-integrator.js';
import type { StepResult } from './integrator.js';
import { type AdaptiveOptions, checkAdaptive } from './options.js';
import { type FactorizedParts, matrixParts, ranksOf } from './parts.js';

/** Options of `ParallelBUG`: the inner optimizer and the truncation (`tol`, …). */
export type ParallelBUGOptions = AdaptiveOptions;

/**
 * Per mini-batch, K, L and S all start from W₀ = U₀ S₀ V₀ᵀ, so one pass serves them all:
 *   1. one forward/backward in the tangent form gives G V₀, Gᵀ U₀ and U₀ᵀ G V₀ without
 *      inverting S: K₁ = K₀ − λ G V₀, L₁ = L₀ − λ Gᵀ U₀, S̄ = S₀ − λ U₀ᵀ G V₀; biases and
 *      dense layers step from the same pass;
 *   2. Ũ = the columns of orth([U₀ | K₁]) after the first r (orthogonal to U₀), Ṽ likewise;
 *   3. augmented core [[S̄, L₁ᵀṼ], [ŨᵀK₁, 0]] in the bases [U₀ | Ũ], [V₀ | Ṽ];
 *   4. truncate by θ.
 * @example new ParallelBUG(model, { optimizer: new SGD({ lr: 0.05 }), tol: 0.1 })
 */
export class ParallelBUG extends FactorizedIntegrator {
  readonly name = 'ParallelBUG';

  constructor(model: Module, override readonly options: ParallelBUGOptions) {
    super(model, options);
    checkAdaptive(this.name, options);
  }

  async step(lossFn: () => Tensor): Promise<StepResult> {
    const parts = matrixParts(this.name, this.model);
    const before = parts.layers.map((l) => l.ranks);

    // 1. One pass in the tangent form: K₁, L₁, S̄, the biases and dense layers step from it.
    const { loss, K1, L1 } = await this.tangentStep(lossFn, parts);

    // 2–3. New directions orthogonal to the old bases, and the augmented core.
    this.rebaseAll(parts, K1.map((k, i) => [k, L1[i]]),
      (layer, [K1i, L1i]) => parallelAugmented(layer, K1i, L1i));

    // 4. Truncate.
    this.truncate(parts, this.options, before);
    return { loss, ranks: ranksOf(parts) };
  }

  /**
   * The pass at W₀ in the tangent form W = K Vᵀ + U Lᵀ − U S Vᵀ: ∇_K = G V₀, ∇_L = Gᵀ U₀ and
   * ∇_S = −U₀ᵀ G V₀ without inverting S. Returns K₁ and L₁ (the caller's); S̄, the biases and
   * the dense layers are stepped in place.
   */
  private async tangentStep(lossFn: () => Tensor, parts: FactorizedParts):
    Promise<{ loss: number; K1: Tensor[]; L1: Tensor[] }> {
    const { layers, others } = parts;
    const K = layers.map((l) => this.coefficients.refresh(l, 0));
    const L = layers.map((l) => this.coefficients.refresh(l, 1));
    const S = layers.map((l) => l.core);
    const forms: FactorForm[] = layers.map((_, i) => ({ kind: 'tangent', K: [K[i], L[i]] }));
    const { loss, grads } = await this.pass(lossFn, parts, forms, [...K, ...L, ...S, ...others]);
    const n = layers.length;
    const K1 = K.map((k, i) => tidy(() => this.optimizer.update(k, grads[i])));
    const L1 = L.map((l, i) => tidy(() => this.optimizer.update(l, grads[n + i])));
    const sGrads = grads.slice(2 * n, 3 * n).map((g) => tidy(() => neg(g)));
    dispose(grads.slice(0, 3 * n));
    this.stepAll([...S, ...others], [...sGrads, ...grads.slice(3 * n)]);
    return { loss, K1, L1 };
  }
}

/**
 * The parallel integrator's augmentation from the stepped K₁ and L₁ (the layer's core holds the
 * stepped S̄): Ũ = the columns of orth([U₀ | K₁]) after the first r, orthogonal to U₀ (Ṽ
 * likewise from L₁), and the core [[S̄, L₁ᵀṼ], [ŨᵀK₁, 0]] in the bases [U₀ | Ũ], [V₀ | Ṽ].
 */
export function parallelAugmented(layer: FactorizedLayer, K1: Tensor, L1: Tensor):
  Factorization {
  const [U, V] = layer.bases;
  const Ut = trailing(linalg.orth(concat([U, K1], 1)), U.shape[1]);
  const Vt = trailing(linalg.orth(concat([V, L1], 1)), V.shape[1]);
  const top = concat([layer.core, matmul(L1, Vt, { transposeA: true })], 1);
  const bottom = concat([matmul(Ut, K1, { transposeA: true }),
    zeros([Ut.shape[1], Vt.shape[1]], layer.core.dtype)], 1);
  return { core: concat([top, bottom], 0), bases: [concat([U, Ut], 1), concat([V, Vt], 1)] };
}

/** The columns of q after the first r (empty when q has only r). */
function trailing(q: Tensor, r: number): Tensor {
  return slice(q, [0, r], [q.shape[0], q.shape[1] - r]);
}
