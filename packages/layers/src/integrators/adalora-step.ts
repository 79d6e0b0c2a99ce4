/**
 * AdaLoRAStep: AdaLoRA's training step with peft's rank allocator (Zhang et al., ICLR 2023,
 * Algorithm 1; peft's `RankAllocator`). Per step t:
 *   1. ℓ + γ·R, R = the mean over adapters of ‖QQᵀ − I‖_F and ‖PᵀP − I‖_F (orthogonality);
 *      one backward pass, and the optimizer steps every trainable parameter;
 *   2. while t ≤ T − t_final: the importance of each entry p of P, λ, Q, I = |p·∇p|, smoothed
 *      with its uncertainty, Ī ← β₁Ī + (1 − β₁)I, Ū ← β₂Ū + (1 − β₂)|I − Ī|; entry score Ī·Ū;
 *      a triplet's score is its λ's plus the means of its row of Q and its column of P;
 *   3. the budget b(t): the initial triplets up to t_init, then a cubic fall to the target,
 *      b = target + (initial − target)·(1 − (t − t_init)/(T − t_final − t_init))³, floored;
 *      every ΔT steps the triplets outside the top b (all adapters together) get λ = 0;
 *   4. after T − t_final: one last pruning to the target budget (the fall's last pruning may
 *      have left more, when T − t_final is not a multiple of ΔT), then that mask every step.
 */
import {
  add, dispose, eye, matmul, mul, sqrt, square, sub, sum, type Tensor, tensor, tidy,
  variableGrads,
} from '@dlrt/core';
import { AdaLoRA } from '../adapters/adalora.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { type Integrator, readLoss, type StepResult } from './integrator.js';

/** Options of `AdaLoRAStep`: the optimizer, the budget schedule and the score smoothing. */
export interface AdaLoRAStepOptions {
  /** Steps every trainable parameter (P, λ, Q and anything not frozen) from the gradients. */
  optimizer: Optimizer;
  /** Triplets per adapter at the end (peft's target_r); the budget is this × adapters. */
  targetRank: number;
  /** T: the steps of the whole run. */
  totalSteps: number;
  /** Steps before pruning starts (peft's tinit). */
  tInit: number;
  /** Steps at the end with the final budget (peft's tfinal). */
  tFinal: number;
  /** Prune every ΔT steps during the fall (peft's deltaT, default 1). */
  deltaT?: number;
  /** Smoothing of importance and uncertainty (default 0.85 each, the paper's). */
  beta1?: number;
  /** β₂, the smoothing of the uncertainty Ū, in [0, 1) (default 0.85). */
  beta2?: number;
  /** γ, the orthogonality regularizer's weight (default 0.1). */
  orthReg?: number;
}

interface Scores {
  avg: Float64Array[];
  unc: Float64Array[];
}

/**
 * The budget at step t (1-based) and whether this step prunes, as peft's
 * `RankAllocator.budget_schedule`: `initial` through t_init, then the cubic fall (pruning when
 * ΔT divides t), then `target` with pruning every step after T − t_final.
 * @example adaloraBudget(550, { initial: 48, target: 16, totalSteps: 1000, tInit: 100,
 *   tFinal: 200, deltaT: 10 })   // { budget: 17, mask: true }
 */
export function adaloraBudget(t: number, o: { initial: number; target: number; totalSteps: number;
  tInit: number; tFinal: number; deltaT: number }): {
  /** b(t): the triplets, over all adapters, to keep at step t. */
  budget: number;
  /** Whether step t prunes the triplets outside the top `budget`. */
  mask: boolean;
} {
  if (t <= o.tInit) return { budget: o.initial, mask: false };
  if (t > o.totalSteps - o.tFinal) return { budget: o.target, mask: true };
  const left = 1 - (t - o.tInit) / (o.totalSteps - o.tFinal - o.tInit);
  return { budget: Math.floor((o.initial - o.target) * left ** 3 + o.target),
    mask: t % o.deltaT === 0 };
}

