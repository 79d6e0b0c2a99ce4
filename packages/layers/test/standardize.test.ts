import t from 'tap';
import { mnist } from '../src/node/index.js';
import { pixelStats, standardized } from '../src/data/standardize.js';

/** Mean and population sd of `x` in float64, two-pass. */
const moments = (x: Float32Array): { mean: number; std: number } => {
  let s = 0;
  for (const v of x) s += v;
  const mean = s / x.length;
  let q = 0;
  for (const v of x) q += (v - mean) ** 2;
  return { mean, std: Math.sqrt(q / x.length) };
};

t.test('pixelStats and standardized on a hand-checked split', (t) => {
  // pixels 0, 1, 2, 3: mean 1.5, population variance 1.25
  const split = { images: new Float32Array([0, 1, 2, 3]), labels: new Uint8Array([4, 7]), count: 2 };
  const stats = pixelStats(split);
  t.equal(stats.mean, 1.5);
  t.equal(stats.std, Math.sqrt(1.25));
  const z = standardized(split, stats);
  const s = Math.sqrt(1.25);
  t.same(Array.from(z.images), [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s].map(Math.fround));
  t.equal(z.labels, split.labels, 'labels shared, not copied');
  t.equal(z.count, 2);
  t.same(Array.from(split.images), [0, 1, 2, 3], 'the input split is left alone');
  t.end();
});

t.test('MNIST: the train split becomes mean 0, sd 1; the test split uses the train numbers', (t) => {
  const { train, test } = mnist();
  const stats = pixelStats(train);
  const ref = moments(train.images);
  t.ok(Math.abs(stats.mean - ref.mean) < 1e-12 && Math.abs(stats.std - ref.std) < 1e-12,
    `stats ${stats.mean}, ${stats.std} match a float64 two-pass reference`);
  t.ok(stats.mean > 0.1 && stats.mean < 0.16 && stats.std > 0.28 && stats.std < 0.34,
    `MNIST-like pixel statistics (mean ${stats.mean.toFixed(4)}, sd ${stats.std.toFixed(4)})`);
  const zt = moments(standardized(train, stats).images);
  t.ok(Math.abs(zt.mean) < 1e-6, `standardized train mean ${zt.mean}`);
  t.ok(Math.abs(zt.std - 1) < 1e-6, `standardized train sd ${zt.std}`);
  const zs = standardized(test, stats);
  for (const i of [0, 300, 1234, test.images.length - 1]) {
    t.equal(zs.images[i], Math.fround((test.images[i]! - stats.mean) / stats.std),
      `test pixel ${i} mapped with the train statistics`);
  }
  t.not(moments(zs.images).mean, 0, 'the test split keeps its own offset (no test statistics used)');
  t.end();
});

t.test('bad input names the function and the value', (t) => {
  const empty = { images: new Float32Array(0), labels: new Uint8Array(0), count: 0 };
  t.throws(() => pixelStats(empty), /pixelStats: the split has no images/);
  const flat = { images: new Float32Array([0.5, 0.5, 0.5]), labels: new Uint8Array(3), count: 3 };
  t.throws(() => pixelStats(flat), /pixelStats: every pixel equals 0.5, std is 0/);
  const nan = { images: new Float32Array([0, NaN, 1]), labels: new Uint8Array(3), count: 3 };
  t.throws(() => pixelStats(nan), /pixelStats: images\[1\] = NaN is not finite/);
  t.throws(() => standardized(flat, { mean: 0.5, std: 0 }),
    /standardized: need a finite mean and std > 0, got mean 0.5, std 0/);
  t.end();
});
