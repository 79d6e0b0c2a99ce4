/** The `linalg` namespace of @dlrt/core. */
export { qr, svd, eigh, cholesky, solveTriangular, orth } from './decompositions.js';
export type { QR, SVD, Eigh } from './decompositions.js';
export { norm, matrixRank } from './norms.js';
