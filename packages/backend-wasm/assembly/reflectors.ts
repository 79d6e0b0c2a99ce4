// The float64 inner loops of the cpu backend's linear-algebra drivers (its linalg/inner.ts)
// that apply Householder reflectors: from the left, from the right, from both sides of a
// symmetric matrix, and the QR leaf's fused pass. Same arguments as the TS loops, with byte
// addresses for arrays and element counts for strides; the drivers above them stay in TS.

import { at, axpy, dot } from './vec64';

/**
 * A ← (I − τ·v·vᵀ)·A for the rows × cols block at a (row stride lda); v(0) = 1 and v(i) at
 * v + i·vStride. w (cols entries) is scratch: wᵀ = vᵀA accumulates four rows per pass, then
 * every row takes −τ·v(i)·wᵀ.
 */
export function applyLeftF64(tau: f64, v: usize, vStride: i32, a: usize, lda: i32, rows: i32,
  cols: i32, w: usize): void {
  if (tau == 0 || cols <= 0 || rows <= 0) return;
  const row = <usize>lda << 3, vs = <usize>vStride << 3;
  memory.copy(w, a, <usize>cols << 3);
  let i = 1;
  for (; i + 4 <= rows; i += 4) {
    const r0 = a + <usize>i * row, r1 = r0 + row, r2 = r1 + row, r3 = r2 + row;
    const vp = v + <usize>i * vs;
    const v0 = f64x2.splat(load<f64>(vp)), v1 = f64x2.splat(load<f64>(vp + vs));
    const v2 = f64x2.splat(load<f64>(vp + 2 * vs)), v3 = f64x2.splat(load<f64>(vp + 3 * vs));
    let c = 0;
    for (; c + 2 <= cols; c += 2) {
      const o = <usize>c << 3;
      const s = f64x2.add(
        f64x2.add(f64x2.mul(v0, v128.load(r0 + o)), f64x2.mul(v1, v128.load(r1 + o))),
        f64x2.add(f64x2.mul(v2, v128.load(r2 + o)), f64x2.mul(v3, v128.load(r3 + o))));
      v128.store(w + o, f64x2.add(v128.load(w + o), s));
    }
    if (c < cols) {
      const o = <usize>c << 3;
      store<f64>(w + o, load<f64>(w + o) + (f64x2.extract_lane(v0, 0) * load<f64>(r0 + o)
        + f64x2.extract_lane(v1, 0) * load<f64>(r1 + o) + f64x2.extract_lane(v2, 0)
        * load<f64>(r2 + o) + f64x2.extract_lane(v3, 0) * load<f64>(r3 + o)));
    }
  }
  for (; i < rows; i++) axpy(load<f64>(v + <usize>i * vs), a + <usize>i * row, w, cols);
  axpy(-tau, w, a, cols);
  i = 1;
  for (; i + 4 <= rows; i += 4) {
    const r0 = a + <usize>i * row, r1 = r0 + row, r2 = r1 + row, r3 = r2 + row;
    const vp = v + <usize>i * vs;
    const t0 = f64x2.splat(tau * load<f64>(vp)), t1 = f64x2.splat(tau * load<f64>(vp + vs));
    const t2 = f64x2.splat(tau * load<f64>(vp + 2 * vs));
    const t3 = f64x2.splat(tau * load<f64>(vp + 3 * vs));
    let c = 0;
    for (; c + 2 <= cols; c += 2) {
      const o = <usize>c << 3;
      const wc = v128.load(w + o);
      v128.store(r0 + o, f64x2.sub(v128.load(r0 + o), f64x2.mul(t0, wc)));
      v128.store(r1 + o, f64x2.sub(v128.load(r1 + o), f64x2.mul(t1, wc)));
      v128.store(r2 + o, f64x2.sub(v128.load(r2 + o), f64x2.mul(t2, wc)));
      v128.store(r3 + o, f64x2.sub(v128.load(r3 + o), f64x2.mul(t3, wc)));
    }
    if (c < cols) {
      const o = <usize>c << 3, wc = load<f64>(w + o);
      store<f64>(r0 + o, load<f64>(r0 + o) - f64x2.extract_lane(t0, 0) * wc);
      store<f64>(r1 + o, load<f64>(r1 + o) - f64x2.extract_lane(t1, 0) * wc);
      store<f64>(r2 + o, load<f64>(r2 + o) - f64x2.extract_lane(t2, 0) * wc);
      store<f64>(r3 + o, load<f64>(r3 + o) - f64x2.extract_lane(t3, 0) * wc);
    }
  }
  for (; i < rows; i++) axpy(-tau * load<f64>(v + <usize>i * vs), w, a + <usize>i * row, cols);
}

