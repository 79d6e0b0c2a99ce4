/**
 * Plain float64 reference implementations for the conformance suite: elementwise ops, NumPy
 * broadcasting, reductions and shape ops. They are written from the definitions with
 * multi-index loops, independently of any backend's kernels: clarity over speed.
 * (matmul, softmax, cross-entropy, conv2d and pooling are in reference-nn.ts.)
 */

/** A dense row-major float64 array: the reference values of a tensor. */
export interface Ref {
  /** Dims, row-major; `[]` for a scalar. */
  shape: number[];
  /** The values, row-major; length is the product of `shape`. */
  data: Float64Array;
}

/**
 * Number of elements of `shape` (1 for `[]`).
 * @example sizeOfShape([2, 3])   // 6
 */
export function sizeOfShape(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/**
 * A reference array of `shape` with `values` (zeros when omitted; copied, as float64).
 * @example makeRef([2, 2], [1, 2, 3, 4])
 */
export function makeRef(shape: readonly number[], values?: ArrayLike<number>): Ref {
  const data = new Float64Array(sizeOfShape(shape));
  if (values) data.set(values);
  return { shape: [...shape], data };
}

/**
 * The multi-index of flat position `i` in a row-major `shape`.
 * @example unravel(5, [2, 3])   // [1, 2]
 */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

/**
 * The flat position of multi-index `idx` in a row-major `shape`.
 * @example ravel([1, 2], [2, 3])   // 5
 */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let i = 0;
  for (let d = 0; d < shape.length; d++) i = i * shape[d] + idx[d];
  return i;
}

/**
 * A new array of `shape` whose entry at each multi-index is `f(index)`.
 * @example build([3, 3], ([i, j]) => Number(i === j))   // the 3×3 identity
 */
export function build(shape: readonly number[], f: (idx: number[]) => number): Ref {
  const out = makeRef(shape);
  for (let i = 0; i < out.data.length; i++) out.data[i] = f(unravel(i, shape));
  return out;
}

// ---- Elementwise ----

/**
 * erfc from two methods other than the CPU kernel's: the Maclaurin series of erf for |x| < 2
 * (alternating; terms stay below ~30, so about 15 digits survive), and the Laplace continued
 * fraction erfc(x) = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + 3/2/(x + …)))) for x ≥ 2.
 * @example erfcRef(3)   // ≈ 2.209e-5
 */
export function erfcRef(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < -2) return 2 - erfcRef(-x);
  if (x < 2) return 1 - erfRef(x);
  let f = x;                                    // evaluated bottom-up from depth 80
  for (let n = 80; n >= 1; n--) f = x + n / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/**
 * erf(x) = 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1)) for |x| < 2, else from erfcRef.
 * @example erfRef(0.5)   // ≈ 0.5205
 */
export function erfRef(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (Math.abs(x) >= 2) return x > 0 ? 1 - erfcRef(x) : erfcRef(-x) - 1;
  let power = x;                                // (−1)ⁿ x^(2n+1) / n!
  let total = x;
  for (let n = 1; n < 100; n++) {
    power *= (-x * x) / n;
    const term = power / (2 * n + 1);
    total += term;
    if (Math.abs(term) < 1e-18) break;
  }
  return (2 / Math.sqrt(Math.PI)) * total;
}

/**
 * Exact GELU: x·Φ(x) with Φ(x) = ½ erfc(−x/√2) (no cancellation for negative x).
 * @example geluRef(1)   // ≈ 0.8413
 */
export function geluRef(x: number): number {
  return x * 0.5 * erfcRef(-x / Math.SQRT2);
}

/**
 * Scalar references of the unary ops, by `UnaryOp` name (isnan gives 0 or 1).
 * @example UNARY_REF.sigmoid(0)   // 0.5
 */
export const UNARY_REF: Record<string, (x: number) => number> = {
  neg: (x) => -x,
  abs: (x) => (x < 0 ? -x : x),
  exp: (x) => Math.exp(x),
  log: (x) => Math.log(x),
  sqrt: (x) => Math.sqrt(x),
  square: (x) => x * x,
  relu: (x) => (x > 0 ? x : 0),
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  tanh: (x) => Math.tanh(x),
  gelu: geluRef,
  erf: erfRef,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  isnan: (x) => (Number.isNaN(x) ? 1 : 0),
};

/**
 * `UNARY_REF[op]` applied to every value of x.
 * @example unaryRef('exp', x)
 */
export function unaryRef(op: string, x: Ref): Ref {
  const f = UNARY_REF[op];
  return makeRef(x.shape, x.data.map((v) => f(v)));
}

