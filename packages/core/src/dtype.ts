/** Element types a tensor can hold. float32 is the default everywhere. */
export type DType = 'float32' | 'float64' | 'int32';

/** Storage for each dtype: contiguous, row-major. */
export type TypedArray = Float32Array | Float64Array | Int32Array;
/** The floating-point dtypes (what `isFloat` narrows to). */
export type FloatDType = 'float32' | 'float64';

/**
 * Every dtype, in a fixed order.
 * @example DTYPES.includes('int32')   // true
 */
export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32'];

export function isDType(x: unknown): x is DType {
  return x === 'float32' || x === 'float64' || x === 'int32';
}

/**
 * Whether `dtype` is float32 or float64 (a type guard).
 * @example isFloat('int32')   // false
 */
export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype !== 'int32';
}

/**
 * Bytes one element of `dtype` takes: 8 for float64, 4 for float32 and int32.
 * @example bytesPerElement('float64') * x.size   // bytes of a float64 tensor x
 */
export function bytesPerElement(dtype: DType): number {
  return dtype === 'float64' ? 8 : 4;
}

/**
 * A zero-filled array of `n` elements of `dtype`.
 * @example allocArray('int32', 4)   // Int32Array [0, 0, 0, 0]
 */
export function allocArray(dtype: DType, n: number): TypedArray {
  if (dtype === 'float64') return new Float64Array(n);
  if (dtype === 'int32') return new Int32Array(n);
  return new Float32Array(n);
}

/**
 * The dtype that matches a typed array's element type.
 * @example dtypeOf(new Float64Array(3))   // 'float64'
 */
export function dtypeOf(values: TypedArray): DType {
  if (values instanceof Float64Array) return 'float64';
  if (values instanceof Int32Array) return 'int32';
  return 'float32';
}

/** Throws `op: <what> must be a float dtype, got int32` for integer input to float-only ops. */
export function assertFloat(op: string, what: string, dtype: DType): void {
  if (!isFloat(dtype)) throw new Error(`${op}: ${what} must be float32 or float64, got ${dtype}`);
}

/**
 * The smallest int32 value, −2³¹.
 * @example v >= INT32_MIN && v <= INT32_MAX   // v fits an int32 tensor (if an integer)
 */
export const INT32_MIN = -(2 ** 31);
/**
 * The largest int32 value, 2³¹ − 1.
 * @example Math.min(count, INT32_MAX)
 */
export const INT32_MAX = 2 ** 31 - 1;

/**
 * Throws unless `v` is an integer in the int32 range: storing anything else in an int32 tensor
 * would truncate or wrap it without a word. `where` says which value (e.g. `at index 3`).
 */
export function assertInt32(op: string, v: number, where = ''): void {
  if (!(Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX)) {
    const why = Number.isInteger(v) ? `is outside [${INT32_MIN}, ${INT32_MAX}]`
      : 'is not an integer';
    throw new Error(`${op}: int32 value ${v}${where ? ` ${where}` : ''} ${why}`);
  }
}
