/** The demo's digits file and pad preprocessing: exact round trips, clear errors, geometry. */
import { mnist } from '@dlrt/layers/node';
import t from 'tap';
import { decodeDigits, encodeDigits } from '../src/digits.js';
import { SIDE, toMnist } from '../src/pad.js';

t.test('the digits file holds exactly what mnist() loads', (t) => {
  const d = mnist();
  const back = decodeDigits(encodeDigits(d));
  for (const split of ['train', 'test'] as const) {
    t.equal(back[split].count, d[split].count, `${split} count`);
    t.same(back[split].labels, d[split].labels, `${split} labels`);
    const a = back[split].images;
    const b = d[split].images;
    let diff = a.length === b.length ? 0 : -1;
    for (let i = 0; diff === 0 && i < a.length; i++) if (a[i] !== b[i]) diff = i + 1;
    t.equal(diff, 0, `${split} pixels are bit-identical`);
  }
  t.end();
});

t.test('bad digits are errors naming the place', (t) => {
  const one = { images: new Float32Array(784), labels: new Uint8Array([3]), count: 1 };
  const bytes = encodeDigits({ train: one, test: one });
  t.throws(() => decodeDigits(bytes.subarray(0, bytes.length - 1), 'x.bin'),
    /x\.bin: \d+ bytes, expected \d+/);
  const wrong = bytes.slice();
  wrong[0] = 0x41;
  t.throws(() => decodeDigits(wrong), /starts with 'ALRTDIG1'/);
  const label = bytes.slice();
  label[16] = 12;
  t.throws(() => decodeDigits(label), /label is not a digit/);
  const odd = { ...one, images: new Float32Array(784).fill(0.0005) };
  t.throws(() => encodeDigits({ train: one, test: odd }),
    /test image 0 pixel 0 is 0\.0005.*1\/1000/);
  t.throws(() => encodeDigits({ train: { ...one, count: 2 }, test: one }),
    /train has 784 pixels and 1 labels for 2 images/);
  t.end();
});

t.test('a drawn stroke becomes a centred 20-pixel digit', (t) => {
  const [w, h] = [100, 80];
  t.equal(toMnist(new Float32Array(w * h), w, h), null, 'an empty pad is no digit');
  t.throws(() => toMnist(new Float32Array(5), w, h), /5 values for a 100 × 80 pad/);
  // A 10-wide, 40-tall bar off to the left: scaled to 5 × 20, centred by mass.
  const ink = new Float32Array(w * h);
  for (let y = 30; y < 70; y++) for (let x = 5; x < 15; x++) ink[y * w + x] = 1;
  const px = toMnist(ink, w, h)!;
  let [mass, mx, my, x0, x1, y0, y1] = [0, 0, 0, SIDE, -1, SIDE, -1];
  px.forEach((v, i) => {
    if (v === 0) return;
    const [x, y] = [i % SIDE, Math.floor(i / SIDE)];
    mass += v; mx += v * x; my += v * y;
    [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x), Math.min(y0, y), Math.max(y1, y)];
  });
  t.same([x1 - x0 + 1, y1 - y0 + 1], [5, 20], 'aspect kept, the long side 20 pixels');
  t.ok(Math.abs(mx / mass - 13.5) <= 0.5 && Math.abs(my / mass - 13.5) <= 0.5,
    `centre of mass at the centre (${mx / mass}, ${my / mass})`);
  t.ok(px.every((v) => v >= 0 && v <= 1), 'pixels stay in [0, 1]');
  t.end();
});
