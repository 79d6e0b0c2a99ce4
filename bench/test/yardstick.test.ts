import t from 'tap';
import { yardstickMatmul } from '../src/yardstick.js';

/** The textbook triple loop, C = op(A)·B, as the reference. */
function naive(a: Float64Array, b: Float64Array, m: number, k: number, n: number,
  transA: boolean): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (transA ? a[p * m + i] : a[i * k + p]) * b[p * n + j];
      c[i * n + j] = s;
    }
  }
  return c;
}

t.test('the yardstick kernel computes op(A)·B', (t) => {
  let seed = 7;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
  for (const [m, k, n] of [[4, 1, 4], [8, 13, 12], [28, 37, 16]]) {
    for (const transA of [false, true]) {
      const a = Float64Array.from({ length: m * k }, rand);
      const b = Float64Array.from({ length: k * n }, rand);
      const c = new Float64Array(m * n).fill(NaN); // every entry must be written
      yardstickMatmul(a, b, c, m, k, n, transA);
      const ref = naive(a, b, m, k, n, transA);
      let err = 0;
      for (let i = 0; i < c.length; i++) err = Math.max(err, Math.abs(c[i] - ref[i]));
      t.ok(err < 1e-12, `m=${m} k=${k} n=${n} transA=${transA}: max error ${err}`);
    }
  }
  t.end();
});

t.test('the yardstick kernel names the sizes it cannot tile', (t) => {
  const z = new Float64Array(64);
  t.throws(() => yardstickMatmul(z, z, z, 6, 4, 4, false), /yardstickMatmul.*m=6, n=4/);
  t.throws(() => yardstickMatmul(z, z, z, 4, 4, 5, false), /m=4, n=5/);
  t.end();
});