/**
 * Scalar references of the binary ops, by `BinaryOp` name; comparisons give 0 or 1, `div` is
 * true division (see `floorDivRef` for int32).
 * @example BINARY_REF.pow(2, 3)   // 8
 */
export const BINARY_REF: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => a ** b,
  maximum: (a, b) => Math.max(a, b),
  minimum: (a, b) => Math.min(a, b),
  equal: (a, b) => Number(a === b),
  notEqual: (a, b) => Number(a !== b),
  less: (a, b) => Number(a < b),
  lessEqual: (a, b) => Number(a <= b),
  greater: (a, b) => Number(a > b),
  greaterEqual: (a, b) => Number(a >= b),
};

/**
 * The NumPy broadcast of shapes (right-aligned; a dim of 1 stretches); throws when they do not
 * broadcast.
 * @example broadcastShape([4, 1], [3])   // [4, 3]
 */
export function broadcastShape(...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let d = 0; d < rank; d++) {
    const dims = shapes.map((s) => s[s.length - rank + d] ?? 1);
    const n = dims.find((v) => v !== 1) ?? 1;
    if (dims.some((v) => v !== 1 && v !== n)) throw new Error(`no broadcast of ${dims}`);
    out.push(n);
  }
  return out;
}

/**
 * The entry of `x` that broadcasting puts at output multi-index `idx`.
 * @example broadcastAt(makeRef([1, 3], [7, 8, 9]), [4, 2])   // 9
 */
export function broadcastAt(x: Ref, idx: readonly number[]): number {
  const lead = idx.length - x.shape.length;
  const own = x.shape.map((d, k) => (d === 1 ? 0 : idx[lead + k]));
  return x.data[ravel(own, x.shape)];
}

/**
 * `BINARY_REF[op]` of a and b, broadcasting.
 * @example binaryRef('add', a, b)
 */
export function binaryRef(op: string, a: Ref, b: Ref): Ref {
  const f = BINARY_REF[op];
  return build(broadcastShape(a.shape, b.shape), (i) => f(broadcastAt(a, i), broadcastAt(b, i)));
}

/**
 * Integer division rounds down (toward −∞), as documented for int32 `div`; broadcasting.
 * @example floorDivRef(makeRef([1], [-7]), makeRef([1], [2]))   // [-4]
 */
export function floorDivRef(a: Ref, b: Ref): Ref {
  return build(broadcastShape(a.shape, b.shape),
    (i) => Math.floor(broadcastAt(a, i) / broadcastAt(b, i)));
}

/**
 * cond ≠ 0 ? a : b, the three broadcasting together.
 * @example whereRef(mask, x, makeRef([], [0]))
 */
export function whereRef(cond: Ref, a: Ref, b: Ref): Ref {
  return build(broadcastShape(cond.shape, a.shape, b.shape),
    (i) => (broadcastAt(cond, i) !== 0 ? broadcastAt(a, i) : broadcastAt(b, i)));
}

/**
 * float32: nearest float32; int32: truncation toward zero; float64: unchanged.
 * @example castRef(x, 'int32')
 */
export function castRef(x: Ref, dtype: string): Ref {
  const f = dtype === 'float32' ? Math.fround : dtype === 'int32' ? Math.trunc : (v: number) => v;
  return makeRef(x.shape, x.data.map((v) => f(v)));
}

// ---- Reductions ----

/**
 * Axes as sorted non-negative numbers; `undefined` means all. No range or duplicate checks.
 * @example axesOf(-1, 3)   // [2]
 */
export function axesOf(axis: number | number[] | undefined, rank: number): number[] {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : axis;
  return list.map((a) => (a < 0 ? a + rank : a)).sort((p, q) => p - q);
}

/**
 * Folds the values along `axis` with `fold` (which receives them in row-major order).
 * The reduced dims are dropped, or kept as 1 with `keepDims`.
 * @example reduceRef(x, 1, true, FOLDS.sum)   // x [2, 3] → [2, 1]
 */
export function reduceRef(x: Ref, axis: number | number[] | undefined, keepDims: boolean,
  fold: (values: number[]) => number): Ref {
  const axes = axesOf(axis, x.shape.length);
  const kept = x.shape.map((d, k) => (axes.includes(k) ? 1 : d));
  const groups: number[][] = Array.from({ length: sizeOfShape(kept) }, () => []);
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape).map((v, k) => (axes.includes(k) ? 0 : v));
    groups[ravel(idx, kept)].push(x.data[i]);
  }
  const shape = keepDims ? kept : x.shape.filter((_, k) => !axes.includes(k));
  return makeRef(shape, groups.map(fold));
}

/**
 * Folds for reduceRef. arg folds return the first index of the extreme value.
 * @example FOLDS.argmax([1, 5, 5])   // 1
 */
