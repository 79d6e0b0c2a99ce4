/**
 * Input standardization: shift and scale pixels to mean 0 and standard deviation 1, with the
 * statistics of the training split only (the test split is mapped with the same numbers, so no
 * test information leaks into training).
 *
 * @module
 */
import type { DigitSplit } from './mnist.js';

/** Mean and (population) standard deviation of every pixel value of a split. */
export interface PixelStats {
  /** Mean of all pixel values. */
  mean: number;
  /** Population standard deviation (divided by the number of values), > 0. */
  std: number;
}

/**
 * Mean and standard deviation over all pixels of `split`, accumulated in float64.
 *
 * @throws Error naming `pixelStats` if the split is empty, holds a non-finite value or is
 *   constant (a zero standard deviation cannot be divided by).
 * @example const { mean, std } = pixelStats(mnist().train)
 */
export function pixelStats(split: DigitSplit): PixelStats {
  const x = split.images;
  if (x.length === 0) throw new Error('pixelStats: the split has no images');
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!Number.isFinite(v)) throw new Error(`pixelStats: images[${i}] = ${v} is not finite`);
    sum += v;
  }
  const mean = sum / x.length;
  let sq = 0;
  for (let i = 0; i < x.length; i++) sq += (x[i]! - mean) ** 2;
  const std = Math.sqrt(sq / x.length);
  if (!(std > 0)) throw new Error(`pixelStats: every pixel equals ${mean}, std is 0`);
  return { mean, std };
}

/**
 * A copy of `split` with every pixel mapped to `(x − mean) / std`; labels are shared.
 * @throws Error naming `standardized` unless the mean is finite and std > 0.
 * @example const stats = pixelStats(train); const x = standardized(test, stats);
 */
export function standardized(split: DigitSplit, stats: PixelStats): DigitSplit {
  if (!(stats.std > 0) || !Number.isFinite(stats.mean)) {
    throw new Error(`standardized: need a finite mean and std > 0, got mean ${stats.mean}, ` +
      `std ${stats.std}`);
  }
  const out = new Float32Array(split.images.length);
  const inv = 1 / stats.std;
  for (let i = 0; i < out.length; i++) out[i] = (split.images[i]! - stats.mean) * inv;
  return { images: out, labels: split.labels, count: split.count };
}
