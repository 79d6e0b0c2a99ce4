/**
 * Mini-batch helpers for the trainer: shuffled index batches and row gathering.
 *
 * @module
 */

/**
 * Shuffles the indices `0 … count-1` with Fisher–Yates (driven by `rng`) and cuts the
 * permutation into consecutive batches of `batchSize`; the last, partial batch is kept.
 *
 * @param count - Number of items (integer ≥ 0).
 * @param batchSize - Items per batch (integer ≥ 1).
 * @param rng - Uniform generator on [0, 1), e.g. a seeded PRNG.
 * @returns `ceil(count / batchSize)` batches that together hold every index exactly once.
 *
 * @example
 * ```ts
 * const batches = shuffledBatches(10, 4, Math.random); // sizes 4, 4, 2
 * ```
 */
export function shuffledBatches(
  count: number,
  batchSize: number,
  rng: () => number,
): Int32Array[] {
  if (!Number.isInteger(count) || count < 0) {
    throw new Error(`shuffledBatches: count must be an integer >= 0, got ${count}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`shuffledBatches: batchSize must be an integer >= 1, got ${batchSize}`);
  }
  const perm = new Int32Array(count);
  for (let i = 0; i < count; i++) perm[i] = i;
  for (let i = count - 1; i > 0; i--) {
    const j = Math.min(i, Math.floor(rng() * (i + 1)));
    const tmp = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = tmp;
  }
  const batches: Int32Array[] = [];
  for (let start = 0; start < count; start += batchSize) {
    batches.push(perm.slice(start, Math.min(start + batchSize, count)));
  }
  return batches;
}

/**
 * Copies the given rows of a row-major matrix into a new, contiguous matrix.
 *
 * @param src - Row-major matrix with rows of `rowLength` values.
 * @param rowLength - Values per row.
 * @param rows - Row indices to gather, in output order.
 * @returns A `rows.length × rowLength` row-major matrix.
 *
 * @example
 * ```ts
 * gatherRows(new Float32Array([1, 2, 3, 4, 5, 6]), 2, new Int32Array([2, 0]));
 * // Float32Array [5, 6, 1, 2]
 * ```
 */
export function gatherRows(src: Float32Array, rowLength: number, rows: Int32Array): Float32Array {
  const nRows = rowLength > 0 ? Math.floor(src.length / rowLength) : 0;
  const out = new Float32Array(rows.length * rowLength);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    if (row < 0 || row >= nRows) {
      throw new Error(`gatherRows: row ${row} out of range [0, ${nRows})`);
    }
    out.set(src.subarray(row * rowLength, (row + 1) * rowLength), r * rowLength);
  }
  return out;
}
