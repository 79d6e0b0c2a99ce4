/** Block and tile sizes shared by the GEMM driver (gemm.ts) and kernel sets (gemm-f64/f32.ts). */

/** Rows of C per micro-tile: 3×4 accumulators fit x64's 16 xmm registers (4×4+ spill). */
export const MR = 3;
/** Columns of C per micro-tile. */
export const NR = 4;
/** Depth of one packed k slice; 256·(MR+NR) values of A and B panels stay in L1. */
export const KC = 256;
/** Rows of op(A) per packed block (a multiple of MR; 96×256 float64 = 192 KiB, in L2). */
export const MC = 96;
/** Columns of op(B) per packed block (a multiple of NR). */
export const NC = 512;
