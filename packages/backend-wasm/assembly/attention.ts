// The row-wise steps of blocked attention in float32 (src/attention.ts runs the products
// through the GEMM): the softmax of a block of scores, and its gradient.
import { expF32, expF32x4 } from './expf';

/**
 * Row r < rows of the block s (rows `ld` floats apart) becomes softmax(scale·s + mask) over
 * its first len(r) = min(cols, last + r + 1) entries (the causal limit; last ≥ cols for none)
 * and 0 after them. `mask` (0 for none) is added row by row, `maskLd` floats apart. Sums in
 * float64. Returns the first row that sees no key (every score −Infinity), or −1.
 */
export function softmaxRowsF32(s: usize, ld: i32, rows: i32, cols: i32, scale: f32, mask: usize,
  maskLd: i32, last: i32): i32 {
  const vscale = f32x4.splat(scale);
  for (let r = 0; r < rows; r++) {
    const p = s + (<usize>(r * ld) << 2);
    const m = mask + (<usize>(r * maskLd) << 2);
    const len = min(cols, last + r + 1);
    // Scores, and their maximum.
    let top = f32x4.splat(-Infinity);
    let c = 0;
    for (; c + 4 <= len; c += 4) {
      const o = <usize>c << 2;
      let x = f32x4.mul(v128.load(p + o), vscale);
      if (mask) x = f32x4.add(x, v128.load(m + o));
      v128.store(p + o, x);
      top = f32x4.max(top, x);
    }
    let t = max(max(f32x4.extract_lane(top, 0), f32x4.extract_lane(top, 1)),
      max(f32x4.extract_lane(top, 2), f32x4.extract_lane(top, 3)));
    for (; c < len; c++) {
      const o = <usize>c << 2;
      const x = load<f32>(p + o) * scale + (mask ? load<f32>(m + o) : 0);
      store<f32>(p + o, x);
      t = max(t, x);
    }
    if (len <= 0 || t == -Infinity) return r;
    // exp(x − max), summed in float64, then scaled by 1/Σ.
    const vt = f32x4.splat(t);
    let lo = f64x2.splat(0), hi = f64x2.splat(0);
    c = 0;
    for (; c + 4 <= len; c += 4) {
      const o = <usize>c << 2;
      const e = expF32x4(f32x4.sub(v128.load(p + o), vt));
      v128.store(p + o, e);
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(e));
      hi = f64x2.add(hi, f64x2.promote_low_f32x4(i32x4.shuffle(e, e, 2, 3, 0, 1)));
    }
    let sum = (f64x2.extract_lane(lo, 0) + f64x2.extract_lane(hi, 0))
      + (f64x2.extract_lane(lo, 1) + f64x2.extract_lane(hi, 1));
    for (; c < len; c++) {
      const o = <usize>c << 2;
      const e = expF32(load<f32>(p + o) - t);
      store<f32>(p + o, e);
      sum += <f64>e;
    }
    const inv = <f32>(1 / sum), vinv = f32x4.splat(inv);
    c = 0;
    for (; c + 4 <= len; c += 4) {
      const o = <usize>c << 2;
      v128.store(p + o, f32x4.mul(v128.load(p + o), vinv));
    }
    for (; c < len; c++) store<f32>(p + (<usize>c << 2), load<f32>(p + (<usize>c << 2)) * inv);
    for (c = max(len, 0); c < cols; c++) store<f32>(p + (<usize>c << 2), 0);
  }
  return -1;
}

/**
 * The scores' gradient from the probabilities p and dP = dY·Vᵀ, in place in dp:
 * dsᵢⱼ = scale·pᵢⱼ·(dpᵢⱼ − Dᵢ) with Dᵢ = dyᵢ·yᵢ (rows of y and dy `dv` floats long, contiguous).
 * p and dp are `rows` rows of `cols` floats, `ld` apart.
 */
export function softmaxGradRowsF32(p: usize, dp: usize, ld: i32, rows: i32, cols: i32, y: usize,
  dy: usize, dv: i32, scale: f32): void {
  for (let r = 0; r < rows; r++) {
    const yr = y + (<usize>(r * dv) << 2), gr = dy + (<usize>(r * dv) << 2);
    let dot: f64 = 0;
    for (let u = 0; u < dv; u++) {
      dot += <f64>load<f32>(gr + (<usize>u << 2)) * <f64>load<f32>(yr + (<usize>u << 2));
    }
    const D = <f32>dot, vD = f32x4.splat(D), vscale = f32x4.splat(scale);
    const pr = p + (<usize>(r * ld) << 2), dr = dp + (<usize>(r * ld) << 2);
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const o = <usize>c << 2;
      const ds = f32x4.mul(f32x4.mul(vscale, v128.load(pr + o)),
        f32x4.sub(v128.load(dr + o), vD));
      v128.store(dr + o, ds);
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      store<f32>(dr + o, scale * load<f32>(pr + o) * (load<f32>(dr + o) - D));
    }
  }
}
