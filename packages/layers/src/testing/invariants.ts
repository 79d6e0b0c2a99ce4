/**
 * What must hold after every step, whatever the loss: orthonormal bases, a diagonal positive
 * sorted core after truncation, ranks within bounds; and during a step, augmentation must not
 * move W, so every gradient pass sees W₀ (span U ⊆ span Û; Ceruti, Kusch & Lubich, BIT 2022).
 */
import { orthonormalityError } from '@dlrt/core/testing';
import type { LowRankLayer } from '../nn/low-rank-layer.js';
import { Sequential } from '../nn/module.js';
import { SGD } from '../optim/sgd.js';
import { ADAPTIVE, leastSquares, lowRankStart, relDiff, release } from './fixtures.js';
import type { SuiteContext } from './suite.js';

/** The worst of each invariant over the steps seen so far. */
export class Invariants {
  orthonormality = 0;
  minRank = Infinity;
  maxRank = 0;
  /** Steps after which S was not diag(σ) with σ positive and non-increasing. */
  notDiagonal = 0;

  /**
   * Records `layer` after a step. Truncation writes S = diag(σ) from the SVD of the core, so
   * the check is exact: off-diagonal entries are zero, σ₁ ≥ σ₂ ≥ … > 0 (`truncated`: false for
   * FixedRankBUG, whose core is not diagonalized).
   */
  record(layer: LowRankLayer, truncated: boolean): void {
    this.orthonormality = Math.max(this.orthonormality, orthonormalityError(layer.U),
      orthonormalityError(layer.V));
    this.minRank = Math.min(this.minRank, layer.rank);
    this.maxRank = Math.max(this.maxRank, layer.rank);
    if (truncated && !isSortedDiagonal(layer.S.dataSync(), layer.rank)) this.notDiagonal++;
  }
}

function isSortedDiagonal(s: ArrayLike<number>, r: number): boolean {
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < r; j++) {
      const v = s[i * r + j];
      if (i !== j ? v !== 0 : !(v > 0 && (i === 0 || v <= s[(i - 1) * r + i - 1]))) return false;
    }
  }
  return true;
}

/**
 * Three steps of each adaptive integrator on the least-squares problem from rank 3, reading W
 * at every gradient pass. Oracle: the identity W_pass = W₀ (span Uᵢ ⊆ span Ûᵢ, so the core
 * written in the augmented bases gives the same W), to the dtype's roundoff; and so the loss
 * of every pass is the loss at W₀.
 */
export async function augmentationKeepsW(c: SuiteContext): Promise<void> {
  const { unchanged, lossSpread } = c.bounds;
  for (const scheme of ADAPTIVE) {
    const p = leastSquares(3, c.dtype);
    const layer = lowRankStart(p.rng, 3, c.dtype);
    const model = new Sequential([layer]);
    const opt = new SGD({ lr: p.lr });
    const integrator = scheme.make(model, opt, 0.05);
    for (let step = 0; step < 3; step++) {
      const W0 = layer.weightMatrix();
      const seen: number[] = [];
      let drift = 0;
      await integrator.step(() => {
        const w = layer.weightMatrix();
        drift = Math.max(drift, relDiff(w, W0));
        w.dispose();
        const loss = p.loss(model);
        seen.push(loss.dataSync()[0]);
        return loss;
      });
      W0.dispose();
      const spread = (Math.max(...seen) - Math.min(...seen)) / seen[0];
      c.t.ok(spread <= lossSpread, `${scheme.name} step ${step}: ${seen.length} passes, loss ` +
        `spread ${spread.toExponential(1)} ≤ ${lossSpread.toExponential(0)} of the loss`);
      c.t.ok(drift <= unchanged, `${scheme.name} step ${step}: ‖W_pass − W₀‖/‖W₀‖ = ` +
        `${drift.toExponential(1)} ≤ ${unchanged.toExponential(0)}`);
    }
    release(integrator);
    model.dispose();
    opt.dispose();
    p.dispose();
  }
}
