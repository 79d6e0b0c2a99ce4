/**
 * @dlrt/backend-wasm: importing it registers the 'wasm' backend, the cpu backend with its
 * storage in a shared WebAssembly.Memory and its GEMM in WebAssembly SIMD. It starts
 * asynchronously: `await setBackend('wasm')`.
 * @example
 * import { setBackend, matmul, randn } from '@dlrt/core';
 * import '@dlrt/backend-wasm';
 * await setBackend('wasm', { threads: 2 });
 */
import { registerBackend } from '@dlrt/core';
import { WasmBackend } from './wasm-backend.js';

// Below cpu: the default backend must start synchronously (getBackend without setBackend).
registerBackend('wasm', (options) => WasmBackend.create(options), 0);

export { WasmBackend, type WasmBackendOptions } from './wasm-backend.js';
export {
  unsupportedReason, compileKernels, WASM_BUILDS, type WasmBuild, type WasmFlavor,
} from './kernels.js';
export { tileCeiling, type TileCeiling, type TileCeilingOptions } from './ceiling.js';
