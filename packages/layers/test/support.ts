// Shared test oracles: a directional central difference against autodiff, and a few steps of
// an integrator on a model with everything it recorded, for comparing two integrators.
import { add, clone, mul, randn, type Rng, sum, type Tensor, tidy, valueAndGrads, type Variable } from '@dlrt/core';
import type { Integrator, Module } from '../src/index.js';

/**
 * (ℓ(p + h·d) − ℓ(p − h·d)) / 2h against ⟨∇_p ℓ, d⟩ for a random direction d (float64): passes
 * when they agree to 1e-7 relative. Restores p.
 */
export function directionalCheck(t: { ok: (v: boolean, m: string) => void }, loss: () => Tensor,
  p: Variable, rng: Rng, what: string): void {
  const { grads } = valueAndGrads(loss)([p]);
  const d = randn(p.shape, { rng, dtype: 'float64' });
  const at = (eps: number) => {
    const saved = clone(p);
    p.assign(tidy(() => add(saved, mul(d, eps))));
    const v = tidy(() => loss().dataSync()[0]);
    p.assign(saved);
    saved.dispose();
    return v;
  };
  const h = 1e-5;
  const fd = (at(h) - at(-h)) / (2 * h);
  const an = tidy(() => sum(mul(grads[0], d)).dataSync()[0]);
  t.ok(Math.abs(fd - an) <= 1e-7 * Math.max(1, Math.abs(an)),
    `${what}: finite difference ${fd.toFixed(9)}, autodiff ${an.toFixed(9)}`);
}

/** `steps` steps of `integrator` on `loss`: the passes it made, the ranks and the weights. */
export async function recordSteps(model: Module, integrator: Integrator, loss: () => Tensor,
  steps: number): Promise<{ passes: number; ranks: unknown[]; weights: number[][] }> {
  let passes = 0;
  const ranks: unknown[] = [];
  for (let s = 0; s < steps; s++) {
    ranks.push((await integrator.step(() => {
      passes++;
      return loss();
    })).ranks);
  }
  return { passes, ranks, weights: model.parameters().map((p) => Array.from(p.dataSync())) };
}

/** The largest difference between two runs' weights. */
export function weightDiff(a: { weights: number[][] }, b: { weights: number[][] }): number {
  return Math.max(...a.weights.map((w, i) => Math.max(...w.map((v, j) =>
    Math.abs(v - b.weights[i][j])))));
}
