/**
 * @dlrt/backend-gpu: importing it registers the 'gpu' backend (gpu.js kernels, float32,
 * device-resident buffers). It also registers 'cpu', whose kernels it uses for host linalg.
 * @example
 * import { setBackend, matmul, randn } from '@dlrt/core';
 * import '@dlrt/backend-gpu';
 * await setBackend('gpu', { mode: 'webgpu' });   // or 'webasm', 'cpu', ... ; default 'auto'
 */
import { registerBackend } from '@dlrt/core';
import { GpuBackend, type GpuBackendOptions } from './gpu-backend.js';

registerBackend('gpu', (options) => GpuBackend.create(options as GpuBackendOptions), 0);

export { GpuBackend, type GpuBackendOptions } from './gpu-backend.js';
export { availableModes, probeWebGPU } from './modes.js';
export {
  GPU_MODE_OPTIONS, GPU_MODES, type GpuMode, type GpuModeOption,
} from './mode-names.js';
export { HOST_MAX, ORTH_TOL, type QrMethod } from './linalg.js';
