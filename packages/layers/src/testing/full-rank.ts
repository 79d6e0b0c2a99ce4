/**
 * Full rank: at r = min(n, m) with θ = 0 every integrator's step is exactly a dense step on W,
 * biases and dense layers included. Oracle: the dense twin of
 * the model (same weights) trained by GradientStep with the same optimizer.
 */
import { type FloatDType, randn, Rng, tensor, tidy } from '@dlrt/core';
import { maxAbsDiff } from '@dlrt/core/testing';
import { GradientStep } from '../integrators/gradient-step.js';
import { Conv2d } from '../nn/conv2d.js';
import { Dense } from '../nn/dense.js';
import { crossEntropy } from '../nn/losses.js';
import { LowRankConv2d } from '../nn/low-rank-conv2d.js';
import { LowRankDense } from '../nn/low-rank-dense.js';
import { type Module, Sequential } from '../nn/module.js';
import { Flatten, ReLU } from '../nn/simple.js';
import type { Optimizer } from '../optim/optimizer.js';
import { SGD } from '../optim/sgd.js';
import { ADAPTIVE, FIXED, release, type Scheme } from './fixtures.js';
import type { SuiteContext } from './suite.js';

type Model = 'dense 8×8' | 'conv + dense';

/**
 * The low-rank model at full rank and its dense twin: 'dense 8×8' is LowRankDense 8→8, ReLU,
 * Dense 8→3; 'conv + dense' is LowRankConv2d 2→8 (2×2, an 8×8 weight), ReLU, LowRankDense
 * 128→6 (U square, V 128×6), ReLU, Dense 6→3. Inputs: 16 samples, labels in 0..2.
 */
function build(model: Model, dtype: FloatDType) {
  const rng = new Rng(8);
  const layers: Module[] = model === 'dense 8×8'
    ? [new LowRankDense(8, 8, { rank: 8, dtype, rng }), new ReLU(), new Dense(8, 3, { dtype, rng })]
    : [new LowRankConv2d(2, 8, 2, { rank: 8, dtype, rng }), new ReLU(), new Flatten(),
        new LowRankDense(128, 6, { rank: 6, dtype, rng }), new ReLU(),
        new Dense(6, 3, { dtype, rng })];
  const lowRank = new Sequential(layers);
  // tidy frees the weight matrices copied in (the twin's Variables hold their own reference).
  const twin = tidy(() => new Sequential(layers.map((l) => {
    if (l instanceof LowRankDense || l instanceof Dense) {
      const d = new Dense(l.inFeatures, l.outFeatures, { dtype, seed: 1 });
      d.weight.assign(l instanceof Dense ? l.weight : l.weightMatrix());
      d.bias!.assign(l.bias!);
      return d;
    }
    if (l instanceof LowRankConv2d) {
      const c = new Conv2d(2, 8, 2, { dtype, seed: 1 });
      c.weight.assign(l.weightMatrix().reshape([8, 2, 2, 2]));
      c.bias!.assign(l.bias!);
      return c;
    }
    return l;
  })));
  const x = randn(model === 'dense 8×8' ? [16, 8] : [16, 2, 5, 5], { rng, dtype });
  const y = tensor(Int32Array.from({ length: 16 }, () => rng.int(3)), [16], 'int32');
  return { lowRank, twin, x, y };
}

/** max |low-rank − dense| over the weights and biases of two twin models. */
function distance(lowRank: Sequential, twin: Sequential): number {
  let worst = 0;
  lowRank.layers.forEach((l, i) => {
    const d = twin.layers[i];
    if (!(d instanceof Dense || d instanceof Conv2d)) return;
    const w = l instanceof LowRankDense || l instanceof LowRankConv2d ? l.weightMatrix()
      : (l as Dense).weight;
    const dw = d.weight.reshape([d.weight.shape[0], -1]);
    worst = Math.max(worst, maxAbsDiff(w, dw), maxAbsDiff((l as Dense).bias!, d.bias!));
    if (w !== (l as Dense).weight) w.dispose();
    dw.dispose();
  });
  return worst;
}

