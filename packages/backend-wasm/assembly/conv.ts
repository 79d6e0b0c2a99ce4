// The convolutions' patch gathering (im2col), its adjoint (col2im) and the implicit GEMM's
// patch packing (packPatches, packPatchesT), generic over f32 and f64, with the layout of
// backend-cpu's conv.ts: row (c·kh + i)·kw + j of the patch matrix holds
// x[c, y·sh − ph + i·dh, x·sw − pw + j·dw] for every output position (y, x), 0 outside.
// Geometry is passed as i32 fields in memory at `g` (see GEOMETRY in src/ops.ts).

import { storeTransposed4 } from './simd';

/** The geometry block, field for field in GEOMETRY's order. */
@unmanaged export class Geometry {
  c: i32; h: i32; w: i32; kh: i32; kw: i32; ho: i32; wo: i32;
  sh: i32; sw: i32; ph: i32; pw: i32; dh: i32; dw: i32; n: i32;
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

/**
 * The batch's patch matrix, row stride n·ho·wo (byte addresses): rows outermost, images
 * inside, so cols is written front to back.
 */
function im2col<T>(x: usize, g: usize, cols: usize): void {
  const G = changetype<Geometry>(g);
  const c = G.c, h = G.h, w = G.w, kh = G.kh, kw = G.kw, ho = G.ho, wo = G.wo;
  const sh = G.sh, sw = G.sw, ph = G.ph, pw = G.pw, dh = G.dh, dw = G.dw, n = G.n;
  const e = <usize>sizeof<T>(), chw = c * h * w;
  let d = cols;
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const off = j * dw - pw;
        // Output columns whose input column lies inside [0, w): [lo, hi).
        const lo = firstColumn(off, sw, wo), hi = endColumn(off, sw, w, wo, lo);
        for (let b = 0; b < n; b++) {
          const img = x + <usize>b * <usize>chw * e;
          for (let y = 0; y < ho; y++, d += <usize>wo * e) {
            const iy = y * sh - ph + i * dh;
            if (iy < 0 || iy >= h || lo >= hi) {
              memory.fill(d, 0, <usize>wo * e);
              continue;
            }
            const src = img + <usize>((ch * h + iy) * w + off) * e;
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
}

/** dx += every patch entry of the batch's cols (the adjoint of im2col), cols front to back. */
function col2im<T>(cols: usize, g: usize, dx: usize): void {
  const G = changetype<Geometry>(g);
  const c = G.c, h = G.h, w = G.w, kh = G.kh, kw = G.kw, ho = G.ho, wo = G.wo;
  const sh = G.sh, sw = G.sw, ph = G.ph, pw = G.pw, dh = G.dh, dw = G.dw, n = G.n;
  const e = <usize>sizeof<T>(), lanes = 16 / sizeof<T>(), chw = c * h * w;
  let src = cols;
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const off = j * dw - pw;
        const lo = firstColumn(off, sw, wo), hi = endColumn(off, sw, w, wo, lo);
        for (let b = 0; b < n; b++) {
          const img = dx + <usize>b * <usize>chw * e;
          for (let y = 0; y < ho; y++, src += <usize>wo * e) {
            const iy = y * sh - ph + i * dh;
            if (iy < 0 || iy >= h) continue;
            const dst = img + <usize>((ch * h + iy) * w + off) * e;
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
}

export function im2colF32(x: usize, g: usize, cols: usize): void {
  im2col<f32>(x, g, cols);
}
export function im2colF64(x: usize, g: usize, cols: usize): void {
  im2col<f64>(x, g, cols);
}
export function col2imF32(cols: usize, g: usize, dx: usize): void {
  col2im<f32>(cols, g, dx);
}
export function col2imF64(cols: usize, g: usize, dx: usize): void {
  col2im<f64>(cols, g, dx);
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

/**
 * The patch matrix P [C·kh·kw, N·Ho·Wo] of the images at x, packed straight into GEMM panels
 * (an implicit GEMM: P is never formed). Rows pc..pc+kc and columns jc..jc+ncols go into
 * panels of w columns, [panel][p][column], zero-padded on the right, as gemm.ts's packB
 * would pack P itself. A panel inside one output row reads w consecutive input values per
 * patch row; when every window of the panel lies inside the image, their offsets from the
 * panel's origin come from a table (`offsets`, kc i32s of scratch) filled once per call.
 */
export function packPatches<T>(x: usize, g: usize, pc: i32, jc: i32, kc: i32, ncols: i32,
  w: i32, out: usize, offsets: usize): void {
  const G = changetype<Geometry>(g);
  const c = G.c, h = G.h, wd = G.w, kh = G.kh, kw = G.kw, ho = G.ho, wo = G.wo;
  const sh = G.sh, sw = G.sw, ph = G.ph, pw = G.pw, dh = G.dh, dw = G.dw;
  const e = <usize>sizeof<T>(), hw = ho * wo, khw = kh * kw, chw = c * h * wd;
  const ch0 = pc / khw, t0 = pc - ch0 * khw, i0 = t0 / kw, j0 = t0 - i0 * kw;
  {
    let ch = ch0, i = i0, j = j0;
    for (let p = 0; p < kc; p++) {
      store<i32>(offsets + <usize>p * 4, ((ch * h + i * dh) * wd + j * dw) * <i32>e);
      if (++j == kw) {
        j = 0;
        if (++i == kh) { i = 0; ch++; }
      }
    }
  }
  const spanY = (kh - 1) * dh, spanX = (kw - 1) * dw;
  for (let jr = 0; jr < ncols; jr += w) {
    const cols = min(w, ncols - jr);
    const panel = out + <usize>(jr * kc) * e;
    const col0 = jc + jr;
    const b = col0 / hw, rem = col0 - b * hw, y = rem / wo, x0 = rem - y * wo;
    const oneRow = cols == w && x0 + w <= wo && sw == 1;
    const img = x + <usize>b * <usize>chw * e;
    const top = y * sh - ph, left = x0 - pw;
    if (oneRow && top >= 0 && top + spanY < h && left >= 0 && left + w - 1 + spanX < wd) {
      const origin = img + <usize>(top * wd + left) * e;
      let dst = panel;
      for (let p = 0; p < kc; p++, dst += <usize>w * e) {
        const src = origin + <usize>load<i32>(offsets + <usize>p * 4);
        v128.store(dst, v128.load(src));            // w values: 32 bytes for f32 and f64
        v128.store(dst, v128.load(src, 16), 16);
      }
      continue;
    }
    let ch = ch0, i = i0, j = j0;
    for (let p = 0; p < kc; p++) {
      const dst = panel + <usize>(p * w) * e;
      const iy = top + i * dh, ix = left + j * dw;
      if (oneRow && iy >= 0 && iy < h && ix >= 0 && ix + w <= wd) {
        const src = img + <usize>((ch * h + iy) * wd + ix) * e;
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
      } else {
        for (let q = 0; q < w; q++) {
          let v: T = <T>0;
          if (q < cols) {
            const col = col0 + q, bq = col / hw, rq = col - bq * hw, yq = rq / wo;
            const xq = rq - yq * wo;
            const iyq = yq * sh - ph + i * dh, ixq = xq * sw - pw + j * dw;
            if (iyq >= 0 && iyq < h && ixq >= 0 && ixq < wd) {
              v = load<T>(x + <usize>(bq * chw + (ch * h + iyq) * wd + ixq) * e);
            }
          }
          store<T>(dst + <usize>q * e, v);
        }
      }
      if (++j == kw) {
        j = 0;
        if (++i == kh) { i = 0; ch++; }
      }
    }
  }
}

/**
 * NCHW images at x read as channel rows, packed like packPatches: op(B)(p, j) =
 * x[j / hw][p][j % hw] for the k channels, rows pc..pc+kc and columns jc..jc+ncols. Each
 * panel's w positions lie in one image (the host checks that hw is a multiple of w), so a
 * panel row is w consecutive values.
 */
export function packImages<T>(x: usize, g: usize, k: i32, pc: i32, jc: i32, kc: i32,
  ncols: i32, w: i32, out: usize): void {
  const G = changetype<Geometry>(g);
  const e = <usize>sizeof<T>(), hw = G.ho * G.wo, plane = <usize>hw * e;
  for (let jr = 0; jr < ncols; jr += w) {
    const col = jc + jr, b = col / hw, pos = col - b * hw;
    let src = x + (<usize>(b * k + pc) * <usize>hw + <usize>pos) * e;
    let dst = out + <usize>(jr * kc) * e;
    for (let p = 0; p < kc; p++, src += plane, dst += <usize>w * e) {
      v128.store(dst, v128.load(src));            // w values: 32 bytes for f32 and f64
      v128.store(dst, v128.load(src, 16), 16);
    }
  }
}

/**
 * Pᵀ packed like packPatches (a filter gradient dW = dY·Pᵀ): rows pc..pc+kc are output
 * positions, columns jc..jc+ncols patch rows. f32 panels take four positions of one output
 * row at a time: for each four patch rows, four loads of four consecutive inputs and a
 * register transpose give a 4×4 block of the panel. Other cases go entry by entry.
 */
export function packPatchesT<T>(x: usize, g: usize, pc: i32, jc: i32, kc: i32, ncols: i32,
  w: i32, out: usize): void {
  const G = changetype<Geometry>(g);
  const c = G.c, h = G.h, wd = G.w, kh = G.kh, kw = G.kw, ho = G.ho, wo = G.wo;
  const sh = G.sh, sw = G.sw, ph = G.ph, pw = G.pw, dh = G.dh, dw = G.dw;
  const e = <usize>sizeof<T>(), hw = ho * wo, khw = kh * kw, chw = c * h * wd;
  const b0 = pc / hw, r0 = pc - b0 * hw, y0 = r0 / wo, x0 = r0 - y0 * wo;
  const step = <usize>w * e;
  // Whole windows inside the image for every output position: no bounds tests.
  const inside = ph <= 0 && pw <= 0 && (ho - 1) * sh - ph + (kh - 1) * dh < h
    && (wo - 1) * sw - pw + (kw - 1) * dw < wd;
  for (let jr = 0; jr < ncols; jr += w) {
    const cols = min(w, ncols - jr);
    const panel = out + <usize>(jr * kc) * e;
    if (sizeof<T>() == 4 && cols == 8 && inside && sw == 1) {
      // Input offsets (elements) of the panel's eight patch rows from a window's origin.
      let r = jc + jr, ch = r / khw, t = r - ch * khw, i = t / kw, j = t - i * kw;
      const o0 = (ch * h + i * dh) * wd + j * dw;
      if (++j == kw) { j = 0; if (++i == kh) { i = 0; ch++; } }
      const o1 = (ch * h + i * dh) * wd + j * dw;
      if (++j == kw) { j = 0; if (++i == kh) { i = 0; ch++; } }
      const o2 = (ch * h + i * dh) * wd + j * dw;
      if (++j == kw) { j = 0; if (++i == kh) { i = 0; ch++; } }
      const o3 = (ch * h + i * dh) * wd + j * dw;
      if (++j == kw) { j = 0; if (++i == kh) { i = 0; ch++; } }
      const o4 = (ch * h + i * dh) * wd + j * dw;
      if (++j == kw) { j = 0; if (++i == kh) { i = 0; ch++; } }
      const o5 = (ch * h + i * dh) * wd + j * dw;
      if (++j == kw) { j = 0; if (++i == kh) { i = 0; ch++; } }
      const o6 = (ch * h + i * dh) * wd + j * dw;
      if (++j == kw) { j = 0; if (++i == kh) { i = 0; ch++; } }
      const o7 = (ch * h + i * dh) * wd + j * dw;
      let b = b0, y = y0, xx = x0, p = 0;
      while (p < kc) {
        const origin = x + (<usize>b * <usize>chw + <usize>((y * sh - ph) * wd + xx - pw)) * e;
        const dst = panel + <usize>p * step;
        if (xx + 4 <= wo && p + 4 <= kc) {
          storeTransposed4(v128.load(origin + (<usize>o0 << 2)),
            v128.load(origin + (<usize>o1 << 2)), v128.load(origin + (<usize>o2 << 2)),
            v128.load(origin + (<usize>o3 << 2)), dst, step);
          storeTransposed4(v128.load(origin + (<usize>o4 << 2)),
            v128.load(origin + (<usize>o5 << 2)), v128.load(origin + (<usize>o6 << 2)),
            v128.load(origin + (<usize>o7 << 2)), dst + 16, step);
          p += 4; xx += 4;
        } else {
          store<f32>(dst, load<f32>(origin + (<usize>o0 << 2)));
          store<f32>(dst, load<f32>(origin + (<usize>o1 << 2)), 4);
          store<f32>(dst, load<f32>(origin + (<usize>o2 << 2)), 8);
          store<f32>(dst, load<f32>(origin + (<usize>o3 << 2)), 12);
          store<f32>(dst, load<f32>(origin + (<usize>o4 << 2)), 16);
          store<f32>(dst, load<f32>(origin + (<usize>o5 << 2)), 20);
          store<f32>(dst, load<f32>(origin + (<usize>o6 << 2)), 24);
          store<f32>(dst, load<f32>(origin + (<usize>o7 << 2)), 28);
          p++; xx++;
        }
        if (xx == wo) {
          xx = 0;
          if (++y == ho) { y = 0; b++; }
        }
      }
      continue;
    }
    for (let q = 0; q < w; q++) {
      let dst = panel + <usize>q * e;
      if (q >= cols) {
        for (let p = 0; p < kc; p++, dst += step) store<T>(dst, <T>0);
        continue;
      }
      const r = jc + jr + q, ch = r / khw, t = r - ch * khw, i = t / kw, j = t - i * kw;
      const plane = <usize>(ch * h * wd) * e;
      let b = b0, y = y0, xx = x0;
      for (let p = 0; p < kc; p++, dst += step) {
        const iy = y * sh - ph + i * dh, ix = xx * sw - pw + j * dw;
        let v: T = <T>0;
        if (iy >= 0 && iy < h && ix >= 0 && ix < wd) {
          v = load<T>(x + <usize>b * <usize>chw * e + plane + <usize>(iy * wd + ix) * e);
        }
        store<T>(dst, v);
        if (++xx == wo) {
          xx = 0;
          if (++y == ho) { y = 0; b++; }
        }
      }
    }
  }
}
