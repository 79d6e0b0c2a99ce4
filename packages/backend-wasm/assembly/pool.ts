// 2×2 max pooling at stride 2 without padding (LeNet5's pools), forward and backward, with
// backend-cpu's pool.ts semantics: a NaN wins over every number (NaN propagates), and the
// backward pass routes each gradient to the window's first maximum. Both are branch-free:
// which element wins is data, and a branch on it mispredicts about every other window.

/**
 * Forward, f32: planes of h×w (w even or odd; the last column of an odd row is dropped) to
 * ho×wo. Two adjacent rows give a vertical max; pairs of lanes give the horizontal one.
 */
function maxPoolF32(x: usize, planes: i32, h: i32, w: i32, ho: i32, wo: i32, out: usize): void {
  let o = out;
  for (let p = 0; p < planes; p++) {
    const plane = x + (<usize>(p * h * w) << 2);
    for (let y = 0; y < ho; y++) {
      const r0 = plane + (<usize>(2 * y * w) << 2), r1 = r0 + (<usize>w << 2);
      let xo = 0;
      for (; xo + 4 <= wo; xo += 4) {
        const off = <usize>(2 * xo) << 2;
        const v0 = f32x4.max(v128.load(r0 + off), v128.load(r1 + off));
        const v1 = f32x4.max(v128.load(r0 + off, 16), v128.load(r1 + off, 16));
        const even = i32x4.shuffle(v0, v1, 0, 2, 4, 6), odd = i32x4.shuffle(v0, v1, 1, 3, 5, 7);
        v128.store(o, f32x4.max(even, odd));
        o += 16;
      }
      for (; xo < wo; xo++) {
        const off = <usize>(2 * xo) << 2;
        const m = max4(load<f32>(r0 + off), load<f32>(r0 + off + 4), load<f32>(r1 + off),
          load<f32>(r1 + off + 4));
        store<f32>(o, m);
        o += 4;
      }
    }
  }
}

/** NaN-propagating max of four, as f32x4.max does lane-wise. */
// @ts-ignore: decorator
@inline function max4<T>(a: T, b: T, c: T, d: T): T {
  const ab: T = a != a || b != b ? <T>NaN : (a > b ? a : b);
  const cd: T = c != c || d != d ? <T>NaN : (c > d ? c : d);
  return ab != ab || cd != cd ? <T>NaN : (ab > cd ? ab : cd);
}

/** 1 when v is the window's winner m (equal, or both NaN), else 0. */
// @ts-ignore: decorator
@inline function wins<T>(v: T, m: T): i32 {
  return <i32>(v == m) | (<i32>(v != v) & <i32>(m != m));
}

/**
 * Backward: dx[winner] += dy[o] for every window, the winner being the first of a, b, c, d
 * (row-major) that equals the window's max. Forward for f64 uses the same walk.
 */
function maxPool2x2<T>(x: usize, planes: i32, h: i32, w: i32, ho: i32, wo: i32, out: usize,
  dy: usize, dx: usize, backward: bool): void {
  const e = <usize>sizeof<T>();
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const plane = p * h * w;
    for (let y = 0; y < ho; y++) {
      for (let xo = 0, i = plane + 2 * y * w; xo < wo; xo++, o++, i += 2) {
        const pa = x + <usize>i * e, pc = pa + <usize>w * e;
        const a = load<T>(pa), b = load<T>(pa + e), c = load<T>(pc), d = load<T>(pc + e);
        const m = max4<T>(a, b, c, d);
        if (!backward) {
          store<T>(out + <usize>o * e, m);
          continue;
        }
        // The first winner: a, else b, else c, else d.
        const at = select<i32>(i, select<i32>(i + 1, select<i32>(i + w, i + w + 1,
          wins<T>(c, m)), wins<T>(b, m)), wins<T>(a, m));
        const q = dx + <usize>at * e;
        store<T>(q, load<T>(q) + load<T>(dy + <usize>o * e));
      }
    }
  }
}

