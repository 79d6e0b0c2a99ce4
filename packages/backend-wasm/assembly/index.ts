// The kernels of @dlrt/backend-wasm; every export takes byte addresses into the imported
// shared memory and allocates nothing (the host owns the memory).
export { gemmF32, gemmF64, gemmScratchBytes } from './gemm';

