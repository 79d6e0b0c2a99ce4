// Layout kernels: the batched transpose of the last two axes for 4-byte elements (float32,
// int32), in 4×4 register blocks.
import { transpose4 } from './simd';

/** dst[b][j][i] = src[b][i][j] for `batch` matrices of rows × cols 4-byte elements. */
export function transposeLast2(src: usize, batch: i32, rows: i32, cols: i32, dst: usize): void {
  const srow = <usize>cols << 2, drow = <usize>rows << 2, size = <usize>(rows * cols) << 2;
  for (let b = 0; b < batch; b++) {
    const s = src + <usize>b * size, d = dst + <usize>b * size;
    let i = 0;
    for (; i + 4 <= rows; i += 4) {
      let j = 0;
      for (; j + 4 <= cols; j += 4) {
        const from = s + <usize>i * srow + (<usize>j << 2);
        transpose4(from, srow, d + <usize>j * drow + (<usize>i << 2), drow);
      }
      for (; j < cols; j++) {
        for (let r = i; r < i + 4; r++) {
          const v = load<u32>(s + <usize>r * srow + (<usize>j << 2));
          store<u32>(d + <usize>j * drow + (<usize>r << 2), v);
        }
      }
    }
    for (; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const v = load<u32>(s + <usize>i * srow + (<usize>j << 2));
        store<u32>(d + <usize>j * drow + (<usize>i << 2), v);
      }
    }
  }
}

/**
 * `rows` rows of `bytes` bytes (a multiple of 4) from src to dst, row i at src + i·srcStride
 * and dst + i·dstStride: concat and slice of row-major blocks, whose rows are often a few
 * elements long (a [U | K] of rank-8 bases).
 */
export function copyRows(src: usize, srcStride: usize, rows: i32, bytes: usize, dst: usize,
  dstStride: usize): void {
  for (let i = 0; i < rows; i++) {
    const s = src + <usize>i * srcStride, d = dst + <usize>i * dstStride;
    let o: usize = 0;
    for (; o + 16 <= bytes; o += 16) v128.store(d + o, v128.load(s + o));
    for (; o < bytes; o += 4) store<u32>(d + o, load<u32>(s + o));
  }
}
