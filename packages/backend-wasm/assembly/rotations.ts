// The float64 rotation loops of the cpu backend's linear-algebra drivers (its
// linalg/inner.ts): sweeps of plane rotations on adjacent rows (the bidiagonal and
// tridiagonal QR iterations) and the one-sided Jacobi sweep of graded matrices. Byte
// addresses for arrays, element counts for strides.

import { at, dot } from './vec64';

/**
 * Rotations k = 0..cnt−1 (c[k], s[k]) on the row pairs (lo + k, lo + k + 1) of xt (row stride
 * ld), over each row's first len entries: x_j ← c·x_j + s·x_{j+1}, x_{j+1} ← c·x_{j+1} − s·x_j,
 * k ascending when `forward`, else descending. Eight entries go together (four f64x2
 * chains), the moving row in registers.
 */
export function rotateRowsF64(xt: usize, ld: i32, len: i32, lo: i32, cnt: i32, c: usize,
  s: usize, forward: i32): void {
  if (cnt <= 0) return;
  const row = <usize>ld << 3;
  const base = xt + <usize>lo * row;
  const last = <usize>cnt * row;
  let r = 0;
  for (; r + 8 <= len; r += 8) {
    const b = at(base, r);
    if (forward) {
      let t0 = v128.load(b), t1 = v128.load(b, 16), t2 = v128.load(b, 32), t3 = v128.load(b, 48);
      let p = b;
      for (let k = 0; k < cnt; k++) {
        const ck = v128.load_splat<f64>(at(c, k)), sk = v128.load_splat<f64>(at(s, k));
        const q = p + row;
        const y0 = v128.load(q), y1 = v128.load(q, 16), y2 = v128.load(q, 32);
        const y3 = v128.load(q, 48);
        v128.store(p, f64x2.add(f64x2.mul(ck, t0), f64x2.mul(sk, y0)));
        v128.store(p, f64x2.add(f64x2.mul(ck, t1), f64x2.mul(sk, y1)), 16);
        v128.store(p, f64x2.add(f64x2.mul(ck, t2), f64x2.mul(sk, y2)), 32);
        v128.store(p, f64x2.add(f64x2.mul(ck, t3), f64x2.mul(sk, y3)), 48);
        t0 = f64x2.sub(f64x2.mul(ck, y0), f64x2.mul(sk, t0));
        t1 = f64x2.sub(f64x2.mul(ck, y1), f64x2.mul(sk, t1));
        t2 = f64x2.sub(f64x2.mul(ck, y2), f64x2.mul(sk, t2));
        t3 = f64x2.sub(f64x2.mul(ck, y3), f64x2.mul(sk, t3));
        p = q;
      }
      v128.store(p, t0); v128.store(p, t1, 16); v128.store(p, t2, 32); v128.store(p, t3, 48);
    } else {
      const e = b + last;
      let t0 = v128.load(e), t1 = v128.load(e, 16), t2 = v128.load(e, 32), t3 = v128.load(e, 48);
      let q = e;
      for (let k = cnt - 1; k >= 0; k--) {
        const ck = v128.load_splat<f64>(at(c, k)), sk = v128.load_splat<f64>(at(s, k));
        const p = q - row;
        const y0 = v128.load(p), y1 = v128.load(p, 16), y2 = v128.load(p, 32);
        const y3 = v128.load(p, 48);
        v128.store(q, f64x2.sub(f64x2.mul(ck, t0), f64x2.mul(sk, y0)));
        v128.store(q, f64x2.sub(f64x2.mul(ck, t1), f64x2.mul(sk, y1)), 16);
        v128.store(q, f64x2.sub(f64x2.mul(ck, t2), f64x2.mul(sk, y2)), 32);
        v128.store(q, f64x2.sub(f64x2.mul(ck, t3), f64x2.mul(sk, y3)), 48);
        t0 = f64x2.add(f64x2.mul(ck, y0), f64x2.mul(sk, t0));
        t1 = f64x2.add(f64x2.mul(ck, y1), f64x2.mul(sk, t1));
        t2 = f64x2.add(f64x2.mul(ck, y2), f64x2.mul(sk, t2));
        t3 = f64x2.add(f64x2.mul(ck, y3), f64x2.mul(sk, t3));
        q = p;
      }
      v128.store(q, t0); v128.store(q, t1, 16); v128.store(q, t2, 32); v128.store(q, t3, 48);
    }
  }
  for (; r < len; r++) {                           // the last < 8 entries, one at a time
    const b = at(base, r);
    if (forward) {
      let t = load<f64>(b);
      let p = b;
      for (let k = 0; k < cnt; k++) {
        const ck = load<f64>(at(c, k)), sk = load<f64>(at(s, k));
        const y = load<f64>(p + row);
        store<f64>(p, ck * t + sk * y);
        t = ck * y - sk * t;
        p += row;
      }
      store<f64>(p, t);
    } else {
      let q = b + last;
      let t = load<f64>(q);
      for (let k = cnt - 1; k >= 0; k--) {
        const ck = load<f64>(at(c, k)), sk = load<f64>(at(s, k));
        const y = load<f64>(q - row);
        store<f64>(q, ck * t - sk * y);
        t = ck * y + sk * t;
        q -= row;
      }
      store<f64>(q, t);
    }
  }
}

