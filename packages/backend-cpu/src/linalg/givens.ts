/**
 * Plane rotations for the bidiagonal and tridiagonal QR iterations: generation (LAPACK dlartg,
 * the 3.10 version by Anderson), 2×2 singular values (dlas2, dlasv2: Demmel & Kahan 1990)
 * and sequences of rotations applied to the rows of a transposed factor (dlasr).
 */

const SAFMIN = 2 ** -1022;
const SAFMAX = 1 / SAFMIN;
const RTMIN = Math.sqrt(SAFMIN);
const RTMAX = Math.sqrt(SAFMAX / 2);
const EPS = 2 ** -53;                          // LAPACK dlamch('Epsilon')

/** |a| with the sign of b (Fortran SIGN; b = ±0 counts as positive). */
export function sign(a: number, b: number): number {
  return b >= 0 ? Math.abs(a) : -Math.abs(a);
}

/**
 * [c s; −s c]·[f; g] = [r; 0]: writes out[0] = c, out[1] = s, out[2] = r, with r carrying
 * the sign of f (dlartg). Scales only when f or g is near under/overflow.
 */
export function lartg(f: number, g: number, out: Float64Array): void {
  if (g === 0) {
    out[0] = 1; out[1] = 0; out[2] = f;
    return;
  }
  if (f === 0) {
    out[0] = 0; out[1] = sign(1, g); out[2] = Math.abs(g);
    return;
  }
  const f1 = Math.abs(f);
  const g1 = Math.abs(g);
  if (f1 > RTMIN && f1 < RTMAX && g1 > RTMIN && g1 < RTMAX) {
    const d = Math.sqrt(f * f + g * g);
    const r = sign(d, f);
    out[0] = f1 / d; out[1] = g / r; out[2] = r;
    return;
  }
  const u = Math.min(SAFMAX, Math.max(SAFMIN, f1, g1));
  const fs = f / u;
  const gs = g / u;
  const d = Math.sqrt(fs * fs + gs * gs);
  const r = sign(d, f);
  out[0] = Math.abs(fs) / d; out[1] = gs / r; out[2] = r * u;
}

/** Singular values of [f g; 0 h]: out[0] = σ_min, out[1] = σ_max (dlas2). */
export function las2(f: number, g: number, h: number, out: Float64Array): void {
  const fa = Math.abs(f), ga = Math.abs(g), ha = Math.abs(h);
  const fhmn = Math.min(fa, ha), fhmx = Math.max(fa, ha);
  if (fhmn === 0) {
    out[0] = 0;
    if (fhmx === 0) out[1] = ga;
    else {
      const mx = Math.max(fhmx, ga), mn = Math.min(fhmx, ga);
      out[1] = mx * Math.sqrt(1 + (mn / mx) ** 2);
    }
  } else if (ga < fhmx) {
    const as = 1 + fhmn / fhmx, at = (fhmx - fhmn) / fhmx, au = (ga / fhmx) ** 2;
    const c = 2 / (Math.sqrt(as * as + au) + Math.sqrt(at * at + au));
    out[0] = fhmn * c; out[1] = fhmx / c;
  } else {
    const au = fhmx / ga;
    if (au === 0) {
      out[0] = (fhmn * fhmx) / ga; out[1] = ga;
    } else {
      const as = 1 + fhmn / fhmx, at = (fhmx - fhmn) / fhmx;
      const c = 1 / (Math.sqrt(1 + (as * au) ** 2) + Math.sqrt(1 + (at * au) ** 2));
      out[0] = 2 * (fhmn * c) * au; out[1] = ga / (c + c);
    }
  }
}

/**
 * SVD of the 2×2 upper triangular [f g; 0 h] (dlasv2): out = [σ_min, σ_max, sinR, cosR,
 * sinL, cosL], with [cosL sinL; −sinL cosL]·[f g; 0 h]·[cosR −sinR; sinR cosR] = diag(σ_max,
 * σ_min). σ values carry signs; |σ_max| ≥ |σ_min|.
 */
export function lasv2(f: number, g: number, h: number, out: Float64Array): void {
  let ft = f, fa = Math.abs(f), ht = h, ha = Math.abs(h);
  let pmax = 1;
  const swap = ha > fa;
  if (swap) {
    pmax = 3;
    [ft, ht] = [ht, ft];
    [fa, ha] = [ha, fa];
  }
  const gt = g, ga = Math.abs(g);
  let ssmin: number, ssmax: number, clt: number, crt: number, slt: number, srt: number;
  if (ga === 0) {
    ssmin = ha; ssmax = fa; clt = 1; crt = 1; slt = 0; srt = 0;
  } else {
    let gasmal = true;
    ssmin = 0; ssmax = 0; clt = 1; crt = 1; slt = 0; srt = 0;
    if (ga > fa) {
      pmax = 2;
      if (fa / ga < EPS) {                    // very large g
        gasmal = false;
        ssmax = ga;
        ssmin = ha > 1 ? fa / (ga / ha) : (fa / ga) * ha;
        clt = 1; slt = ht / gt; srt = 1; crt = ft / gt;
      }
    }
    if (gasmal) {
      const dd = fa - ha;
      let l = dd === fa ? 1 : dd / fa;        // 0 ≤ l ≤ 1
      const m = gt / ft;
      let t = 2 - l;                          // t ≥ 1
      const mm = m * m, tt = t * t;
      const s = Math.sqrt(tt + mm);
      const r = l === 0 ? Math.abs(m) : Math.sqrt(l * l + mm);
      const a = 0.5 * (s + r);                // 1 ≤ a ≤ 1 + |m|
      ssmin = ha / a;
      ssmax = fa * a;
      if (mm === 0) {
        t = l === 0 ? sign(2, ft) * sign(1, gt) : gt / sign(dd, ft) + m / t;
      } else {
        t = (m / (s + t) + m / (r + l)) * (1 + a);
      }
      l = Math.sqrt(t * t + 4);
      crt = 2 / l; srt = t / l;
      clt = (crt + srt * m) / a;
      slt = (ht / ft) * srt / a;
    }
  }
  const [csl, snl, csr, snr] = swap ? [srt, crt, slt, clt] : [clt, slt, crt, srt];
  let tsign = 1;
  if (pmax === 1) tsign = sign(1, csr) * sign(1, csl) * sign(1, f);
  if (pmax === 2) tsign = sign(1, snr) * sign(1, csl) * sign(1, g);
  if (pmax === 3) tsign = sign(1, snr) * sign(1, snl) * sign(1, h);
  out[1] = sign(ssmax, tsign);
  out[0] = sign(ssmin, tsign * sign(1, f) * sign(1, h));
  out[2] = snr; out[3] = csr; out[4] = snl; out[5] = csl;
}

