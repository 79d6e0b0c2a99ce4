/**
 * Dense float64 linear-algebra kernels of the cpu backend (row-major contiguous
 * Float64Array in, fresh arrays out). Core's `linalg` API converts float32 tensors to
 * float64, calls these, and rounds back.
 * @example
 * import { linalgKernels } from '@dlrt/backend-cpu';
 * const { q, r } = linalgKernels.qr(a, 1024, 64);
 */
export { qr, type QrResult } from './qr.js';
export { svd, type SvdResult } from './svd.js';
export { eigh, type EighResult } from './eigh.js';
export { cholesky } from './cholesky.js';
export { solveTriangular, type TriangularOptions } from './triangular.js';
export { applyQ, extractR, formQ, qrFactor, type QrFactors } from './qr-factor.js';
