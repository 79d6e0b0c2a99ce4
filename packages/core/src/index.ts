/**
 * @dlrt/core: tensors, ops with gradients, the backend contract and registry, memory scopes,
 * seeded randomness. Import a backend (e.g. '@dlrt/backend-cpu') to run anything.
 */
export type { DType, FloatDType, TypedArray } from './dtype.js';
export {
  allocArray, bytesPerElement, dtypeOf, isFloat, DTYPES, INT32_MAX, INT32_MIN,
} from './dtype.js';
export type { Shape } from './shape.js';
export { broadcastShapes, MAX_ELEMENTS, sizeOf, stridesOf, shapesEqual } from './shape.js';
export type {
  ArithmeticOp, AttentionAttrs, Backend, BackendMemory, BinaryOp, CompareOp, Conv2dAttrs, DataId, MatmulOptions,
  Pool2dAttrs, ReduceOp, TensorInfo, UnaryOp,
} from './backend.js';
export { UNARY_OPS } from './backend.js';
export type { BackendFactory, MemoryInfo } from './engine.js';
export {
  registerBackend, setBackend, getBackend, listBackends, closeBackends,
} from './registry.js';
export { Tensor, Variable } from './tensor.js';
export type { AssignOptions, NestedArray, VariableOptions } from './tensor.js';
export { tidy, keep, dispose, memory } from './scope.js';
export { grad, valueAndGrads, variableGrads } from './autodiff.js';
export { Rng, type RngState } from './rng.js';
export { customOp, runOp } from './run-op.js';
export type { GradFn } from './run-op.js';

export * from './ops/creation.js';
export * from './ops/arithmetic.js';
export * from './ops/unary.js';
export * from './ops/reduce.js';
export * from './ops/shape-ops.js';
export * from './ops/matmul.js';
export * from './ops/softmax.js';
export * from './ops/attention.js';
export * from './ops/conv.js';
export * as linalg from './linalg/index.js';
export type { TriangularOptions } from './backend.js';
export type { QR, SVD, Eigh } from './linalg/index.js';
export {
  LowRankMatrix, type MatrixFactors, augmentFactors, truncateFactors,
} from './manifolds/low-rank-matrix.js';
export {
  TuckerTensor, modeProduct, unfold, fold, partialHosvd,
} from './manifolds/tucker-tensor.js';
export {
  type AxisChange, type AxisTransform, basisTransforms, changeBasis,
} from './manifolds/basis-change.js';
export {
  type Truncation, type TruncationContext, type TruncationRule, truncationRank, truncateValues,
  tailNorms,
} from './manifolds/truncation.js';
