import type { DType, TypedArray } from './dtype.js';
import type { Shape } from './shape.js';

/** A backend's opaque handle to a tensor's storage. Core never looks inside. */
export type DataId = object;

/** What a kernel receives for each tensor input: the storage plus its shape and dtype. */
export interface TensorInfo {
  /** The backend's handle to the storage. */
  readonly dataId: DataId;
  /** Dims, row-major; `[]` for a scalar. */
  readonly shape: Shape;
  /** Element type of the storage. */
  readonly dtype: DType;
}

/** Names of the elementwise unary kernels (`Backend.unary`). */
export type UnaryOp =
  | 'neg' | 'abs' | 'exp' | 'log' | 'sqrt' | 'square' | 'relu' | 'sigmoid' | 'tanh'
  | 'gelu' | 'erf' | 'sign' | 'isnan';

/**
 * Every `UnaryOp`, in a fixed order (for backends and tests that iterate over them).
 * @example UNARY_OPS.includes('gelu')   // true
 */
export const UNARY_OPS: readonly UnaryOp[] = [
  'neg', 'abs', 'exp', 'log', 'sqrt', 'square', 'relu', 'sigmoid', 'tanh', 'gelu', 'erf', 'sign',
  'isnan',
];

/** Binary kernels whose result keeps the operands' dtype. */
export type ArithmeticOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';
/** Binary comparison kernels; they return an int32 mask of 0 and 1. */
export type CompareOp = 'equal' | 'notEqual' | 'less' | 'lessEqual' | 'greater' | 'greaterEqual';
/** Every kernel of `Backend.binary`. */
export type BinaryOp = ArithmeticOp | CompareOp;

/** Reduction kernels of `Backend.reduce`; argmax and argmin return int32 indices. */
export type ReduceOp = 'sum' | 'max' | 'min' | 'argmax' | 'argmin';

/** Transpose flags of `matmul`: each operand's last two dims may be read transposed. */
export interface MatmulOptions {
  /** Use Aᵀ: a's last two dims are read as [k, m]. */
  transposeA?: boolean;
  /** Use Bᵀ: b's last two dims are read as [n, k]. */
  transposeB?: boolean;
}

/** Normalized 2-D convolution attributes (NCHW input, OIHW filter). */
export interface Conv2dAttrs {
  /** Step of the window, [height, width], each ≥ 1. */
  readonly stride: readonly [number, number];
  /** Zeros added on both sides of the input, [height, width]. */
  readonly padding: readonly [number, number];
  /** Spacing between the filter taps, [height, width], each ≥ 1 (1: contiguous). */
  readonly dilation: readonly [number, number];
}

/** Normalized 2-D pooling attributes (NCHW). */
export interface Pool2dAttrs {
  /** Window size, [height, width]. */
  readonly kernel: readonly [number, number];
  /** Step of the window, [height, width]. */
  readonly stride: readonly [number, number];
  /** Implicit padding on both sides, [height, width]; at most half the window. */
  readonly padding: readonly [number, number];
}

/**
 * Normalized attention attributes: softmax(scale·Q Kᵀ + mask) V per head, where query head h
 * reads key/value head ⌊h / groups⌋; `causal` lets query i see keys j ≤ i + Nk − Nq (aligned
 * at the end, as a KV cache decodes).
 */
export interface AttentionAttrs {
  /** Multiplies Q Kᵀ (core passes 1/√d unless the caller set it). */
  readonly scale: number;
  /** Whether query i may see only keys j ≤ i + Nk − Nq. */
  readonly causal: boolean;
  /** Query heads per key/value head, H / Hkv (1: multi-head, H: multi-query). */
  readonly groups: number;
}

/** Options of the triangular solve op(A)·X = B. */
export interface TriangularOptions {
  /** A is lower triangular (else upper). */
  lower: boolean;
  /** Solve Aᵀ·X = B. */
  transpose?: boolean;
  /** Treat A's diagonal as ones. */
  unitDiagonal?: boolean;
}

