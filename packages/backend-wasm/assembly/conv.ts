// The convolutions' patch gathering (im2col) and its adjoint (col2im), generic over f32 and
// f64, with the layout of backend-cpu's conv.ts: row (c·kh + i)·kw + j of the patch matrix
// holds x[c, y·sh − ph + i·dh, x·sw − pw + j·dw] for every output position (y, x), 0 outside.
// Geometry is passed as i32 fields in memory at `g` (see GEOMETRY in src/ops.ts).

/** The geometry block, field for field in GEOMETRY's order. */
@unmanaged class Geometry {
  c: i32; h: i32; w: i32; kh: i32; kw: i32; ho: i32; wo: i32;
  sh: i32; sw: i32; ph: i32; pw: i32; dh: i32; dw: i32;
}

/** First output column whose input column x·sw + off is ≥ 0. */
// @ts-ignore: decorator
@inline function firstColumn(off: i32, sw: i32, wo: i32): i32 {
  return min(wo, max(0, (-off + sw - 1) / sw));
}

/** One past the last output column whose input column x·sw + off is < w (≥ lo). */
// @ts-ignore: decorator
@inline function endColumn(off: i32, sw: i32, w: i32, wo: i32, lo: i32): i32 {
  return max(lo, min(wo, off >= w ? 0 : (w - 1 - off) / sw + 1));
}

/** cols[colOff + row·rowStride + y·wo + x] for one image at x (byte addresses). */
function im2col<T>(x: usize, g: usize, cols: usize, rowStride: i32): void {
  const G = changetype<Geometry>(g);
  const c = G.c, h = G.h, w = G.w, kh = G.kh, kw = G.kw, ho = G.ho, wo = G.wo;
  const sh = G.sh, sw = G.sw, ph = G.ph, pw = G.pw, dh = G.dh, dw = G.dw;
  const e = <usize>sizeof<T>();
  let row = 0;
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, row++) {
        const off = j * dw - pw;
        // Output columns whose input column lies inside [0, w): [lo, hi).
        const lo = firstColumn(off, sw, wo), hi = endColumn(off, sw, w, wo, lo);
        for (let y = 0; y < ho; y++) {
          const iy = y * sh - ph + i * dh;
          const d = cols + (<usize>row * <usize>rowStride + <usize>(y * wo)) * e;
          if (iy < 0 || iy >= h || lo >= hi) {
            memory.fill(d, 0, <usize>wo * e);
            continue;
          }
          const src = x + <usize>((ch * h + iy) * w + off) * e;
          if (lo > 0) memory.fill(d, 0, <usize>lo * e);
          if (sw == 1) {
            // Image rows are short (24–28 values): a v128 loop beats a memory.copy call.
            const lanes = 16 / sizeof<T>();
            let xx = lo;
            for (; xx + lanes <= hi; xx += lanes) {
              v128.store(d + <usize>xx * e, v128.load(src + <usize>xx * e));
            }
            for (; xx < hi; xx++) store<T>(d + <usize>xx * e, load<T>(src + <usize>xx * e));
          } else {
            for (let xx = lo; xx < hi; xx++) {
              store<T>(d + <usize>xx * e, load<T>(src + <usize>(xx * sw) * e));
            }
          }
          if (hi < wo) memory.fill(d + <usize>hi * e, 0, <usize>(wo - hi) * e);
        }
      }
    }
  }
}

/** dx[...] += every patch entry of one image's columns (the adjoint of im2col). */
function col2im<T>(cols: usize, rowStride: i32, g: usize, dx: usize): void {
  const G = changetype<Geometry>(g);
  const c = G.c, h = G.h, w = G.w, kh = G.kh, kw = G.kw, ho = G.ho, wo = G.wo;
  const sh = G.sh, sw = G.sw, ph = G.ph, pw = G.pw, dh = G.dh, dw = G.dw;
  const e = <usize>sizeof<T>(), lanes = 16 / sizeof<T>();
  let row = 0;
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, row++) {
        const off = j * dw - pw;
        const lo = firstColumn(off, sw, wo), hi = endColumn(off, sw, w, wo, lo);
        for (let y = 0; y < ho; y++) {
          const iy = y * sh - ph + i * dh;
          if (iy < 0 || iy >= h) continue;
          const src = cols + (<usize>row * <usize>rowStride + <usize>(y * wo)) * e;
          const dst = dx + <usize>((ch * h + iy) * w + off) * e;
          let xx = lo;
          if (sw == 1) {
            for (; xx + lanes <= hi; xx += lanes) {
              const p = dst + <usize>xx * e;
              v128.store(p, v128.add<T>(v128.load(p), v128.load(src + <usize>xx * e)));
            }
          }
          for (; xx < hi; xx++) {
            const p = dst + <usize>(xx * sw) * e;
            store<T>(p, load<T>(p) + load<T>(src + <usize>xx * e));
          }
        }
      }
    }
  }
}

export function im2colF32(x: usize, g: usize, cols: usize, rowStride: i32): void {
  im2col<f32>(x, g, cols, rowStride);
}
export function im2colF64(x: usize, g: usize, cols: usize, rowStride: i32): void {
  im2col<f64>(x, g, cols, rowStride);
}
export function col2imF32(cols: usize, rowStride: i32, g: usize, dx: usize): void {
  col2im<f32>(cols, rowStride, g, dx);
}
export function col2imF64(cols: usize, rowStride: i32, g: usize, dx: usize): void {
  col2im<f64>(cols, rowStride, g, dx);
}

/**
 * [A, N, B] → [N, A, B] block swap of `bytes`-byte blocks: dst block (j·a + i) = src block
 * (i·n + j), the move between NCHW and the batched GEMM's channel-major layout.
 */
export function swap01(src: usize, a: i32, n: i32, bytes: i32, dst: usize): void {
  const blk = <usize>bytes;
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < n; j++) {
      const s = src + <usize>(i * n + j) * blk, d = dst + <usize>(j * a + i) * blk;
      let o: usize = 0;
      for (; o + 16 <= blk; o += 16) v128.store(d + o, v128.load(s + o));
      for (; o < blk; o += 4) store<u32>(d + o, load<u32>(s + o));
    }
  }
}
