/**
 * @dlrt/backend-cpu: importing it registers the 'cpu' backend (the default unless a
 * higher-priority backend is registered).
 * @example
 * import { setBackend, matmul, randn } from '@dlrt/core';
 * import '@dlrt/backend-cpu';
 * await setBackend('cpu', { threads: 2 });
 */
import { registerBackend } from '@dlrt/core';
import { CpuBackend } from './cpu-backend.js';

registerBackend('cpu', (options) => new CpuBackend(options), 1);

export { CpuBackend, type CpuBackendOptions, type CpuSeam } from './cpu-backend.js';
export { toNdarray, fromNdarray } from './ndarray.js';
export { gemm, gemmStrided, type StridedGemm } from './kernels/gemm.js';
export type { GemmRunner } from './kernels/matmul.js';
export {
  col2im, im2col, swap01, type ConvKernels, type Geometry as ConvGeometry,
  type ImplicitConv,
} from './kernels/conv.js';
export { broadcastStrides, forEachRow } from './kernels/broadcast.js';
export type { FloatArray, GemmArgs } from './kernels/gemm-types.js';
export { ThreadPool, allocShared, type PoolOptions } from './threads/pool.js';
export { servePool } from './threads/serve.js';
export { startWorker } from './threads/start-worker.js';
export * as linalgKernels from './linalg/index.js';
export { type LinalgInner, tsInner, withLinalgInner } from './linalg/inner.js';
export {
  type AttentionShapes, attentionShapes, keyEnd, kvHead, noKey,
} from './kernels/attention.js';