/**
 * A ← A·(I − τ·v·vᵀ) for the rows × cols block at a (row stride lda), v contiguous with
 * v(0) = 1 (v's first entry is not read): each row x ← x − τ·(x·v)·vᵀ.
 */
export function applyRightF64(tau: f64, v: usize, a: usize, lda: i32, rows: i32,
  cols: i32): void {
  if (tau == 0 || cols <= 0) return;
  const row = <usize>lda << 3;
  const v1 = v + 8, a1 = cols - 1;
  for (let i = 0; i < rows; i++) {
    const r = a + <usize>i * row;
    const ts = tau * (load<f64>(r) + dot(r + 8, v1, a1));
    store<f64>(r, load<f64>(r) - ts);
    axpy(-ts, v1, r + 8, a1);
  }
}

/**
 * A ← H·A·H for the symmetric len×len block at a (row stride lda; lower triangle read and
 * written), H = I − τ·v·vᵀ with v stored whole (v₀ = 1): p = τ·A·v from one pass over the
 * rows, p ← p − (τ/2)(pᵀv)·v, then A ← A − v·pᵀ − p·vᵀ. p (len entries) is scratch.
 */
export function reflectSymmetricF64(tau: f64, v: usize, a: usize, lda: i32, len: i32,
  p: usize): void {
  if (tau == 0 || len <= 0) return;
  const row = <usize>lda << 3;
  memory.fill(p, 0, <usize>len << 3);
  for (let r = 0; r < len; r++) {
    const ar = a + <usize>r * row;
    const vr = load<f64>(at(v, r)), vvr = f64x2.splat(vr);
    let acc = f64x2.splat(0);
    let c = 0;
    for (; c + 2 <= r; c += 2) {
      const o = <usize>c << 3;
      const x = v128.load(ar + o);
      acc = f64x2.add(acc, f64x2.mul(x, v128.load(v + o)));
      v128.store(p + o, f64x2.add(v128.load(p + o), f64x2.mul(x, vvr)));
    }
    let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
    for (; c < r; c++) {
      const x = load<f64>(at(ar, c));
      s += x * load<f64>(at(v, c));
      store<f64>(at(p, c), load<f64>(at(p, c)) + x * vr);
    }
    store<f64>(at(p, r), load<f64>(at(p, r)) + s + load<f64>(at(ar, r)) * vr);
  }
  let pv: f64 = 0;
  for (let r = 0; r < len; r++) {
    const pr = load<f64>(at(p, r)) * tau;
    store<f64>(at(p, r), pr);
    pv += pr * load<f64>(at(v, r));
  }
  axpy(-0.5 * tau * pv, v, p, len);
  for (let r = 0; r < len; r++) {
    const ar = a + <usize>r * row;
    const vr = f64x2.splat(load<f64>(at(v, r))), pr = f64x2.splat(load<f64>(at(p, r)));
    let c = 0;
    for (; c + 2 <= r + 1; c += 2) {
      const o = <usize>c << 3;
      const y = f64x2.add(f64x2.mul(vr, v128.load(p + o)), f64x2.mul(pr, v128.load(v + o)));
      v128.store(ar + o, f64x2.sub(v128.load(ar + o), y));
    }
    if (c <= r) {
      const o = <usize>c << 3;
      store<f64>(ar + o, load<f64>(ar + o) - (f64x2.extract_lane(vr, 0) * load<f64>(p + o)
        + f64x2.extract_lane(pr, 0) * load<f64>(v + o)));
    }
  }
}

/**
 * One reflector of a QR leaf (the cpu backend's qr-leaf.ts fusedPass): the eight columns at
 * a + (o + c·ld)·8, c < 8, column-major from row 0, take column c −= g_c·v_j on rows ≥ j
 * (v_j(j) = 1, v_j(i) = x(i)/sq below, x = column q), and on the updated values
 * d_c = Σ_{i > j+1} col_c(i)·col_{q+1}(i). Two rows per f64x2; d holds h_c = g_c/sq meanwhile.
 */
