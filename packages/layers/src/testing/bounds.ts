/**
 * The suite's tolerances per float dtype, and why each is what it is. Core's `tolFor` bounds
 * one op's output; these bound whole training steps, so each check has its own.
 */
import type { FloatDType } from '@dlrt/core';

/** The bound of each check of the suite (see `boundsFor`). */
export interface Bounds {
  /** ‖UᵀU − I‖_F, ‖VᵀV − I‖_F after every step. */
  orthonormality: number;
  /** max |low-rank − dense| over weights, biases and losses in the full-rank steps. */
  fullRank: number;
  /** ‖W_pass − W₀‖_F/‖W₀‖_F at every gradient pass of a step. */
  unchanged: number;
  /** (max − min)/first of the losses of one step's passes. */
  lossSpread: number;
  /** ‖W − W*‖_F/‖W*‖_F at the end of the least-squares recovery. */
  recovery: number;
  /** A loss rise counts when ℓ > ℓ_prev·(1 + relative) + floor·ℓ₀. */
  rise: {
    /** The rise tolerated, relative to the previous loss ℓ_prev. */
    relative: number;
    /** The rise tolerated as a fraction of the first loss ℓ₀ (roundoff at the residual's floor). */
    floor: number;
  };
  /** Rotated-state step against the old-basis step, relative: Adam and SGD momentum. */
  rotation: {
    /** The relative bound for Adam (its moments m and v rotated). */
    adam: number;
    /** The relative bound for SGD with momentum (its velocity rotated). */
    momentum: number;
  };
  /** Adam's ε in the suite. */
  adamEps: number;
}

/**
 * float64: the bounds the integrators met before the suite existed (u = 2⁻⁵³ ≈ 1.1e-16);
 * `unchanged` was absolute (‖W₀‖ is 0.1 to 5 there).
 */
const FLOAT64: Bounds = {
  orthonormality: 1e-10,
  fullRank: 1e-10,
  unchanged: 1e-13,
  lossSpread: 1e-13,
  recovery: 1e-10,
  // Rises below roundoff don't count: 1e-24 of the first loss once the residual is at ε‖Y‖.
  rise: { relative: 1e-12, floor: 1e-24 },
  // Adam divides by √v + ε: the roundoff left in the new blocks (~1e-16·m) is scaled by 1/ε.
  rotation: { adam: 1e-7, momentum: 1e-13 },
  adamEps: 1e-8,
};

/**
 * float32: u = 2⁻²⁴ ≈ 6e-8. Weights, losses and ‖W*‖ are O(1–10) in these problems. Each bound
 * covers the roundoff estimate below of the computation it checks, and is 10× or more above the
 * worst value measured on the cpu backend and the gpu backend's webgpu and webasm modes:
 * - orthonormality: a float32 QR has ‖QᵀQ − I‖ ≈ n·u ≈ 2e-6 at n = 30–40, the gpu backend
 *   accepts CholeskyQR's Q up to 1e-5, and ParallelBUG never re-orthonormalizes U₀ (it appends
 *   columns), so its error can grow by a few u per step;
 * - fullRank: each step rounds every entry by about √k·u ≈ 11u (products of inner size k ≤ 128
 *   with orthogonal factors), compounded over 4 steps: a few tens of u;
 * - unchanged, lossSpread, rotation.momentum: the change of basis is four products of inner size
 *   ≤ 40, plus Û's departure from orthonormality (≤ 1e-5 on the gpu backend);
 * - recovery: the least-squares floor, κ(X)·√k·u ≈ 2.6·6·6e-8 ≈ 1e-6;
 * - rise: the loss sums 6,000 squares, so it is off by up to √6000·u ≈ 5e-6 relative; at the
 *   floor the residual is ~κ(X)·u·‖Y‖ (ℓ/ℓ₀ ≈ 2e-14 to 2e-13) and wobbles by its own size;
 * - Adam: after an augmentation the new blocks of m and √v hold roundoff (u·|m|, u·√v). With
 *   ε ≪ u·√v (ε = 1e-8 in float32) Adam normalizes it into O(λ) steps the exact step does not
 *   take (0.14 relative here); with ε = 1e-4 the error is λ·u·|m|/ε ≈ 3e-5 per entry.
 */
const FLOAT32: Bounds = {
  orthonormality: 1e-4,
  fullRank: 1e-5,
  unchanged: 1e-5,
  lossSpread: 1e-5,
  recovery: 1e-5,
  rise: { relative: 1e-5, floor: 1e-11 },
  rotation: { adam: 2e-3, momentum: 1e-5 },
  adamEps: 1e-4,
};

/**
 * The suite's bounds for models and data in `dtype` (float64's, or float32's for any other).
 * @example tt.ok(err < boundsFor('float32').orthonormality, 'UᵀU = I')
 */
export function boundsFor(dtype: FloatDType): Bounds {
  return dtype === 'float64' ? FLOAT64 : FLOAT32;
}