/**
 * Applies the rotations k = 0..cnt−1 (cosines c[k], sines s[k]) to the row pairs
 * (lo + k, lo + k + 1) of the row-major `xt` (row stride ld), over each row's first `len`
 * entries: x_j ← c·x_j + s·x_{j+1}, x_{j+1} ← −s·x_j + c·x_{j+1}; k ascending when
 * `forward`, else descending (LAPACK dlasr, SIDE = 'R', PIVOT = 'V', on X = xtᵀ: the
 * drivers keep singular and eigenvector matrices transposed so that each rotation reads two
 * contiguous rows). Four columns go together, the moving entries in registers, so that
 * their dependency chains overlap.
 */
export function rotateRows(
  xt: Float64Array, ld: number, len: number, lo: number, cnt: number,
  c: Float64Array, s: Float64Array, forward: boolean,
): void {
  if (cnt <= 0) return;
  const base = lo * ld;
  let r = 0;
  for (; r + 4 <= len; r += 4) {
    const b = base + r;
    if (forward) {
      let t0 = xt[b], t1 = xt[b + 1], t2 = xt[b + 2], t3 = xt[b + 3];
      for (let k = 0, p = b; k < cnt; k++, p += ld) {
        const ck = c[k], sk = s[k], q = p + ld;
        const y0 = xt[q], y1 = xt[q + 1], y2 = xt[q + 2], y3 = xt[q + 3];
        xt[p] = ck * t0 + sk * y0; t0 = ck * y0 - sk * t0;
        xt[p + 1] = ck * t1 + sk * y1; t1 = ck * y1 - sk * t1;
        xt[p + 2] = ck * t2 + sk * y2; t2 = ck * y2 - sk * t2;
        xt[p + 3] = ck * t3 + sk * y3; t3 = ck * y3 - sk * t3;
      }
      const e = b + cnt * ld;
      xt[e] = t0; xt[e + 1] = t1; xt[e + 2] = t2; xt[e + 3] = t3;
    } else {
      const e = b + cnt * ld;
      let t0 = xt[e], t1 = xt[e + 1], t2 = xt[e + 2], t3 = xt[e + 3];
      for (let k = cnt - 1, p = b + k * ld; k >= 0; k--, p -= ld) {
        const ck = c[k], sk = s[k], q = p + ld;
        const y0 = xt[p], y1 = xt[p + 1], y2 = xt[p + 2], y3 = xt[p + 3];
        xt[q] = ck * t0 - sk * y0; t0 = ck * y0 + sk * t0;
        xt[q + 1] = ck * t1 - sk * y1; t1 = ck * y1 + sk * t1;
        xt[q + 2] = ck * t2 - sk * y2; t2 = ck * y2 + sk * t2;
        xt[q + 3] = ck * t3 - sk * y3; t3 = ck * y3 + sk * t3;
      }
      xt[b] = t0; xt[b + 1] = t1; xt[b + 2] = t2; xt[b + 3] = t3;
    }
  }
  for (; r < len; r++) {
    const b = base + r;
    if (forward) {
      let t = xt[b];
      for (let k = 0, p = b; k < cnt; k++, p += ld) {
        const y = xt[p + ld];
        xt[p] = c[k] * t + s[k] * y;
        t = c[k] * y - s[k] * t;
      }
      xt[b + cnt * ld] = t;
    } else {
      let t = xt[b + cnt * ld];
      for (let k = cnt - 1, p = b + k * ld; k >= 0; k--, p -= ld) {
        const y = xt[p];
        xt[p + ld] = c[k] * t - s[k] * y;
        t = c[k] * y + s[k] * t;
      }
      xt[b] = t;
    }
  }
}

/** One rotation of the row pair (j, j + 1) over `len` entries: see rotateRows. */
export function rotatePair(
  xt: Float64Array, ld: number, len: number, j: number, c: number, s: number,
): void {
  for (let r = 0, b = j * ld; r < len; r++, b++) {
    const xj = xt[b], xk = xt[b + ld];
    xt[b] = c * xj + s * xk;
    xt[b + ld] = c * xk - s * xj;
  }
}