/** What `Backend.memory()` reports beyond core's own counts. */
export interface BackendMemory {
  /** Bytes the backend holds outside tensors (scratch, pools). */
  scratchBytes?: number;
  /** The most scratch its kernels have held at once, in bytes (where the backend counts it). */
  peakScratchBytes?: number;
}

/**
 * The contract between core and a backend: a small set of primitive kernels.
 * Core validates inputs and infers the output shape and dtype before it calls a kernel,
 * so kernels may assume well-formed input. Each kernel returns fresh storage.
 */
export interface Backend {
  /** The name the backend is registered under (e.g. 'cpu'). */
  readonly name: string;

  /** Copies `values` into new storage. */
  write(values: TypedArray, shape: Shape, dtype: DType): DataId;
  /** A copy of the values, row-major. Backends that cannot read synchronously throw. */
  readSync(x: TensorInfo): TypedArray;
  /** A copy of the values, row-major, read asynchronously (every backend supports it). */
  read(x: TensorInfo): Promise<TypedArray>;
  /** Frees the storage; core calls it once, when no tensor references `dataId` any more. */
  disposeData(dataId: DataId): void;
  /** Scratch memory the backend holds outside tensors, for `memory()`. */
  memory?(): BackendMemory;
  /** Releases threads, devices and other resources of the backend. */
  close?(): Promise<void>;

  /** Elementwise; 'isnan' returns int32, the others keep x's dtype. */
  unary(op: UnaryOp, x: TensorInfo): DataId;
  /** Elementwise with NumPy broadcasting to `outShape`; compare ops return int32 0/1. */
  binary(op: BinaryOp, a: TensorInfo, b: TensorInfo, outShape: Shape): DataId;
  /** cond ≠ 0 ? a : b, broadcast to `outShape`; a and b share a dtype. */
  where(cond: TensorInfo, a: TensorInfo, b: TensorInfo, outShape: Shape): DataId;
  /** Reduces the sorted, non-empty `axes` away (no kept dims); argmax/argmin: one axis, int32. */
  reduce(op: ReduceOp, x: TensorInfo, axes: readonly number[]): DataId;
  /** x converted to `dtype`; float → int32 truncates toward zero (core checked the range). */
  cast(x: TensorInfo, dtype: DType): DataId;

  /** Output dim d is input dim `perm[d]`. */
  transpose(x: TensorInfo, perm: readonly number[]): DataId;
  /** The block of x starting at `begin` with extent `size` (in bounds, no −1). */
  slice(x: TensorInfo, begin: readonly number[], size: readonly number[]): DataId;
  /** x with `paddings[d]` = [before, after] entries of `value` added on each dim d. */
  pad(x: TensorInfo, paddings: readonly (readonly [number, number])[], value: number): DataId;
  /** xs joined along `axis` (non-negative); the other dims and the dtype match. */
  concat(xs: readonly TensorInfo[], axis: number): DataId;
  /** Takes entries of x along `axis` at int32 `indices` (any shape, values in range). */
  gather(x: TensorInfo, indices: TensorInfo, axis: number): DataId;
  /** The adjoint of gather: zeros of `outShape` with `updates` added at `indices` on `axis`. */
  scatterAdd(updates: TensorInfo, indices: TensorInfo, axis: number, outShape: Shape): DataId;

  /** Batched product over leading dims, which broadcast; `outShape` is [...batch, m, n]. */
  matmul(a: TensorInfo, b: TensorInfo, opts: MatmulOptions, outShape: Shape): DataId;

