/**
 * GeoLoRA adapters (Schotthöfer, Zangrando, Ceruti, Tudisco & Kusch, "GeoLoRA: Geometric
 * integration for parameter efficient fine-tuning", ICLR 2025, §6): a frozen layer W₀ plus a
 * factorized update U S Vᵀ with orthonormal U, V (QR of Gaussians) and S = 0, so the adapted
 * layer starts as the base. The update is a low-rank layer of the factorized-layer kit, so the
 * `GeoLoRA` integrator (or any matrix integrator) steps it, adapts its rank by τ and can share
 * one global rank budget; the frozen base joins every forward form.
 */
import {
  add, type FloatDType, linalg, randn, reshape, type Tensor, tidy, zeros,
} from '@dlrt/core';
import type { Conv2d } from '../nn/conv2d.js';
import type { Dense } from '../nn/dense.js';
import type { LayerParameterCounts } from '../nn/factorized-layer.js';
import { initRng, type InitOptions } from '../nn/init.js';
import { LowRankConv2d } from '../nn/low-rank-conv2d.js';
import { LowRankDense } from '../nn/low-rank-dense.js';
import type { LowRankInit } from '../nn/low-rank-layer.js';
import type { Module } from '../nn/module.js';

/**
 * Options of `GeoLoRADense` and `GeoLoRAConv2d`: starting rank, rank cap and the draw of U and
 * V (`seed` or `rng`).
 */
export interface GeoLoRAAdapterOptions extends Pick<InitOptions, 'rng' | 'seed'> {
  /** Starting rank r ≥ 1. */
  rank: number;
  /** The largest rank the integrator may keep (default max(r, ⌊min(out, fan_in)/2⌋)). */
  maxRank?: number;
}

/** U, V orthonormal from Gaussians, S = 0 (r×r), no bias (the base keeps its own). */
function zeroUpdate(kind: string, n: number, m: number, o: GeoLoRAAdapterOptions,
  dtype: FloatDType): LowRankInit & { maxRank: number } {
  if (!Number.isInteger(o.rank) || o.rank < 1 || o.rank > Math.min(n, m)) {
    throw new Error(`${kind}: rank ${o.rank} is outside [1, min(${n}, ${m})]`);
  }
  const rng = initRng(kind, o);
  return tidy(() => ({
    U: linalg.orth(randn([n, o.rank], { rng, dtype })),
    V: linalg.orth(randn([m, o.rank], { rng, dtype })),
    S: zeros([o.rank, o.rank], dtype), bias: null,
    maxRank: o.maxRank ?? Math.max(o.rank, Math.floor(Math.min(n, m) / 2)),
  }));
}

/** Stored: the base and the factors; dense: the base alone (merged, the update is free). */
function counts(adapter: Module, base: Module): LayerParameterCounts {
  return { factored: adapter.numParameters(), dense: base.numParameters() };
}

/**
 * A Dense layer W₀ (frozen) + U S Vᵀ.
 * @example new GeoLoRADense(new Dense(784, 500, { seed: 1 }), { rank: 8, seed: 2 })
 */
export class GeoLoRADense extends LowRankDense {
  /** The frozen layer W₀ (child 'base'). */
  readonly base: Dense;

  constructor(base: Dense, o: GeoLoRAAdapterOptions) {
    const f = zeroUpdate('GeoLoRADense', base.outFeatures, base.inFeatures, o,
      base.weight.dtype as FloatDType);
    super(base.inFeatures, base.outFeatures, { rank: o.rank, maxRank: f.maxRank, bias: false,
      dtype: base.weight.dtype as FloatDType }, f);
    for (const t of [f.U, f.S, f.V]) t.dispose();
    this.base = this.addModule('base', base);
    base.freeze();
  }

  protected override apply(x: Tensor, left: Tensor, right: Tensor): Tensor {
    return add(this.base.forward(x), super.apply(x, left, right));
  }

  override parameterCounts(): LayerParameterCounts {
    return counts(this, this.base);
  }

  /** U S Vᵀ in the base weight's shape (the caller owns it). */
  delta(): Tensor {
    return this.weightMatrix();
  }
}

/**
 * A Conv2d W₀ (frozen) + U S Vᵀ on its unfolded kernel (out × in·kh·kw).
 * @example new GeoLoRAConv2d(new Conv2d(20, 50, 5, { seed: 1 }), { rank: 8, seed: 2 })
 */
export class GeoLoRAConv2d extends LowRankConv2d {
  /** The frozen layer W₀ (child 'base'). */
  readonly base: Conv2d;

  constructor(base: Conv2d, o: GeoLoRAAdapterOptions) {
    const [out, c, kh, kw] = base.weight.shape;
    const f = zeroUpdate('GeoLoRAConv2d', out, c * kh * kw, o, base.weight.dtype as FloatDType);
    super(c, out, [kh, kw], { rank: o.rank, maxRank: f.maxRank, bias: false,
      dtype: base.weight.dtype as FloatDType, ...base.options }, f);
    for (const t of [f.U, f.S, f.V]) t.dispose();
    this.base = this.addModule('base', base);
    base.freeze();
  }

  protected override apply(x: Tensor, left: Tensor, right: Tensor): Tensor {
    return add(this.base.forward(x), super.apply(x, left, right));
  }

  override parameterCounts(): LayerParameterCounts {
    return counts(this, this.base);
  }

  /** U S Vᵀ in the base weight's shape (the caller owns it). */
  delta(): Tensor {
    return tidy(() => reshape(this.weightMatrix(), this.base.weight.shape));
  }
}
