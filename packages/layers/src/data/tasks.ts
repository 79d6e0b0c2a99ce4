/**
 * Fine-tuning tasks made from MNIST: a subset of the classes (relabelled 0…k−1, for a new
 * k-way head) and a domain shift (every digit rotated by quarter turns).
 *
 * @module
 */
import type { DigitSplit } from './mnist.js';

/**
 * The rows of `split` whose label is in `digits`, relabelled by position: digit `digits[i]`
 * becomes label i. The rows keep their order and are copied.
 * @throws Error naming `selectDigits` for an empty, repeated or out-of-range digit list.
 * @example selectDigits(mnist().train, [5, 6, 7, 8, 9])   // labels 0…4
 */
export function selectDigits(split: DigitSplit, digits: readonly number[]): DigitSplit {
  if (digits.length === 0 || new Set(digits).size !== digits.length ||
    !digits.every((d) => Number.isInteger(d) && d >= 0 && d <= 9)) {
    throw new Error(`selectDigits: digits must be distinct integers in [0, 9], got ` +
      `[${digits.join(', ')}]`);
  }
  const row = split.images.length / Math.max(split.count, 1);
  const label = new Map(digits.map((d, i) => [d, i]));
  const rows: number[] = [];
  for (let i = 0; i < split.count; i++) if (label.has(split.labels[i])) rows.push(i);
  const images = new Float32Array(rows.length * row);
  rows.forEach((r, k) => images.set(split.images.subarray(r * row, (r + 1) * row), k * row));
  return { images, labels: Uint8Array.from(rows, (r) => label.get(split.labels[r])!),
    count: rows.length };
}

/**
 * Every image of `split` (side × side pixels) turned by `degrees` (a multiple of 90)
 * counterclockwise; labels unchanged. Copies.
 * @throws Error naming `rotateDigits` for another angle or rows that are not square images.
 * @example rotateDigits(mnist().test, 90)   // every digit a quarter turn counterclockwise
 */
export function rotateDigits(split: DigitSplit, degrees: number): DigitSplit {
  if (!Number.isInteger(degrees) || degrees % 90 !== 0) {
    throw new Error(`rotateDigits: degrees must be a multiple of 90, got ${degrees}`);
  }
  const row = split.images.length / Math.max(split.count, 1);
  const side = Math.round(Math.sqrt(row));
  if (side * side !== row) {
    throw new Error(`rotateDigits: rows of ${row} values are not square images`);
  }
  const turns = ((degrees / 90) % 4 + 4) % 4;
  const images = new Float32Array(split.images.length);
  for (let n = 0; n < split.count; n++) {
    const src = n * row;
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        // Counterclockwise quarter turn: (y, x) ← (x, side − 1 − y), repeated.
        let sy = y, sx = x;
        for (let k = 0; k < turns; k++) [sy, sx] = [sx, side - 1 - sy];
        images[src + y * side + x] = split.images[src + sy * side + sx];
      }
    }
  }
  return { images, labels: split.labels.slice(), count: split.count };
}
