// Float64 vector helpers of the linear-algebra kernels (reflectors.ts, rotations.ts):
// addresses are byte offsets, lengths element counts.

// @ts-ignore: decorator
@inline export function at(base: usize, i: i32): usize {
  return base + (<usize>i << 3);
}

/** y[i] += alpha·x[i], i < len. */
// @ts-ignore: decorator
@inline export function axpy(alpha: f64, x: usize, y: usize, len: i32): void {
  const va = f64x2.splat(alpha);
  let i = 0;
  for (; i + 2 <= len; i += 2) {
    const o = <usize>i << 3;
    v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.mul(va, v128.load(x + o))));
  }
  if (i < len) store<f64>(at(y, i), load<f64>(at(y, i)) + alpha * load<f64>(at(x, i)));
}

/** Σ x[i]·y[i], i < len, two f64x2 partial sums. */
// @ts-ignore: decorator
@inline export function dot(x: usize, y: usize, len: i32): f64 {
  let s = f64x2.splat(0);
  let i = 0;
  for (; i + 2 <= len; i += 2) {
    const o = <usize>i << 3;
    s = f64x2.add(s, f64x2.mul(v128.load(x + o), v128.load(y + o)));
  }
  let t = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  if (i < len) t += load<f64>(at(x, i)) * load<f64>(at(y, i));
  return t;
}
