// Fine-tuning tasks. Oracles: hand-placed pixels, four quarter turns being the identity, and
// label counts of the split.
import t from 'tap';
import { type DigitSplit, rotateDigits, selectDigits } from '../src/index.js';
import { mnist } from '../src/node/index.js';

t.test('rotateDigits: a quarter turn counterclockwise, four make the identity', async (t) => {
  // One 3×3 image: a single lit pixel at the top right (row 0, column 2).
  const img = new Float32Array(9);
  img[2] = 1;
  const split = { images: img, labels: Uint8Array.of(7), count: 1 };
  t.same(Array.from(rotateDigits(split, 90).images), [1, 0, 0, 0, 0, 0, 0, 0, 0],
    'top right → top left');
  t.same(Array.from(rotateDigits(split, 180).images), [0, 0, 0, 0, 0, 0, 1, 0, 0],
    'top right → bottom left');
  t.same(Array.from(rotateDigits(split, -90).images), [0, 0, 0, 0, 0, 0, 0, 0, 1],
    '−90° = 270°: top right → bottom right');
  const { train } = mnist();
  const some: DigitSplit = { images: train.images.slice(0, 5 * 784),
    labels: train.labels.slice(0, 5), count: 5 };
  let r = some;
  for (let k = 0; k < 4; k++) r = rotateDigits(r, 90);
  t.same(r.images, some.images, 'four quarter turns are the identity');
  t.same(rotateDigits(rotateDigits(some, 90), 270).images, some.images);
  t.same(rotateDigits(some, 90).labels, some.labels, 'labels unchanged');
  t.throws(() => rotateDigits(some, 45), /^rotateDigits: degrees must be a multiple of 90, got 45/);
  t.throws(() => rotateDigits({ images: new Float32Array(10), labels: Uint8Array.of(1, 2),
    count: 2 }, 90), /^rotateDigits: rows of 5 values are not square images/);
});

t.test('selectDigits: the rows of the given digits, relabelled by position', async (t) => {
  const { train } = mnist();
  const high = selectDigits(train, [5, 6, 7, 8, 9]);
  const want = Array.from(train.labels).filter((l) => l >= 5).length;
  t.equal(high.count, want, `${want} rows of digits 5–9`);
  t.ok(Array.from(high.labels).every((l) => l <= 4), 'labels 0…4');
  // The first kept row is the first row of the split with label 5…9, relabelled.
  const first = Array.from(train.labels).findIndex((l) => l >= 5);
  t.equal(high.labels[0], train.labels[first] - 5);
  t.same(high.images.subarray(0, 784), train.images.subarray(first * 784, (first + 1) * 784));
  const swapped = selectDigits(train, [3, 1]);
  t.ok(Array.from(swapped.labels).every((l, i) => l === 0 || l === 1) && swapped.count ===
    Array.from(train.labels).filter((l) => l === 1 || l === 3).length, 'digit 3 → 0, 1 → 1');
  t.throws(() => selectDigits(train, [1, 1]),
    /^selectDigits: digits must be distinct integers in \[0, 9\], got \[1, 1\]/);
  t.throws(() => selectDigits(train, []), /^selectDigits: digits must be distinct/);
});