/**
 * Steps a model holding `AdaLoRA` adapters and prunes their triplets to the budget (see the
 * module comment). Throws when the model has no adapter, when targetRank exceeds an adapter's
 * triplets, when tInit + tFinal ≥ totalSteps, or for an option out of range.
 * @example const step = new AdaLoRAStep(model, { optimizer: new AdamW({ lr: 1e-3 }),
 *   targetRank: 4, totalSteps: 1000, tInit: 100, tFinal: 200, deltaT: 10 });
 */
export class AdaLoRAStep implements Integrator {
  readonly name = 'AdaLoRAStep';
  private t = 0;
  private readonly scores = new Map<AdaLoRA, Scores>();
  /** The last mask of each adapter (1 = kept), applied every step after T − t_final. */
  private readonly masks = new Map<AdaLoRA, Uint8Array>();
  /** Whether the final phase has pruned to the target. */
  private final = false;

  /**
   * @param model The model; its `AdaLoRA` modules are the adapters scored and pruned.
   * @param options The optimizer and the schedule.
   */
  constructor(readonly model: Module, readonly options: AdaLoRAStepOptions) {
    const o = options;
    const adapters = this.adapters();
    if (adapters.length === 0) throw new Error('AdaLoRAStep: the model has no AdaLoRA adapter');
    const posInt = (k: string, v: unknown, min: number) => {
      if (!Number.isInteger(v) || (v as number) < min) {
        throw new Error(`AdaLoRAStep: ${k} must be an integer ≥ ${min}, got ${String(v)}`);
      }
    };
    posInt('totalSteps', o.totalSteps, 1);
    posInt('tInit', o.tInit, 0);
    posInt('tFinal', o.tFinal, 0);
    posInt('deltaT', o.deltaT ?? 1, 1);
    const smallest = Math.min(...adapters.map((a) => a.triplets));
    posInt('targetRank', o.targetRank, 1);
    if (o.targetRank > smallest) {
      throw new Error(`AdaLoRAStep: targetRank ${o.targetRank} is above an adapter's ${smallest} ` +
        'triplets');
    }
    if (o.tInit + o.tFinal >= o.totalSteps) {
      throw new Error(`AdaLoRAStep: tInit ${o.tInit} + tFinal ${o.tFinal} must be below ` +
        `totalSteps ${o.totalSteps}`);
    }
    for (const [k, v] of [['beta1', o.beta1], ['beta2', o.beta2]] as const) {
      if (v !== undefined && !(v >= 0 && v < 1)) {
        throw new Error(`AdaLoRAStep: ${k} must be in [0, 1), got ${v}`);
      }
    }
    if (o.orthReg !== undefined && !(o.orthReg >= 0 && Number.isFinite(o.orthReg))) {
      throw new Error(`AdaLoRAStep: orthReg must be a finite number ≥ 0, got ${o.orthReg}`);
    }
  }

  private adapters(): AdaLoRA[] {
    return this.model.modules().filter((m): m is AdaLoRA => m instanceof AdaLoRA);
  }

  /** The budget (triplets over all adapters) at step t, and whether step t prunes. */
  budget(t: number): {
    /** b(t): the triplets, over all adapters, to keep at step t. */
    budget: number;
    /** Whether step t prunes the triplets outside the top `budget`. */
    mask: boolean;
  } {
    const adapters = this.adapters();
    return adaloraBudget(t, { initial: adapters.reduce((n, a) => n + a.triplets, 0),
      target: this.options.targetRank * adapters.length, totalSteps: this.options.totalSteps,
      tInit: this.options.tInit, tFinal: this.options.tFinal, deltaT: this.options.deltaT ?? 1 });
  }

