// holdOut: the last rows become the validation set; oracles are the input rows themselves and
// the class counts of the round-robin MNIST order.
import t from 'tap';
import { mnist } from '../src/node/index.js';
import { holdOut } from '../src/data/hold-out.js';

t.test('holdOut on a hand-made split: last rows out, copies, nothing lost', async (t) => {
  const split = { images: Float32Array.from({ length: 10 }, (_, i) => i),
    labels: new Uint8Array([0, 1, 2, 3, 4]), count: 5 };
  const { train, validation } = holdOut(split, 2);
  t.same(Array.from(train.images), [0, 1, 2, 3, 4, 5]);
  t.same(Array.from(train.labels), [0, 1, 2]);
  t.equal(train.count, 3);
  t.same(Array.from(validation.images), [6, 7, 8, 9]);
  t.same(Array.from(validation.labels), [3, 4]);
  t.equal(validation.count, 2);
  validation.images[0] = -1;
  t.equal(split.images[6], 6, 'the parts are copies');
});

t.test('holdOut(mnist().train, 1000): rows 7000–7999, 100 of every class', async (t) => {
  const { train: all } = mnist();
  const { train, validation } = holdOut(all, 1000);
  t.equal(train.count, 7000);
  t.equal(validation.count, 1000);
  // Byte comparison: tap's deep equality takes ~40 s on 5.5 million floats.
  const bytes = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  t.ok(bytes(validation.images).equals(bytes(all.images.subarray(7000 * 784))),
    'validation rows are the last ones');
  t.ok(bytes(train.images).equals(bytes(all.images.subarray(0, 7000 * 784))),
    'train rows are the first ones');
  const perClass = (labels: Uint8Array) => {
    const c = new Array<number>(10).fill(0);
    for (const y of labels) c[y]++;
    return c;
  };
  t.same(perClass(validation.labels), new Array(10).fill(100));
  t.same(perClass(train.labels), new Array(10).fill(700));
});

t.test('holdOut errors name the function and the values', async (t) => {
  const split = { images: new Float32Array(8), labels: new Uint8Array(4), count: 4 };
  t.throws(() => holdOut(split, 0),
    /holdOut: count must be an integer in \[1, 3\] for a split of 4 rows, got 0/);
  t.throws(() => holdOut(split, 4), /got 4/);
  t.throws(() => holdOut(split, 1.5), /got 1.5/);
  t.throws(() => holdOut({ ...split, labels: new Uint8Array(3) }, 1),
    /holdOut: the split has 8 values and 3 labels for 4 rows/);
});
