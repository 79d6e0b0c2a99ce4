// exp of four f32 lanes, to about 2 ulp: x = n·ln 2 + r with n = round(x·log₂e) and
// |r| ≤ ½ ln 2 (ln 2 split in two so n·ln 2 is exact), eʳ by its Taylor series to r⁷
// (truncation 5e-9), times 2ⁿ as two factors built in the exponent bits, so results in the
// subnormal range and past the largest float (+Infinity) come out right. NaN stays NaN.

const LOG2E: f32 = 1.44269504;
/** ln 2 = LN2_HI + LN2_LO, LN2_HI with 9 significant bits so n·LN2_HI is exact for |n| < 2¹⁵. */
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;

// @ts-ignore: decorator
@inline export function expF32x4(x: v128): v128 {
  // exp(−104) is below half the smallest subnormal and exp(89) above the largest float; the
  // clamp keeps n in [−150, 129], whose halves are normal exponents. max and min keep NaN.
  const c = f32x4.min(f32x4.max(x, f32x4.splat(-104)), f32x4.splat(89));
  const n = f32x4.nearest(f32x4.mul(c, f32x4.splat(LOG2E)));
  const r = f32x4.sub(f32x4.sub(c, f32x4.mul(n, f32x4.splat(LN2_HI))),
    f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(<f32>(1.0 / 5040));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(<f32>(1.0 / 720)));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(<f32>(1.0 / 120)));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(<f32>(1.0 / 24)));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(<f32>(1.0 / 6)));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1));
  const k = i32x4.trunc_sat_f32x4_s(n), k1 = i32x4.shr_s(k, 1);
  const bias = i32x4.splat(127);
  const two1 = i32x4.shl(i32x4.add(k1, bias), 23);
  const two2 = i32x4.shl(i32x4.add(i32x4.sub(k, k1), bias), 23);
  return f32x4.mul(f32x4.mul(p, two1), two2);
}

/** exp of one f32, through lane 0 of the vector form (tails of the row loops). */
// @ts-ignore: decorator
@inline export function expF32(x: f32): f32 {
  return f32x4.extract_lane(expF32x4(f32x4.splat(x)), 0);
}