  async step(lossFn: () => Tensor): Promise<StepResult> {
    const o = this.options, adapters = this.adapters();
    const vars = this.model.parameters().filter((v) => v.trainable);
    const gamma = o.orthReg ?? 0.1;
    const { value, grads } = variableGrads(() => {
      const loss = lossFn();
      return gamma === 0 ? loss : add(loss, mul(orthogonality(adapters), gamma));
    }, vars);
    const loss = await readLoss(this.name, value, grads);
    o.optimizer.step(grads);
    this.t++;
    if (this.t <= o.totalSteps - o.tFinal) {
      for (const a of adapters) this.updateScores(a, [a.P, a.E, a.Q].map((v) => grads.get(v)!));
      const { budget, mask } = this.budget(this.t);
      if (mask) this.maskToBudget(adapters, budget);
    } else if (!this.final) {
      this.maskToBudget(adapters, this.budget(this.t).budget);
      this.final = true;
    } else {
      for (const a of adapters) this.applyMask(a, this.masks.get(a));
    }
    dispose(grads);
    return { loss, ranks: Object.fromEntries(this.model.namedModules()
      .filter(([, m]) => m instanceof AdaLoRA).map(([n, m]) => [n, (m as AdaLoRA).rank])) };
  }

  /** Ī and Ū of P, λ and Q from the parameters (after the step) and their gradients. */
  private updateScores(a: AdaLoRA, grads: Tensor[]): void {
    const b1 = this.options.beta1 ?? 0.85, b2 = this.options.beta2 ?? 0.85;
    const params = [a.P, a.E, a.Q];
    let s = this.scores.get(a);
    if (!s) {
      s = { avg: params.map((p) => new Float64Array(p.size)),
        unc: params.map((p) => new Float64Array(p.size)) };
      this.scores.set(a, s);
    }
    params.forEach((p, k) => {
      const v = p.dataSync(), g = grads[k].dataSync(), avg = s!.avg[k], unc = s!.unc[k];
      for (let i = 0; i < v.length; i++) {
        const ipt = Math.abs(v[i] * g[i]);
        avg[i] = b1 * avg[i] + (1 - b1) * ipt;
        unc[i] = b2 * unc[i] + (1 - b2) * Math.abs(ipt - avg[i]);
      }
    });
  }

  /** Each triplet's score: λᵢ's, plus the means of row i of Q and of column i of P. */
  private tripletScores(a: AdaLoRA): number[] {
    const s = this.scores.get(a);
    const r = a.triplets;
    if (!s) return new Array<number>(r).fill(0);
    const score = (k: number, i: number) => s.avg[k][i] * s.unc[k][i];
    const [out, fanIn] = [a.P.shape[0], a.Q.shape[1]];
    return Array.from({ length: r }, (_, i) => {
      let q = 0, p = 0;
      for (let j = 0; j < fanIn; j++) q += score(2, i * fanIn + j);
      for (let j = 0; j < out; j++) p += score(0, j * r + i);
      return score(1, i) + q / fanIn + p / out;
    });
  }

  /** Keeps the `budget` best triplets of all adapters together (ties: the earlier). */
  private maskToBudget(adapters: AdaLoRA[], budget: number): void {
    const all = adapters.flatMap((a, k) => this.tripletScores(a).map((score, i) =>
      ({ k, i, score })));
    const keep = new Set(all.map((x, n) => ({ ...x, n })).sort((x, y) => y.score - x.score ||
      x.n - y.n).slice(0, budget).map((x) => `${x.k}:${x.i}`));
    adapters.forEach((a, k) => {
      const mask = Uint8Array.from({ length: a.triplets }, (_, i) => (keep.has(`${k}:${i}`)
        ? 1 : 0));
      this.masks.set(a, mask);
      this.applyMask(a, mask);
    });
  }

  private applyMask(a: AdaLoRA, mask: Uint8Array | undefined): void {
    if (!mask) return;
    tidy(() => a.E.assign(mul(a.E, tensor(Float64Array.from(mask), [mask.length],
      a.E.dtype))));
  }
}

/** The mean over adapters of ‖QQᵀ − I‖_F + ‖PᵀP − I‖_F, over the 2·adapters matrices. */
function orthogonality(adapters: readonly AdaLoRA[]): Tensor {
  const terms = adapters.flatMap((a) => {
    const I = eye(a.triplets, a.triplets, a.E.dtype);
    return [matmul(a.Q, a.Q, { transposeB: true }), matmul(a.P, a.P, { transposeA: true })]
      .map((c) => sqrt(sum(square(sub(c, I)))));
  });
  return mul(terms.reduce((x, y) => add(x, y)), 1 / terms.length);
}
