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

export { CpuBackend, type CpuBackendOptions } from './cpu-backend.js';
export { toNdarray, fromNdarray } from './ndarray.js';
export { gemm } from './kernels/gemm.js';
export type { FloatArray, GemmArgs } from './kernels/gemm-types.js';
export { ThreadPool, allocShared } from './threads/pool.js';
export { startWorker } from './threads/start-worker.js';
export * as linalgKernels from './linalg/index.js';