/** Rows whose norm falls below this are treated as exactly zero (svd-jacobi.ts's TINY). */
const JACOBI_TINY: f64 = 1e-290;

/** Euclidean norm of len entries at x, rescaled when the plain sum of squares left
 * [1e-280, 1e280] (householder.ts's norm2). */
function norm2(x: usize, len: i32): f64 {
  let s = f64x2.splat(0);
  let i = 0;
  for (; i + 2 <= len; i += 2) {
    const v = v128.load(x + (<usize>i << 3));
    s = f64x2.add(s, f64x2.mul(v, v));
  }
  let ss = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  if (i < len) ss += load<f64>(at(x, i)) * load<f64>(at(x, i));
  if (ss >= 1e-280 && ss <= 1e280) return Math.sqrt(ss);
  let big: f64 = 0;
  for (let j = 0; j < len; j++) big = max(big, abs(load<f64>(at(x, j))));
  if (big == 0 || !isFinite(big)) return big;
  ss = 0;
  for (let j = 0; j < len; j++) {
    const y = load<f64>(at(x, j)) / big;
    ss += y * y;
  }
  return big * Math.sqrt(ss);
}

/** x_p ← c·x_p − s·x_q, x_q ← s·x_p + c·x_q over len entries. */
// @ts-ignore: decorator
@inline function rotatePair(xp: usize, xq: usize, len: i32, c: f64, s: f64): void {
  const vc = f64x2.splat(c), vs = f64x2.splat(s);
  let i = 0;
  for (; i + 2 <= len; i += 2) {
    const o = <usize>i << 3;
    const a = v128.load(xp + o), b = v128.load(xq + o);
    v128.store(xp + o, f64x2.sub(f64x2.mul(vc, a), f64x2.mul(vs, b)));
    v128.store(xq + o, f64x2.add(f64x2.mul(vs, a), f64x2.mul(vc, b)));
  }
  if (i < len) {
    const a = load<f64>(at(xp, i)), b = load<f64>(at(xq, i));
    store<f64>(at(xp, i), c * a - s * b);
    store<f64>(at(xq, i), s * a + c * b);
  }
}

/**
 * One cyclic sweep of one-sided Jacobi (the cpu backend's svd-jacobi.ts jacobiSweep) over
 * the row pairs of the n×n r, rotating wt along and updating the row norms nrm; returns the
 * number of rotations.
 */
export function jacobiSweepF64(r: usize, wt: usize, n: i32, nrm: usize, tol: f64): i32 {
  const row = <usize>n << 3;
  let rotated = 0;
  for (let p = 0; p < n - 1; p++) {
    const rp = r + <usize>p * row, wp = wt + <usize>p * row, np = at(nrm, p);
    for (let q = p + 1; q < n; q++) {
      const nq = at(nrm, q);
      const a = load<f64>(np), b = load<f64>(nq);
      if (!(a > JACOBI_TINY && b > JACOBI_TINY)) continue;
      const rq = r + <usize>q * row;
      const cp = dot(rp, rq, n) / a / b;
      if (!(abs(cp) > tol)) continue;
      rotated++;
      const zeta = (b / a - a / b) / (2 * cp);
      const az = abs(zeta);
      const t = az > 1e15 ? 0.5 / zeta
        : (zeta >= 0 ? 1.0 : -1.0) / (az + Math.sqrt(1 + zeta * zeta));
      const c = 1 / Math.sqrt(1 + t * t);
      const sn = c * t;
      rotatePair(rp, rq, n, c, sn);
      rotatePair(wp, wt + <usize>q * row, n, c, sn);
      const fp = 1 - t * cp * (b / a), fq = 1 + t * cp * (a / b);
      store<f64>(np, fp < 0.25 ? norm2(rp, n) : a * Math.sqrt(fp));
      store<f64>(nq, fq < 0.25 ? norm2(rq, n) : b * Math.sqrt(fq));
    }
  }
  return rotated;
}
