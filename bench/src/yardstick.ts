/**
 * A machine-speed yardstick for the matmul suite: the straightforward 4×4 register-tiled
 * float64 kernel that issue 2 quotes ("about 5.5 GFLOP/s here" when it was written). It has no
 * packing and no cache blocking, so its speed tracks the VM's current phase rather than any
 * tuning of ours; dlrt's GFLOP/s divided by it is comparable across runs on a noisy host. Read
 * it on shapes whose B fits in cache (128², 256², n = 32): from 512² on, each tile walks a column
 * of B through memory and the yardstick measures the memory system instead.
 */

/** C (m×n) = op(A)·B, row-major; A is m×k, or k×m with `transA`. m and n multiples of 4. */
export function yardstickMatmul(a: Float64Array, b: Float64Array, c: Float64Array,
  m: number, k: number, n: number, transA: boolean): void {
  if (m % 4 !== 0 || n % 4 !== 0) {
    throw new Error(`yardstickMatmul: m and n must be multiples of 4, got m=${m}, n=${n}`);
  }
  // Stride of A between rows (i) and between columns (p) of op(A).
  const si = transA ? 1 : k, sp = transA ? m : 1;
  for (let i = 0; i < m; i += 4) {
    for (let j = 0; j < n; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let p = 0; p < k; p++) {
        const ap = i * si + p * sp, bp = p * n + j;
        const a0 = a[ap], a1 = a[ap + si], a2 = a[ap + 2 * si], a3 = a[ap + 3 * si];
        const b0 = b[bp], b1 = b[bp + 1], b2 = b[bp + 2], b3 = b[bp + 3];
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
      }
      let o = i * n + j;
      c[o] = c00; c[o + 1] = c01; c[o + 2] = c02; c[o + 3] = c03; o += n;
      c[o] = c10; c[o + 1] = c11; c[o + 2] = c12; c[o + 3] = c13; o += n;
      c[o] = c20; c[o + 1] = c21; c[o + 2] = c22; c[o + 3] = c23; o += n;
      c[o] = c30; c[o + 1] = c31; c[o + 2] = c32; c[o + 3] = c33;
    }
  }
}
