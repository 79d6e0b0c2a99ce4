// erf and GELU of four f32 lanes, to a few ulp, and the float32 kernel of exp, erf and gelu.
// Below |x| = B, erf(x) = x·P(x²); above, erfc(a) = e^(−a²)·t·Q(t) with t = 1/a, where
// Q(t) = a·e^(a²)·erfc(a) is smooth on t ∈ [0.1, 1/B]. P (degree 5) and Q (degree 12, in
// u = UA·t + UB ∈ [−1, 1]) are Chebyshev fits to erf and erfc in float64, rounded to f32.
// e^(−a²) is e^(−h)·e^(−l) with a² = h + l exactly (a cut to 12 bits squares exactly), since
// erfc(a) changes by 2a² times the relative error of a²: 1e-5 at a = 9 if a² were rounded.
import { expF32x4 } from './expf';

const B: f32 = 0.875;
const P0: f32 = 1.1283791065, P1: f32 = -0.3761255443, P2: f32 = 0.1128251031;
const P3: f32 = -0.02679345198, P4: f32 = 0.005035122391, P5: f32 = -0.0006218503113;
const Q0: f32 = 0.4901375771, Q1: f32 = -0.08946344256, Q2: f32 = -0.0005635807757;
const Q3: f32 = 0.0103822276, Q4: f32 = -0.005835413933, Q5: f32 = 0.001909156097;
const Q6: f32 = -0.0001840440818, Q7: f32 = -0.0002331519645, Q8: f32 = 0.0002348821872;
const Q9: f32 = -0.0001992754696, Q10: f32 = 0.00008124099259, Q11: f32 = 0.00003583624493;
const Q12: f32 = -0.0000293755802;
const UA: f32 = 1.917808175, UB: f32 = -1.191780806;

// @ts-ignore: decorator
@inline function madd(p: v128, x: v128, c: f32): v128 {
  return f32x4.add(f32x4.mul(p, x), f32x4.splat(c));
}

/** x·P(x²): erf for |x| < B. */
// @ts-ignore: decorator
@inline function erfSmall(x: v128): v128 {
  const s = f32x4.mul(x, x);
  let p = madd(f32x4.splat(P5), s, P4);
  p = madd(p, s, P3); p = madd(p, s, P2); p = madd(p, s, P1); p = madd(p, s, P0);
  return f32x4.mul(x, p);
}

/** The high part h of −c·x² = h + l, c = 1 or ½: x cut to 12 bits, so its square is exact. */
// @ts-ignore: decorator
@inline function negSquareHi(x: v128, c: f32): v128 {
  const hi = v128.and(x, i32x4.splat(0xfffff000));
  return f32x4.mul(f32x4.mul(hi, hi), f32x4.splat(-c));
}

/** The low part l of −c·x² = h + l: −c·(x − hi)(x + hi). */
// @ts-ignore: decorator
@inline function negSquareLo(x: v128, c: f32): v128 {
  const hi = v128.and(x, i32x4.splat(0xfffff000));
  return f32x4.mul(f32x4.mul(f32x4.sub(x, hi), f32x4.add(x, hi)), f32x4.splat(-c));
}

/** e^(a²)·erfc(a) = t·Q(t), t = 1/a, for a ≥ B. */
// @ts-ignore: decorator
@inline function erfcScaled(a: v128): v128 {
  const t = f32x4.div(f32x4.splat(1), a);
  const u = madd(t, f32x4.splat(UA), UB);
  let q = madd(f32x4.splat(Q12), u, Q11);
  q = madd(q, u, Q10); q = madd(q, u, Q9); q = madd(q, u, Q8); q = madd(q, u, Q7);
  q = madd(q, u, Q6); q = madd(q, u, Q5); q = madd(q, u, Q4); q = madd(q, u, Q3);
  q = madd(q, u, Q2); q = madd(q, u, Q1); q = madd(q, u, Q0);
  return f32x4.mul(q, t);
}

/** erf(x), lane-wise; ±1 from |x| = 4 on (erfc(4) is below half an ulp of 1); NaN stays. */
// @ts-ignore: decorator
@inline export function erfF32x4(x: v128): v128 {
  const a = f32x4.abs(x);
  const sign = v128.and(x, i32x4.splat(0x80000000));
  // e^(−h) last, so that a subnormal result is rounded once.
  const erfc = f32x4.mul(f32x4.mul(erfcScaled(a), expF32x4(negSquareLo(a, 1))),
    expF32x4(negSquareHi(a, 1)));
  const large = v128.or(sign, f32x4.sub(f32x4.splat(1), erfc));
  const one = v128.or(sign, f32x4.splat(1));
  return v128.bitselect(erfSmall(x), v128.bitselect(one, large, f32x4.ge(a, f32x4.splat(4))),
    f32x4.lt(a, f32x4.splat(B)));
}

/**
 * GELU, x·Φ(x) = ½x·(1 + erf(x/√2)), lane-wise. Beyond |x|/√2 = B it takes Φ from erfc with
 * e^(−x²/2) split as above, so the negative tail keeps its digits instead of 1 − (1 − ε).
 */
// @ts-ignore: decorator
@inline export function geluF32x4(x: v128): v128 {
  const half = f32x4.splat(0.5), r = f32x4.splat(<f32>Math.SQRT1_2);
  const z = f32x4.mul(x, r);
  const small = f32x4.mul(f32x4.mul(half, x), f32x4.add(f32x4.splat(1), erfSmall(z)));
  // Φ(−|x|) is 0 in float32 long before |x| = 20: ±Infinity gives 0 there, not NaN.
  const c = f32x4.min(f32x4.max(x, f32x4.splat(-20)), f32x4.splat(20));
  // Φ(−|x|) = s·e^(−l)·e^(−h), s = ½ e^(a²) erfc(a) at a = |x|/√2.
  const s = f32x4.mul(f32x4.mul(half, erfcScaled(f32x4.abs(f32x4.mul(c, r)))),
    expF32x4(negSquareLo(c, 0.5)));
  const eh = expF32x4(negSquareHi(c, 0.5));
  // x·Φ(−|x|) below zero, x scaled in before e^(−h) so a subnormal result rounds once;
  // x·(1 − Φ(−|x|)) above.
  const large = v128.bitselect(f32x4.mul(f32x4.mul(x, s), eh),
    f32x4.mul(x, f32x4.sub(f32x4.splat(1), f32x4.mul(s, eh))), f32x4.lt(x, f32x4.splat(0)));
  return v128.bitselect(small, large, f32x4.lt(f32x4.abs(z), f32x4.splat(B)));
}

// Op codes, in the order of TRANSCENDENTAL_OPS in src/ops.ts.
const EXP = 0, ERF = 1;

// @ts-ignore: decorator
@inline function apply(op: i32, v: v128): v128 {
  return op == EXP ? expF32x4(v) : op == ERF ? erfF32x4(v) : geluF32x4(v);
}

/** out[i] = op(x[i]) for i < n, float32: exp, erf or gelu. */
export function transcendentalF32(op: i32, out: usize, x: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, apply(op, v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, f32x4.extract_lane(apply(op, f32x4.splat(load<f32>(x + o))), 0));
  }
}