/** Lane masks of v being the winner m (equal, or both NaN). */
// @ts-ignore: decorator
@inline function winsV(v: v128, m: v128): v128 {
  return v128.or(f32x4.eq(v, m), v128.and(f32x4.ne(v, v), f32x4.ne(m, m)));
}

/**
 * Backward, f32, four windows at a time: each window's gradient goes to its first winner
 * (masks a, then b, c, d), interleaved back into the two input rows.
 */
function maxPoolBackF32(x: usize, planes: i32, h: i32, w: i32, ho: i32, wo: i32, dy: usize,
  dx: usize): void {
  let g = dy;
  for (let p = 0; p < planes; p++) {
    const off0 = <usize>(p * h * w) << 2;
    for (let y = 0; y < ho; y++) {
      const r0 = off0 + (<usize>(2 * y * w) << 2), r1 = r0 + (<usize>w << 2);
      let xo = 0;
      for (; xo + 4 <= wo; xo += 4) {
        const o = <usize>(2 * xo) << 2;
        const u0 = v128.load(x + r0 + o), u1 = v128.load(x + r0 + o, 16);
        const l0 = v128.load(x + r1 + o), l1 = v128.load(x + r1 + o, 16);
        const a = i32x4.shuffle(u0, u1, 0, 2, 4, 6), b = i32x4.shuffle(u0, u1, 1, 3, 5, 7);
        const c = i32x4.shuffle(l0, l1, 0, 2, 4, 6), d = i32x4.shuffle(l0, l1, 1, 3, 5, 7);
        const m = f32x4.max(f32x4.max(a, b), f32x4.max(c, d));
        const wa = winsV(a, m), wb = v128.andnot(winsV(b, m), wa);
        const taken = v128.or(wa, wb);
        const wc = v128.andnot(winsV(c, m), taken), wd = v128.not(v128.or(taken, wc));
        const gv = v128.load(g);
        const ga = v128.and(gv, wa), gb = v128.and(gv, wb);
        const gc = v128.and(gv, wc), gd = v128.and(gv, wd);
        addAt(dx + r0 + o, i32x4.shuffle(ga, gb, 0, 4, 1, 5));
        addAt(dx + r0 + o + 16, i32x4.shuffle(ga, gb, 2, 6, 3, 7));
        addAt(dx + r1 + o, i32x4.shuffle(gc, gd, 0, 4, 1, 5));
        addAt(dx + r1 + o + 16, i32x4.shuffle(gc, gd, 2, 6, 3, 7));
        g += 16;
      }
      for (; xo < wo; xo++) {
        const i = <i32>((r0 >> 2) + <usize>(2 * xo));
        const pa = x + (<usize>i << 2), pc = pa + (<usize>w << 2);
        const a = load<f32>(pa), b = load<f32>(pa + 4), c = load<f32>(pc), d = load<f32>(pc + 4);
        const m = max4<f32>(a, b, c, d);
        const at = select<i32>(i, select<i32>(i + 1, select<i32>(i + w, i + w + 1,
          wins<f32>(c, m)), wins<f32>(b, m)), wins<f32>(a, m));
        const q = dx + (<usize>at << 2);
        store<f32>(q, load<f32>(q) + load<f32>(g));
        g += 4;
      }
    }
  }
}

// @ts-ignore: decorator
@inline function addAt(p: usize, v: v128): void {
  v128.store(p, f32x4.add(v128.load(p), v));
}

export function maxPool2x2F32(x: usize, planes: i32, h: i32, w: i32, ho: i32, wo: i32,
  out: usize, dy: usize, dx: usize, backward: bool): void {
  if (backward) maxPoolBackF32(x, planes, h, w, ho, wo, dy, dx);
  else maxPoolF32(x, planes, h, w, ho, wo, out);
}
export function maxPool2x2F64(x: usize, planes: i32, h: i32, w: i32, ho: i32, wo: i32,
  out: usize, dy: usize, dx: usize, backward: bool): void {
  maxPool2x2<f64>(x, planes, h, w, ho, wo, out, dy, dx, backward);
}
