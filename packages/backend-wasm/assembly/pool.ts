// 2×2 max pooling at stride 2 without padding (LeNet5's pools), forward and backward, with
// backend-cpu's pool.ts semantics: the first maximum of each window wins, and a NaN wins
// over every number (NaN propagates).

/** Index (element offset from the plane pair's start) of the window's winner. */
// @ts-ignore: decorator
@inline function winner<T>(x: usize, i: i32, w: i32): i32 {
  const e = <usize>sizeof<T>();
  const a = load<T>(x + <usize>i * e), b = load<T>(x + <usize>(i + 1) * e);
  const c = load<T>(x + <usize>(i + w) * e), d = load<T>(x + <usize>(i + w + 1) * e);
  if (a != a) return i;
  let arg = i, best = a;
  if (b > best || b != b) { arg = i + 1; best = b; }
  if (best == best && (c > best || c != c)) { arg = i + w; best = c; }
  if (best == best && (d > best || d != d)) arg = i + w + 1;
  return arg;
}

/**
 * planes = N·C planes of h×w; out (forward) or dx (backward, dx += dy at each winner) over
 * ho×wo windows per plane.
 */
function maxPool2x2<T>(x: usize, planes: i32, h: i32, w: i32, ho: i32, wo: i32, out: usize,
  dy: usize, dx: usize, backward: bool): void {
  const e = <usize>sizeof<T>();
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const plane = p * h * w;
    for (let y = 0; y < ho; y++) {
      for (let xo = 0, i = plane + 2 * y * w; xo < wo; xo++, o++, i += 2) {
        const at = winner<T>(x, i, w);
        if (backward) {
          const q = dx + <usize>at * e;
          store<T>(q, load<T>(q) + load<T>(dy + <usize>o * e));
        } else {
          store<T>(out + <usize>o * e, load<T>(x + <usize>at * e));
        }
      }
    }
  }
}

export function maxPool2x2F32(x: usize, planes: i32, h: i32, w: i32, ho: i32, wo: i32,
  out: usize, dy: usize, dx: usize, backward: bool): void {
  maxPool2x2<f32>(x, planes, h, w, ho, wo, out, dy, dx, backward);
}
export function maxPool2x2F64(x: usize, planes: i32, h: i32, w: i32, ho: i32, wo: i32,
  out: usize, dy: usize, dx: usize, backward: bool): void {
  maxPool2x2<f64>(x, planes, h, w, ho, wo, out, dy, dx, backward);
}
