/**
 * A validation hold-out: the last rows of a training split set aside for model selection, so
 * that picking an epoch never looks at the test split.
 *
 * @module
 */
import type { DigitSplit } from './mnist.js';

/** A training split cut in two: what is trained on, and what selects the epoch. */
export interface HeldOut {
  /** The first `split.count − count` rows, to train on. */
  train: DigitSplit;
  /** The last `count` rows, to select the epoch with. */
  validation: DigitSplit;
}

/**
 * Splits off the last `count` rows of `split` as a validation set; the rest stay for training.
 *
 * On `mnist().train`, whose rows are the round-robin interleave of the ten classes, the last
 * `count` rows hold `count / 10` images of every class when `count` is a multiple of 10 (e.g.
 * 1,000 = images 700–799 of each class), so both parts stay class-balanced. The rows are copied
 * (views would tie the parts' lifetimes to the input).
 *
 * @param split - The training split (rows of `images.length / count` values).
 * @param count - Rows to hold out, an integer in [1, split.count − 1].
 * @throws Error naming `holdOut` and the values if `count` is out of range or the split's
 *   arrays do not match its count.
 *
 * @example
 * ```ts
 * const { train, validation } = holdOut(mnist().train, 1000); // 7,000 + 1,000 digits
 * ```
 */
export function holdOut(split: DigitSplit, count: number): HeldOut {
  if (!Number.isInteger(count) || count < 1 || count >= split.count) {
    throw new Error(`holdOut: count must be an integer in [1, ${split.count - 1}] for a split ` +
      `of ${split.count} rows, got ${count}`);
  }
  if (split.labels.length !== split.count || split.images.length % split.count !== 0) {
    throw new Error(`holdOut: the split has ${split.images.length} values and ` +
      `${split.labels.length} labels for ${split.count} rows`);
  }
  const row = split.images.length / split.count;
  const keep = split.count - count;
  return {
    train: { images: split.images.slice(0, keep * row), labels: split.labels.slice(0, keep),
      count: keep },
    validation: { images: split.images.slice(keep * row), labels: split.labels.slice(keep),
      count },
  };
}
