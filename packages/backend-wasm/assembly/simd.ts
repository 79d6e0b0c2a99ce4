// SIMD helpers shared by the kernels. The relaxed build (--enable relaxed-simd) fuses the
// multiply-add; the plain build rounds twice, as the scalar TS kernels do.

/** acc + x·y, lane-wise over T (f32 or f64). */
// @ts-ignore: decorator
@inline export function vmadd<T>(acc: v128, x: v128, y: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return v128.relaxed_madd<T>(x, y, acc);
  return v128.add<T>(acc, v128.mul<T>(x, y));
}

/**
 * Writes the 4×4 f32 block with rows a, b, c, d transposed to dst (rows `drow` bytes apart):
 * dst row k = (a[k], b[k], c[k], d[k]).
 */
// @ts-ignore: decorator
@inline export function storeTransposed4(a: v128, b: v128, c: v128, d: v128, dst: usize,
  drow: usize): void {
  const t0 = i32x4.shuffle(a, b, 0, 4, 1, 5), t1 = i32x4.shuffle(a, b, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(c, d, 0, 4, 1, 5), t3 = i32x4.shuffle(c, d, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(dst + drow, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * drow, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * drow, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

/**
 * Writes the 4×4 f32 block at src (rows `row` bytes apart) transposed to dst (rows `drow`
 * bytes apart): dst row k = (src[0][k], src[1][k], src[2][k], src[3][k]).
 */
// @ts-ignore: decorator
@inline export function transpose4(src: usize, row: usize, dst: usize, drow: usize): void {
  storeTransposed4(v128.load(src), v128.load(src + row), v128.load(src + 2 * row),
    v128.load(src + 3 * row), dst, drow);
}
