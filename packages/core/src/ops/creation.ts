/** Creating tensors: from values, constant fills, ranges and seeded random draws. */
import {
  allocArray, assertFloat, assertInt32, type DType, dtypeOf, isDType, type TypedArray,
} from '../dtype.js';
import { runOp } from '../run-op.js';
import { Rng } from '../rng.js';
import { assertShape, fmt, type Shape, sizeOf } from '../shape.js';
import type { NestedArray, Tensor } from '../tensor.js';

/** Nested arrays or flat values accepted by `tensor`. */
export type TensorLike = NestedArray | readonly number[] | TypedArray;

function checkDType(op: string, dtype: unknown): DType {
  if (!isDType(dtype)) throw new Error(`${op}: unknown dtype '${String(dtype)}'`);
  return dtype;
}

function inferShape(op: string, v: NestedArray): number[] {
  if (!Array.isArray(v)) return [];
  if (v.length === 0) return [0];
  const inner = inferShape(op, v[0]);
  for (const item of v) {
    const s = inferShape(op, item);
    if (s.length !== inner.length || s.some((d, i) => d !== inner[i])) {
      throw new Error(`${op}: ragged nested array (${fmt(inner)} vs ${fmt(s)})`);
    }
  }
  return [v.length, ...inner];
}

/**
 * Makes a tensor of `values` (used as is, not copied here; the backend's `write` copies) on
 * the active backend. Throws, naming `op`, when the values do not fill `shape` or, for int32,
 * a value of a float array is not an int32 integer.
 * @example fromValues('myOp', new Float32Array([1, 2, 3, 4]), [2, 2], 'float32')
 */
export function fromValues(op: string, values: TypedArray, shape: Shape, dtype: DType): Tensor {
  assertShape(op, 'shape', shape);
  if (values.length !== sizeOf(shape)) {
    throw new Error(`${op}: ${values.length} values do not fill shape ${fmt(shape)}`);
  }
  if (dtype === 'int32' && !(values instanceof Int32Array)) {
    values.forEach((v, i) => assertInt32(op, v, `at index ${i}`));
  }
  return runOp(op, [], { shape, dtype }, (b) => b.write(values, shape, dtype));
}

/**
 * A tensor from nested arrays (shape inferred) or flat values plus a shape.
 * The dtype defaults to float32, or to the typed array's own type.
 * @example tensor([[1, 2], [3, 4]]); tensor(new Float64Array(6), [2, 3], 'float64');
 */
export function tensor(values: TensorLike, shape?: Shape, dtype?: DType): Tensor {
  const d = checkDType('tensor', dtype ?? (ArrayBuffer.isView(values) ? dtypeOf(values) : 'float32'));
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (ArrayBuffer.isView(values)) {
    flat = values;
    inferred = [values.length];
  } else {
    inferred = inferShape('tensor', values as NestedArray);
    flat = typeof values === 'number' ? [values] : (values as number[]).flat(Infinity) as number[];
  }
  const out = allocArray(d, flat.length);
  for (let i = 0; i < flat.length; i++) {
    const x = flat[i];
    if (typeof x !== 'number') throw new Error(`tensor: value at ${i} is not a number (${x})`);
    if (d === 'int32') assertInt32('tensor', x, `at index ${i}`);
    out[i] = x;
  }
  return fromValues('tensor', out, shape ?? inferred, d);
}

/**
 * A scalar (shape []).
 * @example scalar(0.5); scalar(3, 'int32');
 */
export function scalar(value: number, dtype: DType = 'float32'): Tensor {
  return tensor([value], [], dtype);
}

/**
 * A tensor of `shape` filled with `value` (float32 unless `dtype` is given).
 * @example full([2, 3], -1);
 */
export function full(shape: Shape, value: number, dtype: DType = 'float32'): Tensor {
  return filled('full', shape, value, dtype);
}

/** `full` under the name of the op the user called, for its errors. */
function filled(op: string, shape: Shape, value: number, dtype: DType): Tensor {
  assertShape(op, 'shape', shape);
  if (dtype === 'int32') assertInt32(op, value);
  const v = allocArray(checkDType(op, dtype), sizeOf(shape));
  v.fill(value);
  return fromValues(op, v, shape, dtype);
}

/**
 * A tensor of `shape` filled with 0 (float32 unless `dtype` is given).
 * @example zeros([2, 3]); zeros([4], 'int32');
 */
export function zeros(shape: Shape, dtype: DType = 'float32'): Tensor {
  return filled('zeros', shape, 0, dtype);
}

/**
 * A tensor of `shape` filled with 1 (float32 unless `dtype` is given).
 * @example ones([10], 'float64');
 */
