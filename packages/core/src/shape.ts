/** Shapes, strides, axes and NumPy broadcasting: pure functions on number arrays. */

/** A tensor's dims, outermost first (row-major); `[]` is a scalar. */
export type Shape = readonly number[];

/**
 * Number of elements of a shape (1 for a scalar `[]`).
 * @example sizeOf([2, 3, 4])   // 24
 */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Row-major strides of a contiguous tensor, in elements.
 * @example stridesOf([2, 3, 4])   // [12, 4, 1]
 */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/**
 * Whether two shapes have the same rank and dims.
 * @example shapesEqual(x.shape, [2, 3])
 */
export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function fmt(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/**
 * The most elements one tensor may hold: 2³⁰ (4 GiB of float32, 8 GiB of float64). Every
 * backend indexes a tensor with 32-bit integers, a wasm32 memory holds at most 4 GiB, and a
 * larger request is almost always a mistake that would otherwise stall for minutes while the
 * array is zero-filled; so it fails at once, naming the op and the shape.
 * @example sizeOf(shape) <= MAX_ELEMENTS   // whether a tensor of `shape` can be made
 */
export const MAX_ELEMENTS = 2 ** 30;

/** Throws `op: what [..] must hold non-negative integers` or names a size over MAX_ELEMENTS. */
export function assertShape(op: string, what: string, shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(`${op}: ${what} ${fmt(shape)} must hold non-negative integers`);
    }
  }
  assertSize(op, shape);
}

/** Throws `op: shape [..] has N elements, more than the limit 2^30` when it is too large. */
export function assertSize(op: string, shape: Shape): void {
  const n = sizeOf(shape);
  if (n > MAX_ELEMENTS) {
    throw new Error(`${op}: shape ${fmt(shape)} has ${n} elements, more than the limit ` +
      `${MAX_ELEMENTS} (2^30) of one tensor`);
  }
}

/**
 * NumPy broadcast of two shapes (right-aligned; a dim of 1 stretches). Throws
 * `op: shapes [2,3] and [4] do not broadcast (dim 1 of the result: 3 vs 4)`.
 * @example broadcastShapes('add', [8, 1, 3], [5, 1])   // [8, 5, 3]
 */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(
        `${op}: shapes ${fmt(a)} and ${fmt(b)} do not broadcast ` +
          `(dim ${i} of the result: ${da} vs ${db})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Resolves a possibly negative axis against `rank`; throws naming the op. */
export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank) {
    throw new Error(`${op}: axis ${axis} is out of range for rank ${rank}`);
  }
  return a;
}

/** Sorted, unique, non-negative axes; `undefined` means all axes. */
export function normAxes(op: string, axes: number | readonly number[] | undefined,
  rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  const out = [...new Set(list.map((a) => normAxis(op, a, rank)))].sort((x, y) => x - y);
  if (out.length !== list.length) throw new Error(`${op}: repeated axis in [${list}]`);
  return out;
}

/** The shape after reducing `axes`, keeping them as 1 when `keepDims`. */
export function reducedShape(shape: Shape, axes: readonly number[], keepDims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepDims) out.push(1);
  });
  return out;
}

/** Checks that `perm` is a permutation of 0..rank-1. */
export function checkPerm(op: string, perm: readonly number[], rank: number): void {
  const seen = new Set(perm);
  const bad = (p: number): boolean => !(Number.isInteger(p) && p >= 0 && p < rank);
  if (perm.length !== rank || seen.size !== rank || perm.some(bad)) {
    throw new Error(`${op}: perm [${perm}] is not a permutation of rank ${rank}`);
  }
}
