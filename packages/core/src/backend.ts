import type { DType, TypedArray } from './dtype.js';
import type { Shape } from './shape.js';

/** A backend's opaque handle to a tensor's storage. Core never looks inside. */
export type DataId = object;

/** What a kernel receives for each tensor input: the storage plus its shape and dtype. */
export interface TensorInfo {
  readonly dataId: DataId;
  readonly shape: Shape;
  readonly dtype: DType;
}

export type UnaryOp =
  | 'neg' | 'abs' | 'exp' | 'log' | 'sqrt' | 'square' | 'relu' | 'sigmoid' | 'tanh'
  | 'gelu' | 'erf' | 'sign' | 'isnan';

export const UNARY_OPS: readonly UnaryOp[] = [
  'neg', 'abs', 'exp', 'log', 'sqrt', 'square', 'relu', 'sigmoid', 'tanh', 'gelu', 'erf', 'sign',
  'isnan',
];

export type ArithmeticOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';
export type CompareOp = 'equal' | 'notEqual' | 'less' | 'lessEqual' | 'greater' | 'greaterEqual';
export type BinaryOp = ArithmeticOp | CompareOp;

export type ReduceOp = 'sum' | 'max' | 'min' | 'argmax' | 'argmin';

export interface MatmulOptions {
  /** Use Aᵀ: a's last two dims are read as [k, m]. */
  transposeA?: boolean;
  /** Use Bᵀ: b's last two dims are read as [n, k]. */
  transposeB?: boolean;
}

/** Normalized 2-D convolution attributes (NCHW input, OIHW filter). */
export interface Conv2dAttrs {
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
}

/** Normalized 2-D pooling attributes (NCHW). */
export interface Pool2dAttrs {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
}

/**
 * Normalized attention attributes: softmax(scale·Q Kᵀ + mask) V per head, where query head h
 * reads key/value head ⌊h / groups⌋; `causal` lets query i see keys j ≤ i + Nk − Nq (aligned
 * at the end, as a KV cache decodes).
 */
export interface AttentionAttrs {
  readonly scale: number;
  readonly causal: boolean;
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
  readonly name: string;

  /** Copies `values` into new storage. */
  write(values: TypedArray, shape: Shape, dtype: DType): DataId;
  /** A copy of the values, row-major. Backends that cannot read synchronously throw. */
  readSync(x: TensorInfo): TypedArray;
  read(x: TensorInfo): Promise<TypedArray>;
  disposeData(dataId: DataId): void;
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
  cast(x: TensorInfo, dtype: DType): DataId;

  transpose(x: TensorInfo, perm: readonly number[]): DataId;
  slice(x: TensorInfo, begin: readonly number[], size: readonly number[]): DataId;
  pad(x: TensorInfo, paddings: readonly (readonly [number, number])[], value: number): DataId;
  concat(xs: readonly TensorInfo[], axis: number): DataId;
  /** Takes entries of x along `axis` at int32 `indices` (any shape, values in range). */
  gather(x: TensorInfo, indices: TensorInfo, axis: number): DataId;
  /** The adjoint of gather: zeros of `outShape` with `updates` added at `indices` on `axis`. */
  scatterAdd(updates: TensorInfo, indices: TensorInfo, axis: number, outShape: Shape): DataId;

  /** Batched product over leading dims, which broadcast; `outShape` is [...batch, m, n]. */
  matmul(a: TensorInfo, b: TensorInfo, opts: MatmulOptions, outShape: Shape): DataId;

  conv2d(x: TensorInfo, w: TensorInfo, attrs: Conv2dAttrs, outShape: Shape): DataId;
  conv2dBackpropInput(dy: TensorInfo, w: TensorInfo, attrs: Conv2dAttrs, xShape: Shape): DataId;
  conv2dBackpropFilter(x: TensorInfo, dy: TensorInfo, attrs: Conv2dAttrs, wShape: Shape): DataId;
  maxPool2d(x: TensorInfo, attrs: Pool2dAttrs, outShape: Shape): DataId;
  /** Routes dy to the arg-max of each window of x (first max on ties). */
  maxPool2dBackprop(dy: TensorInfo, x: TensorInfo, attrs: Pool2dAttrs): DataId;
  /** Average over the window's in-bounds elements (padding excluded from the count). */
  avgPool2d(x: TensorInfo, attrs: Pool2dAttrs, outShape: Shape): DataId;
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
    y: TensorInfo, dy: TensorInfo, attrs: AttentionAttrs): { dq: DataId; dk: DataId; dv: DataId };

  // Dense linear algebra on the last two dims (leading dims are a batch). Core has checked
  // the input is finite and of float dtype.
  /** Thin QR: q [..., m, k] with orthonormal columns, r [..., k, n], k = min(m, n). */
  qr(a: TensorInfo): { q: DataId; r: DataId };
  /** Thin SVD a = u·diag(s)·vᵀ: u [..., m, k], s [..., k] descending, v [..., n, k]. */
  svd(a: TensorInfo): { u: DataId; s: DataId; v: DataId };
  /** Symmetric eigendecomposition: values [..., n] ascending, vectors [..., n, n] as columns. */
  eigh(a: TensorInfo): { values: DataId; vectors: DataId };
  /** Lower-triangular L with a = L·Lᵀ; throws naming `cholesky` if a is not positive definite. */
  cholesky(a: TensorInfo): DataId;
  /** X with op(a)·X = b, a [..., n, n] triangular, b [..., n, k]. */
  solveTriangular(a: TensorInfo, b: TensorInfo, o: TriangularOptions): DataId;
}
