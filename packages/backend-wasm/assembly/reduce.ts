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