  /** Cross-correlation of x [N, C, H, W] with w [O, C, kh, kw]; `outShape` is [N, O, H', W']. */
  conv2d(x: TensorInfo, w: TensorInfo, attrs: Conv2dAttrs, outShape: Shape): DataId;
  /** dL/dx of `conv2d` for dy [N, O, H', W']: an array of `xShape`. */
  conv2dBackpropInput(dy: TensorInfo, w: TensorInfo, attrs: Conv2dAttrs, xShape: Shape): DataId;
  /** dL/dw of `conv2d` for dy [N, O, H', W']: an array of `wShape`. */
  conv2dBackpropFilter(x: TensorInfo, dy: TensorInfo, attrs: Conv2dAttrs, wShape: Shape): DataId;
  /** Max over each window of x [N, C, H, W]; padded positions never win. */
  maxPool2d(x: TensorInfo, attrs: Pool2dAttrs, outShape: Shape): DataId;
  /** Routes dy to the arg-max of each window of x (first max on ties). */
  maxPool2dBackprop(dy: TensorInfo, x: TensorInfo, attrs: Pool2dAttrs): DataId;
  /** Average over the window's in-bounds elements (padding excluded from the count). */
  avgPool2d(x: TensorInfo, attrs: Pool2dAttrs, outShape: Shape): DataId;
  /** Spreads each dy entry evenly over its window's in-bounds elements (array of `xShape`). */
  avgPool2dBackprop(dy: TensorInfo, attrs: Pool2dAttrs, xShape: Shape): DataId;

  /**
   * Attention over q [B, H, Nq, d], k [B, H/groups, Nk, d], v [B, H/groups, Nk, dv], with an
   * optional additive mask [Nq, Nk]: the output [B, H, Nq, dv]. Kernels should not build the
   * Nq×Nk matrix (the cpu kernel keeps O(Nq·dv) extra memory).
   */
  attention(q: TensorInfo, k: TensorInfo, v: TensorInfo, mask: TensorInfo | null,
    attrs: AttentionAttrs): DataId;
  /** The gradients of `attention` for dy [B, H, Nq, dv], given its output y. */
  attentionBackward(q: TensorInfo, k: TensorInfo, v: TensorInfo, mask: TensorInfo | null,
    y: TensorInfo, dy: TensorInfo, attrs: AttentionAttrs): {
    /** dL/dq, shaped like q. */
    dq: DataId;
    /** dL/dk, shaped like k (summed over the query heads that share it). */
    dk: DataId;
    /** dL/dv, shaped like v (summed over the query heads that share it). */
    dv: DataId;
  };

  // Dense linear algebra on the last two dims (leading dims are a batch). Core has checked
  // the input is finite and of float dtype.
  /** Thin QR: q [..., m, k] with orthonormal columns, r [..., k, n], k = min(m, n). */
  qr(a: TensorInfo): {
    /** Q, shape (..., m, k), with orthonormal columns. */
    q: DataId;
    /** R, shape (..., k, n), upper triangular. */
    r: DataId;
  };
  /** Thin SVD a = u·diag(s)·vᵀ: u [..., m, k], s [..., k] descending, v [..., n, k]. */
  svd(a: TensorInfo): {
    /** Left singular vectors, shape (..., m, k), orthonormal columns. */
    u: DataId;
    /** Singular values, shape (..., k), descending and ≥ 0. */
    s: DataId;
    /** Right singular vectors, shape (..., n, k), orthonormal columns (not transposed). */
    v: DataId;
  };
  /** Symmetric eigendecomposition: values [..., n] ascending, vectors [..., n, n] as columns. */
  eigh(a: TensorInfo): {
    /** Eigenvalues, shape (..., n), ascending. */
    values: DataId;
    /** Eigenvectors as columns, shape (..., n, n), orthonormal; column i goes with value i. */
    vectors: DataId;
  };
  /** Lower-triangular L with a = L·Lᵀ; throws naming `cholesky` if a is not positive definite. */
  cholesky(a: TensorInfo): DataId;
  /** X with op(a)·X = b, a [..., n, n] triangular, b [..., n, k]. */
  solveTriangular(a: TensorInfo, b: TensorInfo, o: TriangularOptions): DataId;
}