export const FOLDS: Record<string, (v: number[]) => number> = {
  sum: (v) => v.reduce((s, a) => s + a, 0),
  mean: (v) => v.reduce((s, a) => s + a, 0) / v.length,
  max: (v) => v.reduce((m, a) => (a > m ? a : m), -Infinity),
  min: (v) => v.reduce((m, a) => (a < m ? a : m), Infinity),
  argmax: (v) => v.reduce((best, a, i) => (a > v[best] ? i : best), 0),
  argmin: (v) => v.reduce((best, a, i) => (a < v[best] ? i : best), 0),
  logSumExp: (v) => {
    const m = Math.max(...v);
    if (!Number.isFinite(m)) return m;          // all −∞ (or some +∞)
    return m + Math.log(v.reduce((s, a) => s + Math.exp(a - m), 0));
  },
};

// ---- Shape ops ----

/**
 * x's values under `shape` (a copy; `shape` must hold as many values, no −1).
 * @example reshapeRef(x, [3, 2])
 */
export function reshapeRef(x: Ref, shape: readonly number[]): Ref {
  return makeRef(shape, x.data);
}

/**
 * out[i₀…] = x[i at perm⁻¹]: output dim d is input dim perm[d] (reversed when omitted).
 * @example transposeRef(x, [1, 0])
 */
export function transposeRef(x: Ref, perm?: readonly number[]): Ref {
  const p = perm ?? x.shape.map((_, k) => x.shape.length - 1 - k);
  return build(p.map((a) => x.shape[a]), (idx) => {
    const src = new Array<number>(p.length);
    p.forEach((a, d) => (src[a] = idx[d]));
    return x.data[ravel(src, x.shape)];
  });
}

/**
 * The block of x at `begin` with extent `size` (−1: to the end of that dim).
 * @example sliceRef(x, [0, 1], [-1, 2])
 */
export function sliceRef(x: Ref, begin: readonly number[], size: readonly number[]): Ref {
  const sz = size.map((s, d) => (s === -1 ? x.shape[d] - begin[d] : s));
  return build(sz, (idx) => x.data[ravel(idx.map((v, d) => v + begin[d]), x.shape)]);
}

/**
 * x with `paddings[d]` = [before, after] entries of `value` on each dim d.
 * @example padRef(x, [[1, 1], [0, 2]], 0)
 */
export function padRef(x: Ref, paddings: readonly (readonly [number, number])[], value: number):
  Ref {
  const shape = x.shape.map((d, k) => d + paddings[k][0] + paddings[k][1]);
  return build(shape, (idx) => {
    const src = idx.map((v, k) => v - paddings[k][0]);
    const inside = src.every((v, k) => v >= 0 && v < x.shape[k]);
    return inside ? x.data[ravel(src, x.shape)] : value;
  });
}

/**
 * xs joined along an existing `axis` (negative counts from the end).
 * @example concatRef([a, b], 1)
 */
export function concatRef(xs: readonly Ref[], axis: number): Ref {
  const a = axis < 0 ? axis + xs[0].shape.length : axis;
  const shape = [...xs[0].shape];
  shape[a] = xs.reduce((s, x) => s + x.shape[a], 0);
  return build(shape, (idx) => {
    let k = idx[a];
    let part = 0;
    while (k >= xs[part].shape[a]) k -= xs[part++].shape[a];
    const src = [...idx];
    src[a] = k;
    return xs[part].data[ravel(src, xs[part].shape)];
  });
}

/**
 * Same-shape xs joined along a new `axis` (negative counts from the end of the result).
 * @example stackRef([a, b], 0)
 */
export function stackRef(xs: readonly Ref[], axis: number): Ref {
  const rank = xs[0].shape.length + 1;
  const a = axis < 0 ? axis + rank : axis;
  const shape = [...xs[0].shape.slice(0, a), xs.length, ...xs[0].shape.slice(a)];
  return build(shape, (idx) => {
    const src = [...idx.slice(0, a), ...idx.slice(a + 1)];
    return xs[idx[a]].data[ravel(src, xs[0].shape)];
  });
}

/**
 * out[pre, j…, post] = x[pre, indices[j…], post] along `axis`.
 * @example gatherRef(table, makeRef([2], [3, 0]), 0)   // rows 3 and 0
 */
export function gatherRef(x: Ref, indices: Ref, axis: number): Ref {
  const a = axis < 0 ? axis + x.shape.length : axis;
  const r = indices.shape.length;
  const shape = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)];
  return build(shape, (idx) => {
    const at = indices.data[ravel(idx.slice(a, a + r), indices.shape)];
    return x.data[ravel([...idx.slice(0, a), at, ...idx.slice(a + r)], x.shape)];
  });
}
