import type { Tensor } from '@dlrt/core';
import {
  type AdaptiveOptions, FactorizedIntegrator, factorizedParts, type Module, ranksOf,
  type StepResult,
} from '@dlrt/layers';

/** The two-pass augmented BUG, written with the kit's steps. */
export class TwoPassBUG extends FactorizedIntegrator {
  readonly name = 'TwoPassBUG';

  constructor(model: Module, override readonly options: AdaptiveOptions) {
    super(model, options);
  }

  async step(lossFn: () => Tensor): Promise<StepResult> {
    const parts = factorizedParts(this.model);
    const before = parts.layers.map((l) => l.ranks);
    // 1. One pass at W₀: ∇_Uᵢ ℓ spans the new directions of every basis.
    const bases = parts.layers.map((l) => l.bases);
    const { loss, grads } = await this.pass(lossFn, parts, null, bases.flat());
    let n = 0;
    // 2. Augment: Ûᵢ = orth([Uᵢ | ∇_Uᵢ ℓ]), 𝒞̃ = 𝒞 ×ᵢ ÛᵢᵀUᵢ (W unchanged).
    this.augment(parts, bases.map((b) => b.map(() => grads[n++])));
    // 3. Galerkin step at the augmented ranks, with biases and dense layers.
    await this.coreStep(lossFn, parts);
    // 4. Truncate by θ.
    this.truncate(parts, this.options, before);
    return { loss, ranks: ranksOf(parts) };
  }
}
