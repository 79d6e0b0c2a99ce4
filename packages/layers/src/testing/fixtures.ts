/**
 * The integrators under test and the small problems the suite trains on (a least-squares rank
 * recovery and a teacher–student network, docs/low-rank-training.md), in any float dtype.
 */
import {
  diag, type FloatDType, linalg, matmul, mul, randn, Rng, slice, square, sub, sum, type Tensor,
  tidy,
} from '@dlrt/core';
import { ABPSI } from '../integrators/abpsi.js';
import { FactorizedIntegrator } from '../integrators/factorized-integrator.js';
import { FixedRankBUG } from '../integrators/fixed-rank-bug.js';
import { GeoLoRA } from '../integrators/geolora.js';
import type { Integrator } from '../integrators/integrator.js';
import { ParallelBUG } from '../integrators/parallel-bug.js';
import { RankAdaptiveBUG } from '../integrators/rank-adaptive-bug.js';
import { LowRankDense } from '../nn/low-rank-dense.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';

/** An integrator under test: its name and how to build it (θ is ignored at fixed rank). */
export interface Scheme {
  name: string;
  make: (model: Module, optimizer: Optimizer, tol: number) => Integrator;
}

/** The rank-adaptive integrators. */
export const ADAPTIVE: readonly Scheme[] = [
  { name: 'RankAdaptiveBUG', make: (m, optimizer, tol) => new RankAdaptiveBUG(m,
    { optimizer, tol }) },
  { name: 'RankAdaptiveBUG passes 2', make: (m, optimizer, tol) => new RankAdaptiveBUG(m,
    { optimizer, tol, passes: 2 }) },
  { name: 'ParallelBUG', make: (m, optimizer, tol) => new ParallelBUG(m, { optimizer, tol }) },
  { name: 'ABPSI', make: (m, optimizer, tol) => new ABPSI(m, { optimizer, tol }) },
  { name: 'GeoLoRA', make: (m, optimizer, tol) => new GeoLoRA(m, { optimizer, tol }) },
];

export const FIXED: Scheme = {
  name: 'FixedRankBUG', make: (m, optimizer) => new FixedRankBUG(m, { optimizer }),
};

/** Frees what an integrator keeps between steps (its K coefficients). */
export function release(integrator: Integrator): void {
  if (integrator instanceof FactorizedIntegrator) integrator.dispose();
}

/** The relative Frobenius distance ‖a − b‖/‖b‖. */
export function relDiff(a: Tensor, b: Tensor): number {
  return tidy(() => linalg.norm(sub(a, b)) / linalg.norm(b));
}

/** The least-squares problem ℓ(W) = (1/2N)‖X Wᵀ − Y‖², Y = X W*ᵀ, and its step size. */
export interface LeastSquares {
  rng: Rng;
  Wstar: Tensor;
  X: Tensor;
  Y: Tensor;
  lr: number;
  loss: (model: Module) => Tensor;
  dispose: () => void;
}

/**
 * The least-squares problem: W* 30×40 of rank 4, X 200×40 (rows are samples), λ = 0.5/L with L =
 * ‖XᵀX/N‖₂. `whitened` replaces X by √N times orthonormal columns (XᵀX/N = I, so L = 1 and gradient
 * descent halves the error every step): the same problem, converged in a tenth of the steps.
 */
export function leastSquares(seed: number, dtype: FloatDType, whitened = false): LeastSquares {
  const rng = new Rng(seed);
  const Wstar = tidy(() => matmul(randn([30, 4], { rng, dtype }), randn([4, 40], { rng, dtype }))
    .div(Math.sqrt(30)));
  const X = tidy(() => {
    const g = randn([200, 40], { rng, dtype });
    return whitened ? mul(linalg.orth(g), Math.sqrt(200)) : g;
  });
  const Y = matmul(X, Wstar, { transposeB: true });
  const L = tidy(() => linalg.svd(matmul(X, X, { transposeA: true }).div(200)).s.dataSync()[0]);
  return {
    rng, Wstar, X, Y, lr: 0.5 / L,
    loss: (model) => mul(sum(square(sub(model.forward(X), Y))), 0.5 / 200),
    dispose: () => {
      for (const x of [Wstar, X, Y]) x.dispose();
    },
  };
}

/** A LowRankDense 40→30 without bias at rank r: random orthonormal bases, core 0.1·|N(0,1)|. */
export function lowRankStart(rng: Rng, r: number, dtype: FloatDType): LowRankDense {
  const f = tidy(() => ({
    U: linalg.orth(randn([30, r], { rng, dtype })),
    S: diag(Array.from({ length: r }, () => 0.1 * Math.abs(rng.normal())), dtype),
    V: linalg.orth(randn([40, r], { rng, dtype })),
  }));
  const layer = new LowRankDense(40, 30, { rank: r, dtype, bias: false }, f);
  for (const x of [f.U, f.S, f.V]) x.dispose();
  return layer;
}

/** A teacher y = W₂ relu(W₁ x) with rank(W₁) = 3 (20×50): 1,000 training and 500 test rows. */
export interface TeacherData {
  X: Tensor;
  Y: Tensor;
  Xt: Tensor;
  Yt: Tensor;
}

export function teacherStudent(dtype: FloatDType): TeacherData {
  const rng = new Rng(1);
  return tidy(() => {
    const W1 = matmul(randn([20, 3], { rng, dtype }), randn([3, 50], { rng, dtype }))
      .div(Math.sqrt(50));
    const W2 = randn([5, 20], { rng, dtype }).div(Math.sqrt(20));
    const teacher = (x: Tensor) =>
      matmul(matmul(x, W1, { transposeB: true }).relu(), W2, { transposeB: true });
    const X = randn([1000, 50], { rng, dtype });
    const Xt = randn([500, 50], { rng, dtype });
    return { X, Y: teacher(X), Xt, Yt: teacher(Xt) };
  });
}

/** What `train` reports: test loss, the last ranks, first and last training losses. */
export interface TrainResult {
  test: number;
  ranks: Record<string, unknown>;
  first: number;
  last: number;
}

/** `steps` steps over mini-batches of 100 rows in order; `loss` is the batch loss. */
export async function train(model: Module, integrator: Integrator, data: TeacherData,
  steps: number, loss: (pred: Tensor, target: Tensor) => Tensor): Promise<TrainResult> {
  let ranks = {};
  let first = NaN;
  let last = NaN;
  const [n, m] = data.X.shape;
  for (let s = 0; s < steps; s++) {
    const i0 = (s * 100) % n;
    const xb = slice(data.X, [i0, 0], [100, m]);
    const yb = slice(data.Y, [i0, 0], [100, data.Y.shape[1]]);
    const r = await integrator.step(() => loss(model.forward(xb), yb));
    ranks = r.ranks;
    if (s === 0) first = r.loss;
    last = r.loss;
    xb.dispose();
    yb.dispose();
  }
  const test = tidy(() => loss(model.forward(data.Xt), data.Yt).dataSync()[0]);
  return { test, ranks, first, last };
}
