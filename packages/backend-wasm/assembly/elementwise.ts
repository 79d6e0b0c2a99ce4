// Float32 elementwise rows in SIMD: binary arithmetic and comparisons, where, and the cheap
// unary ops. A row is `len` elements; each operand steps by 0 (a broadcast scalar) or 1.
// Other strides, other dtypes and the transcendental ops stay in the cpu backend's TS.

// Binary op codes, in the order of BINARY_OPS in src/elementwise.ts.
const ADD = 0, SUB = 1, MUL = 2, DIV = 3, MAX = 4, MIN = 5;
const GT = 6, LT = 7, GE = 8, LE = 9, EQ = 10, NE = 11;

// @ts-ignore: decorator
@inline function arith(op: i32, x: v128, y: v128): v128 {
  switch (op) {
    case ADD: return f32x4.add(x, y);
    case SUB: return f32x4.sub(x, y);
    case MUL: return f32x4.mul(x, y);
    case DIV: return f32x4.div(x, y);
    case MAX: return f32x4.max(x, y); // NaN-propagating, as the TS kernel
    default: return f32x4.min(x, y);
  }
}

// @ts-ignore: decorator
@inline function compare(op: i32, x: v128, y: v128): v128 {
  switch (op) {
    case GT: return f32x4.gt(x, y);
    case LT: return f32x4.lt(x, y);
    case GE: return f32x4.ge(x, y);
    case LE: return f32x4.le(x, y);
    case EQ: return f32x4.eq(x, y);
    default: return f32x4.ne(x, y);
  }
}

// @ts-ignore: decorator
@inline function scalar(op: i32, x: f32, y: f32): f32 {
  switch (op) {
    case ADD: return x + y;
    case SUB: return x - y;
    case MUL: return x * y;
    case DIV: return x / y;
    case MAX: return x != x || y != y ? NaN : (x > y ? x : y);
    case MIN: return x != x || y != y ? NaN : (x < y ? x : y);
    case GT: return <f32>(x > y);
    case LT: return <f32>(x < y);
    case GE: return <f32>(x >= y);
    case LE: return <f32>(x <= y);
    case EQ: return <f32>(x == y);
    default: return <f32>(x != y);
  }
}

/** out[j] = a[j·sa] op b[j·sb] for j < len; comparisons write int32 0/1. */
export function binaryRowF32(op: i32, out: usize, a: usize, sa: i32, b: usize, sb: i32,
  len: i32): void {
  const cmp = op >= GT;
  const va = v128.load_splat<f32>(a), vb = v128.load_splat<f32>(b);
  const one = i32x4.splat(1);
  let j = 0;
  for (; j + 4 <= len; j += 4) {
    const o = <usize>j << 2;
    const x = sa ? v128.load(a + o) : va, y = sb ? v128.load(b + o) : vb;
    v128.store(out + o, cmp ? v128.and(compare(op, x, y), one) : arith(op, x, y));
  }
  for (; j < len; j++) {
    const x = load<f32>(a + (<usize>(j * sa) << 2)), y = load<f32>(b + (<usize>(j * sb) << 2));
    const r = scalar(op, x, y);
    if (cmp) store<i32>(out + (<usize>j << 2), <i32>r);
    else store<f32>(out + (<usize>j << 2), r);
  }
}

/** out[j] = c[j·sc] ≠ 0 ? a[j·sa] : b[j·sb] (c int32; a, b, out float32). */
export function whereRowF32(out: usize, c: usize, sc: i32, a: usize, sa: i32, b: usize, sb: i32,
  len: i32): void {
  const vc = v128.load_splat<i32>(c), va = v128.load_splat<f32>(a), vb = v128.load_splat<f32>(b);
  const zero = i32x4.splat(0);
  let j = 0;
  for (; j + 4 <= len; j += 4) {
    const o = <usize>j << 2;
    const m = i32x4.ne(sc ? v128.load(c + o) : vc, zero);
    v128.store(out + o, v128.bitselect(sa ? v128.load(a + o) : va, sb ? v128.load(b + o) : vb, m));
  }
  for (; j < len; j++) {
    const o = <usize>j << 2;
    const take = load<i32>(c + (<usize>(j * sc) << 2)) != 0;
    const from = take ? a + (<usize>(j * sa) << 2) : b + (<usize>(j * sb) << 2);
    store<f32>(out + o, load<f32>(from));
  }
}

// Unary op codes, in the order of UNARY_OPS in src/elementwise.ts.
const RELU = 0, NEG = 1, ABS = 2, SQUARE = 3, SQRT = 4;

/** out[i] = op(x[i]) for i < n, float32. relu keeps NaN, as the TS kernel. */
export function unaryF32(op: i32, out: usize, x: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    let r: v128;
    switch (op) {
      case RELU: r = v128.bitselect(zero, v, f32x4.le(v, zero)); break;
      case NEG: r = f32x4.neg(v); break;
      case ABS: r = f32x4.abs(v); break;
      case SQUARE: r = f32x4.mul(v, v); break;
      default: r = f32x4.sqrt(v);
    }
    v128.store(out + o, r);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    let r: f32;
    switch (op) {
      case RELU: r = v <= 0 ? 0 : v; break;
      case NEG: r = -v; break;
      case ABS: r = Mathf.abs(v); break;
      case SQUARE: r = v * v; break;
      default: r = Mathf.sqrt(v);
    }
    store<f32>(out + o, r);
  }
}