export function ones(shape: Shape, dtype: DType = 'float32'): Tensor {
  return filled('ones', shape, 1, dtype);
}

/**
 * Zeros of x's shape and dtype.
 * @example zerosLike(w);   // e.g. a momentum buffer for w
 */
export function zerosLike(x: Tensor): Tensor {
  return filled('zerosLike', x.shape, 0, x.dtype);
}

/**
 * Ones of x's shape and dtype.
 * @example onesLike(y);
 */
export function onesLike(x: Tensor): Tensor {
  return filled('onesLike', x.shape, 1, x.dtype);
}

/**
 * The n×m identity (m defaults to n): ones on the main diagonal, zeros elsewhere.
 * @example eye(3); eye(4, 2, 'float64');   // 3×3; 4×2
 */
export function eye(n: number, m = n, dtype: DType = 'float32'): Tensor {
  assertShape('eye', 'shape', [n, m]);
  const v = allocArray(checkDType('eye', dtype), n * m);
  for (let i = 0; i < Math.min(n, m); i++) v[i * m + i] = 1;
  return fromValues('eye', v, [n, m], dtype);
}

/**
 * The square matrix with `values` on its diagonal.
 * @example diag([3, 2, 1], 'float64');   // 3×3
 */
export function diag(values: ArrayLike<number>, dtype: DType = 'float32'): Tensor {
  const n = values.length;
  assertShape('diag', 'shape', [n, n]);
  const v = allocArray(checkDType('diag', dtype), n * n);
  for (let i = 0; i < n; i++) {
    if (dtype === 'int32') assertInt32('diag', values[i], `at index ${i}`);
    v[i * n + i] = values[i];
  }
  return fromValues('diag', v, [n, n], dtype);
}

/**
 * Evenly spaced values in [start, stop) (`arange(5)` is 0…4).
 * @example arange(0, 1, 0.25);   // [0, 0.25, 0.5, 0.75]
 */
export function arange(start: number, stop?: number, step = 1, dtype: DType = 'float32'): Tensor {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0 || !Number.isFinite(step) || !Number.isFinite(start) || !Number.isFinite(stop)) {
    throw new Error(`arange: start ${start}, stop ${stop}, step ${step} must be finite, step ≠ 0`);
  }
  const n = Math.max(0, Math.ceil((stop - start) / step));
  assertShape('arange', 'shape', [n]);
  if (checkDType('arange', dtype) === 'int32' && n > 0) {
    assertInt32('arange', start, '(start)');
    assertInt32('arange', step, '(step)');
    assertInt32('arange', start + (n - 1) * step, '(last value)');
  }
  const v = allocArray(dtype, n);
  for (let i = 0; i < n; i++) v[i] = start + i * step;
  return fromValues('arange', v, [n], dtype);
}

/** Where random draws come from: a seed, or a generator shared across calls. */
export interface RandomOptions {
  /** A seed, an integer in [0, 2³²): a fresh `Rng` for this one call. */
  seed?: number;
  /** A generator to draw from (and advance); exactly one of `seed` and `rng` is required. */
  rng?: Rng;
  /** float32 (default) or float64; int32 is an error. */
  dtype?: DType;
}

function generator(op: string, o: RandomOptions): Rng {
  // With both, one would be ignored without a word.
  if (o.rng && o.seed !== undefined) throw new Error(`${op}: pass { seed } or { rng }, not both`);
  if (o.rng) return o.rng;
  if (o.seed === undefined) throw new Error(`${op}: pass { seed } or { rng } (dlrt has no hidden RNG)`);
  return new Rng(o.seed);
}

function draw(op: string, shape: Shape, o: RandomOptions, sample: (r: Rng) => number): Tensor {
  const dtype = checkDType(op, o.dtype ?? 'float32');
  assertFloat(op, 'dtype', dtype);
  assertShape(op, 'shape', shape);
  const r = generator(op, o);
  const v = allocArray(dtype, sizeOf(shape));
  for (let i = 0; i < v.length; i++) v[i] = sample(r);
  return fromValues(op, v, shape, dtype);
}

/**
 * Uniform draws in [low, high).
 * @example rand([2, 3], { seed: 7 });
 */
export function rand(shape: Shape, o: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  const low = o.low ?? 0;
  const high = o.high ?? 1;
  return draw('rand', shape, o, (r) => low + (high - low) * r.uniform());
}

/**
 * Normal draws with mean and standard deviation `std`.
 * @example randn([784, 10], { seed: 1, std: 0.05 });
 */
export function randn(shape: Shape, o: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  const mean = o.mean ?? 0;
  const std = o.std ?? 1;
  return draw('randn', shape, o, (r) => mean + std * r.normal());
}