export function leafPassF64(a: usize, o: i32, ld: i32, m: i32, j: i32, q: i32, g: usize,
  sq: f64, d: usize): void {
  const col = <usize>ld << 3;
  const c0 = a + (<usize>o << 3);
  const xo = c0 + <usize>q * col, no = xo + col;
  for (let c = 0; c < 8; c++) {
    const gc = load<f64>(at(g, c));
    const p = c0 + <usize>c * col + (<usize>j << 3);
    store<f64>(p, load<f64>(p) - gc);
    store<f64>(at(d, c), gc / sq);
  }
  let i = j + 1;
  if (i < m) {                                     // row j + 1: update only
    const x = load<f64>(at(xo, i));
    for (let c = 0; c < 8; c++) {
      const p = c0 + <usize>c * col + (<usize>i << 3);
      store<f64>(p, load<f64>(p) - load<f64>(at(d, c)) * x);
    }
  }
  let d0 = f64x2.splat(0), d1 = d0, d2 = d0, d3 = d0, d4 = d0, d5 = d0, d6 = d0, d7 = d0;
  const c1 = c0 + col, c2 = c1 + col, c3 = c2 + col, c4 = c3 + col, c5 = c4 + col;
  const c6 = c5 + col, c7 = c6 + col;
  for (i = j + 2; i + 2 <= m; i += 2) {
    // Update the eight columns, then read column q + 1 back: it is one of them.
    const r = <usize>i << 3;
    const x = v128.load(xo + r);
    const p0 = c0 + r, p1 = c1 + r, p2 = c2 + r, p3 = c3 + r, p4 = c4 + r, p5 = c5 + r;
    const p6 = c6 + r, p7 = c7 + r;
    v128.store(p0, f64x2.sub(v128.load(p0), f64x2.mul(v128.load_splat<f64>(d), x)));
    v128.store(p1, f64x2.sub(v128.load(p1), f64x2.mul(v128.load_splat<f64>(d + 8), x)));
    v128.store(p2, f64x2.sub(v128.load(p2), f64x2.mul(v128.load_splat<f64>(d + 16), x)));
    v128.store(p3, f64x2.sub(v128.load(p3), f64x2.mul(v128.load_splat<f64>(d + 24), x)));
    v128.store(p4, f64x2.sub(v128.load(p4), f64x2.mul(v128.load_splat<f64>(d + 32), x)));
    v128.store(p5, f64x2.sub(v128.load(p5), f64x2.mul(v128.load_splat<f64>(d + 40), x)));
    v128.store(p6, f64x2.sub(v128.load(p6), f64x2.mul(v128.load_splat<f64>(d + 48), x)));
    v128.store(p7, f64x2.sub(v128.load(p7), f64x2.mul(v128.load_splat<f64>(d + 56), x)));
    const xn = v128.load(no + r);
    d0 = f64x2.add(d0, f64x2.mul(v128.load(p0), xn));
    d1 = f64x2.add(d1, f64x2.mul(v128.load(p1), xn));
    d2 = f64x2.add(d2, f64x2.mul(v128.load(p2), xn));
    d3 = f64x2.add(d3, f64x2.mul(v128.load(p3), xn));
    d4 = f64x2.add(d4, f64x2.mul(v128.load(p4), xn));
    d5 = f64x2.add(d5, f64x2.mul(v128.load(p5), xn));
    d6 = f64x2.add(d6, f64x2.mul(v128.load(p6), xn));
    d7 = f64x2.add(d7, f64x2.mul(v128.load(p7), xn));
  }
  let s0 = f64x2.extract_lane(d0, 0) + f64x2.extract_lane(d0, 1);
  let s1 = f64x2.extract_lane(d1, 0) + f64x2.extract_lane(d1, 1);
  let s2 = f64x2.extract_lane(d2, 0) + f64x2.extract_lane(d2, 1);
  let s3 = f64x2.extract_lane(d3, 0) + f64x2.extract_lane(d3, 1);
  let s4 = f64x2.extract_lane(d4, 0) + f64x2.extract_lane(d4, 1);
  let s5 = f64x2.extract_lane(d5, 0) + f64x2.extract_lane(d5, 1);
  let s6 = f64x2.extract_lane(d6, 0) + f64x2.extract_lane(d6, 1);
  let s7 = f64x2.extract_lane(d7, 0) + f64x2.extract_lane(d7, 1);
  if (i < m) {                                     // the last row when the count is odd
    const r = <usize>i << 3;
    const x = load<f64>(xo + r);
    for (let c = 0; c < 8; c++) {
      const p = c0 + <usize>c * col + r;
      store<f64>(p, load<f64>(p) - load<f64>(at(d, c)) * x);
    }
    const xn = load<f64>(no + r);
    s0 += load<f64>(c0 + r) * xn; s1 += load<f64>(c1 + r) * xn;
    s2 += load<f64>(c2 + r) * xn; s3 += load<f64>(c3 + r) * xn;
    s4 += load<f64>(c4 + r) * xn; s5 += load<f64>(c5 + r) * xn;
    s6 += load<f64>(c6 + r) * xn; s7 += load<f64>(c7 + r) * xn;
  }
  store<f64>(d, s0); store<f64>(d + 8, s1); store<f64>(d + 16, s2); store<f64>(d + 24, s3);
  store<f64>(d + 32, s4); store<f64>(d + 40, s5); store<f64>(d + 48, s6); store<f64>(d + 56, s7);
}
