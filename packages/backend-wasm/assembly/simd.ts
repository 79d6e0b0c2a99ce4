// SIMD helpers shared by the kernels. The relaxed build (--enable relaxed-simd) fuses the
// multiply-add; the plain build rounds twice, as the scalar TS kernels do.

/** acc + x·y, lane-wise over T (f32 or f64). */
// @ts-ignore: decorator
@inline export function vmadd<T>(acc: v128, x: v128, y: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return v128.relaxed_madd<T>(x, y, acc);
  return v128.add<T>(acc, v128.mul<T>(x, y));
}
