// The wasm backend's float32 exp, erf and gelu (SIMD polynomials, assembly/erf.ts) against
// float64 references, in units in the last place of the float32 result: a dense sweep of
// [−20, 20], the subnormal and overflow edges of exp, the tails where gelu is tiny, and the
// special values, which must match the cpu backend's (NaN, ±Infinity, ±0).
import t from 'tap';
import { closeBackends, erf, exp, gelu, setBackend, tensor, type Tensor } from '@dlrt/core';
import { UNARY_REF } from '@dlrt/core/testing';
import '@dlrt/backend-cpu';
import '@dlrt/backend-wasm';

t.teardown(closeBackends);

/** Distance between adjacent float32 values at |w| (the smallest subnormal at 0). */
function ulp(w: number): number {
  const f = new Float32Array([Math.abs(w)]);
  const bits = new Int32Array(f.buffer);
  const lo = f[0];
  bits[0] += 1;
  return f[0] - lo;
}

const sweep = Float32Array.from({ length: 40 * 1024 + 1 }, (_, i) => -20 + i / 1024);
const edges = Float32Array.from([88.72, 88.7228, 88.73, 89, 100, -87.3, -87.34, -100, -103.2,
  -103.98, -104, -110, 1e-30, -1e-30, 1e-45, 3.9, 4, 4.1, 1.2374, -1.2374, -14, -14.5]);
const specials = Float32Array.from([NaN, Infinity, -Infinity, 0, -0]);

const OPS: [string, (x: Tensor) => Tensor, number][] = [
  ['exp', exp, 2], ['erf', erf, 3], ['gelu', gelu, 6],
];

for (const [name, f, bound] of OPS) {
  t.test(`${name}: within ${bound} ulp of float64`, async (t) => {
    await setBackend('wasm');
    const xs = Float32Array.from([...sweep, ...edges]);
    const got = f(tensor(xs, [xs.length])).dataSync();
    let worst = 0, at = 0;
    xs.forEach((x, i) => {
      const want = UNARY_REF[name](x);
      const e = Math.abs(got[i] - want) / ulp(want);
      if (!(e <= worst)) { worst = e; at = x; }
    });
    t.ok(worst <= bound, `max ${worst.toFixed(2)} ulp (at x = ${at})`);
  });

  t.test(`${name}: special values as the cpu backend`, async (t) => {
    await setBackend('cpu');
    const want = Array.from(f(tensor(specials, [specials.length])).dataSync());
    await setBackend('wasm');
    const got = Array.from(f(tensor(specials, [specials.length])).dataSync());
    t.same(got.map((x) => Object.is(x, -0) ? '-0' : x), want.map((x) => Object.is(x, -0) ? '-0'
      : x), `${name}(NaN, ∞, −∞, 0, −0) = ${got.join(', ')}`);
  });
}
