// The kernels of @dlrt/backend-wasm; every export takes byte addresses into the imported
// shared memory and allocates nothing (the host owns the memory).
export {
  convGemmF32, convGemmF64, gemmF32, gemmF64, gemmScratchBytes, tileCeilingF32, tileCeilingF64,
} from './gemm';
export { binaryRowF32, unaryF32, whereRowF32 } from './elementwise';
export { col2imF32, col2imF64, im2colF32, im2colF64, swap01 } from './conv';
export { maxPool2x2F32, maxPool2x2F64 } from './pool';
export { copyRows, transposeLast2 } from './layout';
export { applyLeftF64, applyRightF64, leafPassF64, reflectSymmetricF64 } from './reflectors';
export { jacobiSweepF64, rotateRowsF64 } from './rotations';
export { sumLeadingF32, sumMiddleF32, sumRowsF32 } from './reduce';
export { softmaxGradRowsF32, softmaxRowsF32 } from './attention';
export { transcendentalF32 } from './erf';
