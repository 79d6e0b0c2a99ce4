// Float32 sums over the axes around a kept block ([before, outer, after] summed over the
// first and last: a conv bias gradient over [N, C, H·W]). Each output sums in float64, in the
// cpu backend's order (b, then i), so results are bit-identical to its reduce; four outputs
// go side by side, so four dependency chains overlap instead of one.

/** out[k] = Σ_b Σ_i x[(b·outer + k)·after + i], float64 sums rounded once to f32. */
export function sumMiddleF32(x: usize, before: i32, outer: i32, after: i32, out: usize): void {
  const run = <usize>after << 2, plane = <usize>outer * run;
  let k = 0;
  for (; k + 4 <= outer; k += 4) {
    let s01 = f64x2.splat(0), s23 = f64x2.splat(0);
    for (let b = 0; b < before; b++) {
      const p0 = x + <usize>b * plane + <usize>k * run, p1 = p0 + run, p2 = p1 + run;
      const p3 = p2 + run;
      for (let i: usize = 0; i < run; i += 4) {
        const v01 = v128.load32_lane(p1 + i, v128.load32_zero(p0 + i), 1);
        const v23 = v128.load32_lane(p3 + i, v128.load32_zero(p2 + i), 1);
        s01 = f64x2.add(s01, f64x2.promote_low_f32x4(v01));
        s23 = f64x2.add(s23, f64x2.promote_low_f32x4(v23));
      }
    }
    v128.store(out + (<usize>k << 2), f32x4.demote_f64x2_zero(s01));
    v128.store64_lane(out + (<usize>(k + 2) << 2), f32x4.demote_f64x2_zero(s23), 0);
  }
  for (; k < outer; k++) {
    let s: f64 = 0;
    for (let b = 0; b < before; b++) {
      const p = x + <usize>b * plane + <usize>k * run;
      for (let i: usize = 0; i < run; i += 4) s += <f64>load<f32>(p + i);
    }
    store<f32>(out + (<usize>k << 2), <f32>s);
  }
}

/**
 * out[o] = Σ_i x[o·inner + i] for each of `outer` contiguous rows, in float64 partial sums
 * sₖ over the elements i ≡ k (mod 8), held as four f64x2 accumulators and combined as
 * ((s₀ + s₄) + (s₂ + s₆)) + ((s₁ + s₅) + (s₃ + s₇)), then rounded once to f32: the order of
 * the cpu backend's sumRun, so both backends give the same bits.
 */
export function sumRowsF32(x: usize, outer: i32, inner: i32, out: usize): void {
  const row = <usize>inner << 2, body = <usize>(inner & ~7) << 2;
  for (let o = 0; o < outer; o++) {
    const p = x + <usize>o * row;
    let s01 = f64x2.splat(0), s23 = f64x2.splat(0), s45 = f64x2.splat(0), s67 = f64x2.splat(0);
    for (let i: usize = 0; i < body; i += 32) {
      const u = v128.load(p + i), v = v128.load(p + i, 16);
      s01 = f64x2.add(s01, f64x2.promote_low_f32x4(u));
      s23 = f64x2.add(s23, f64x2.promote_low_f32x4(i32x4.shuffle(u, u, 2, 3, 0, 1)));
      s45 = f64x2.add(s45, f64x2.promote_low_f32x4(v));
      s67 = f64x2.add(s67, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
    }
    let s0 = f64x2.extract_lane(s01, 0), s1 = f64x2.extract_lane(s01, 1);
    let s2 = f64x2.extract_lane(s23, 0), s3 = f64x2.extract_lane(s23, 1);
    let s4 = f64x2.extract_lane(s45, 0), s5 = f64x2.extract_lane(s45, 1);
    let s6 = f64x2.extract_lane(s67, 0), s7 = f64x2.extract_lane(s67, 1);
    const left = inner & 7, q = p + body;
    if (left > 0) s0 += <f64>load<f32>(q);
    if (left > 1) s1 += <f64>load<f32>(q, 4);
    if (left > 2) s2 += <f64>load<f32>(q, 8);
    if (left > 3) s3 += <f64>load<f32>(q, 12);
    if (left > 4) s4 += <f64>load<f32>(q, 16);
    if (left > 5) s5 += <f64>load<f32>(q, 20);
    if (left > 6) s6 += <f64>load<f32>(q, 24);
    store<f32>(out + (<usize>o << 2), <f32>(((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7))));
  }
}

/**
 * out[j] = Σ_r x[r·cols + j] over `rows` rows (a bias gradient: the leading axes summed),
 * in float64 sums kept in `acc` (cols f64 of scratch) and added row by row, as the cpu
 * backend's fold, then rounded once to f32.
 */
export function sumLeadingF32(x: usize, rows: i32, cols: i32, acc: usize, out: usize): void {
  memory.fill(acc, 0, <usize>cols << 3);
  const body = cols & ~3;
  for (let r = 0; r < rows; r++) {
    const p = x + (<usize>(r * cols) << 2);
    let j = 0;
    for (; j < body; j += 4) {
      const v = v128.load(p + (<usize>j << 2)), a = acc + (<usize>j << 3);
      v128.store(a, f64x2.add(v128.load(a), f64x2.promote_low_f32x4(v)));
      v128.store(a, f64x2.add(v128.load(a, 16),
        f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1))), 16);
    }
    for (; j < cols; j++) {
      const a = acc + (<usize>j << 3);
      store<f64>(a, load<f64>(a) + <f64>load<f32>(p + (<usize>j << 2)));
    }
  }
  let j = 0;
  for (; j < body; j += 4) {
    const a = acc + (<usize>j << 3);
    const lo = f32x4.demote_f64x2_zero(v128.load(a));
    const hi = f32x4.demote_f64x2_zero(v128.load(a, 16));
    v128.store(out + (<usize>j << 2), i32x4.shuffle(lo, hi, 0, 1, 4, 5));
  }
  for (; j < cols; j++) store<f32>(out + (<usize>j << 2), <f32>load<f64>(acc + (<usize>j << 3)));
}