/** Steps `scheme` and the dense twin side by side; the largest difference seen. */
async function compare(model: Model, scheme: Scheme, makeOpt: () => Optimizer, steps: number,
  dtype: FloatDType): Promise<number> {
  const { lowRank, twin, x, y } = build(model, dtype);
  const opt = makeOpt();
  const denseOpt = makeOpt();
  const integrator = scheme.make(lowRank, opt, 0);
  const dense = new GradientStep(twin, { optimizer: denseOpt });
  const lossOf = (m: Module) => () => crossEntropy(m.forward(x), y);
  let worst = 0;
  for (let step = 0; step < steps; step++) {
    const a = await integrator.step(lossOf(lowRank));
    const b = await dense.step(lossOf(twin));
    worst = Math.max(worst, Math.abs(a.loss - b.loss), distance(lowRank, twin));
  }
  release(integrator);
  for (const z of [lowRank, twin, opt, denseOpt, x, y] as { dispose(): void }[]) z.dispose();
  return worst;
}

const EVERY = [...ADAPTIVE, FIXED];

/**
 * Plain SGD (λ = 0.1). Every adaptive integrator augments each basis by the gradient's
 * directions, so at r = min(n, m) the augmented bases contain G's column and row spaces and the
 * step is W₀ − λG on both models. FixedRankBUG does not augment: its step is dense only where
 * both bases are square ('dense 8×8').
 */
export async function fullRankSGD(c: SuiteContext): Promise<void> {
  for (const model of ['dense 8×8', 'conv + dense'] as const) {
    for (const scheme of model === 'dense 8×8' ? EVERY : ADAPTIVE) {
      const worst = await compare(model, scheme, () => new SGD({ lr: 0.1 }), c.steps.fullRank,
        c.dtype);
      c.t.ok(worst <= c.bounds.fullRank, `${scheme.name} (${model}): max difference from ` +
        `dense SGD over ${c.steps.fullRank} steps ${worst.toExponential(2)} ≤ ` +
        `${c.bounds.fullRank.toExponential(0)}`);
    }
  }
}

/**
 * SGD with momentum 0.9 (λ = 0.05). With square bases every change of basis is an orthogonal
 * change of coordinates, so a buffer rotated with it stays the dense buffer B written in the new
 * bases, and the step that applies it is the dense step W₀ − λ(μB + G):
 * - the BUG family (RankAdaptiveBUG, both pass counts; FixedRankBUG) moves W only in the S-step,
 *   Ŝ = S̃ − λ b_S with b_S = μ·(rotated b_S) + Ûᵀ G V̂ (the K and L buffers only pick bases);
 * - ParallelBUG: S̄ = S₀ − λ b_S likewise (with square bases Ũ and Ṽ are empty);
 * - ABPSI moves W by −λ Û b_Lᵀ, b_L = μ·(rotated b_L) + Gᵀ Û, a buffer kept in full input
 *   coordinates that only changes of U rotate.
 * On 'conv + dense' the LowRankDense 128→6 has a square U but V 128×6: a change of V projects
 * b_S onto the kept columns and loses B's rows outside span V, so there only ABPSI must match
 * (float64 here: ABPSI 2e-15; the others 7e-3 to 4e-2). Only the cases the argument covers run.
 */
export async function fullRankMomentum(c: SuiteContext): Promise<void> {
  const cases: [Model, Scheme][] = [
    ...EVERY.map((s) => ['dense 8×8', s] as [Model, Scheme]),
    ['conv + dense', ADAPTIVE.find((s) => s.name === 'ABPSI')!],
  ];
  for (const [model, scheme] of cases) {
    const worst = await compare(model, scheme, () => new SGD({ lr: 0.05, momentum: 0.9 }),
      c.steps.fullRank, c.dtype);
    c.t.ok(worst <= c.bounds.fullRank, `${scheme.name} (${model}): max difference from dense ` +
      `SGD with momentum over ${c.steps.fullRank} steps ${worst.toExponential(2)} ≤ ` +
      `${c.bounds.fullRank.toExponential(0)}`);
  }
}
