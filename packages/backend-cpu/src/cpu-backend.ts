/** The pure-TypeScript CPU backend: contiguous row-major typed arrays and plain kernels. */
import type {
  AttentionAttrs, Backend, BackendMemory, BinaryOp, Conv2dAttrs, DataId, DType, MatmulOptions, Pool2dAttrs, ReduceOp, Shape,
  TensorInfo, TriangularOptions, TypedArray, UnaryOp,
} from '@dlrt/core';
import { allocArray, sizeOf } from '@dlrt/core';
import {
  col2im, type ConvKernels, conv2d, conv2dBackpropFilter, conv2dBackpropInput, im2col, swap01,
} from './kernels/conv.js';
import {
  attentionBackward, attentionForward, attentionShapes, type Scratch,
} from './kernels/attention.js';
import * as ew from './kernels/elementwise.js';
import { gemm } from './kernels/gemm.js';
import type { FloatArray, GemmArgs } from './kernels/gemm-types.js';
import * as layout from './kernels/layout.js';
import { batchMatmul, type GemmRunner } from './kernels/matmul.js';
import * as pool from './kernels/pool.js';
import { reduce } from './kernels/reduce.js';
import { type MatrixKernel, perMatrix } from './kernels/linalg-batch.js';
import * as la from './linalg/index.js';
import { allocShared, ThreadPool } from './threads/pool.js';

/** Options of `setBackend('cpu', options)`. */
export interface CpuBackendOptions {
  /** Threads for large kernels, counting the calling thread (1 = no workers). Default 1. */
  threads?: number;
}

/**
 * What a backend built on this one replaces (backend-wasm does): where results are stored and
 * how a GEMM runs. Every other kernel stays the cpu backend's.
 */
export interface CpuSeam {
  /** Threads the seam's kernels use, counting the calling thread. */
  readonly threads: number;
  /** Runs one GEMM (matmul and the convolutions' products). */
  gemm: GemmRunner;
  /**
   * Storage for `n` elements of a result or a kernel's scratch: zeroed, unless `zeroed` is
   * false (the kernel then writes every element).
   */
  alloc(dtype: DType, n: number, zeroed?: boolean): TypedArray;
  /** Storage `alloc` gave that is no longer used (freed data and finished scratch). */
  release(values: TypedArray): void;
  /** Releases the seam's threads and memory. */
  close(): Promise<void>;
  /** The convolutions' patch gathering and its adjoint (default: the TS kernels). */
  im2col?: ConvKernels['im2col'];
  /** The adjoint of `im2col`: adds patch entries back onto the images (default: the TS one). */
  col2im?: ConvKernels['col2im'];
  /** The [A, N, B] ↔ [N, A, B] block swap between NCHW and the batched GEMM layout. */
  swap01?: ConvKernels['swap01'];
  /** The convolutions' passes as implicit GEMMs (default: none). */
  implicit?: ConvKernels['implicit'];
}

/** The cpu backend's storage: one typed array per buffer. */
class CpuData {
  constructor(readonly values: TypedArray) {}
}

function values(x: TensorInfo): TypedArray {
  if (!(x.dataId instanceof CpuData)) {
    throw new Error('cpu: this tensor belongs to another backend');
  }
  return x.dataId.values;
}

function floats(x: TensorInfo): FloatArray {
  const v = values(x);
  if (v instanceof Int32Array) throw new Error(`cpu: expected a float tensor, got ${x.dtype}`);
  return v;
}

/**
 * The 'cpu' backend: TS kernels on typed arrays; with `threads` > 1 the large GEMMs (matmul
 * and the convolutions) run on a worker-thread pool over shared memory. Throws unless threads
 * is an integer in [1, 256].
 * @example
 * import { setBackend } from '@dlrt/core';
 * import '@dlrt/backend-cpu';
 * await setBackend('cpu', { threads: 2 });
 */
export class CpuBackend implements Backend {
  readonly name: string = 'cpu';
  /** Threads the GEMMs use, counting the calling thread (the seam's, when one is given). */
  readonly threads: number;
  private readonly pool: ThreadPool | null;
  private readonly seam: CpuSeam | null;

  /** `seam` is for backends built on this one; users pass only options. */
  constructor(options: CpuBackendOptions = {}, seam?: CpuSeam) {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
      throw new Error(`setBackend('cpu'): threads must be an integer in [1, 256], got ${threads}`);
    }
    this.seam = seam ?? null;
    this.threads = seam ? seam.threads : threads;
    this.pool = !seam && threads > 1 ? new ThreadPool(threads) : null;
  }

  private readonly runGemm = (args: GemmArgs): void => {
    if (this.seam) this.seam.gemm(args);
    else if (this.pool) this.pool.gemm(args);
    else gemm(args);
  };

  /**
   * Storage for the results of the TS kernels that allocate their own: the seam's when there
   * is one (a wasm backend keeps every tensor in its memory), else a plain typed array.
   */
  private readonly kernelOut = (dtype: DType, n: number): TypedArray =>
    this.seam ? this.out(dtype, n) : allocArray(dtype, n);

  private scratchBytes = 0;
  private peakScratchBytes = 0;

  /** Runs `kernel` with counted float64 scratch, released when it returns. */
  private counted<R>(kernel: (scratch: Scratch) => R): R {
    let taken = 0;
    try {
      return kernel((n) => {
        taken += 8 * n;
        this.take(8 * n);
        return new Float64Array(n);
      });
    } finally {
      this.scratchBytes -= taken;
    }
  }

  private take(bytes: number): void {
    this.scratchBytes += bytes;
    this.peakScratchBytes = Math.max(this.peakScratchBytes, this.scratchBytes);
  }

  /** Runs `fn`, counting `bytes` of scratch it holds meanwhile (a subclass's own kernels). */
  protected holdingScratch<R>(bytes: number, fn: () => R): R {
    this.take(bytes);
    try {
      return fn();
    } finally {
      this.scratchBytes -= bytes;
    }
  }

  /** The scratch the counted kernels (attention) hold now and have held at most. */
  memory(): BackendMemory {
    return { scratchBytes: this.scratchBytes, peakScratchBytes: this.peakScratchBytes };
  }

  /** The typed array holding x's values (a subclass's kernels read it in place). */
  protected storage(x: TensorInfo): TypedArray {
    return values(x);
  }

  /** A DataId for `v`, which the backend now owns. */
  protected wrap(v: TypedArray): DataId {
    return new CpuData(v);
  }

  /** Storage for a result: on a SharedArrayBuffer when threads > 1, so the pool needs no copy. */
  protected out(dtype: DType, n: number, zeroed = true): TypedArray {
    if (this.seam) return this.seam.alloc(dtype, n, zeroed);
    return this.pool ? allocShared(dtype, n) : allocArray(dtype, n);
  }

  /** Float storage; `zeroed: false` for a kernel that writes every element (a GEMM's C). */
  private floatOut(dtype: DType, n: number, zeroed = true): FloatArray {
    return this.out(dtype === 'float64' ? 'float64' : 'float32', n, zeroed) as FloatArray;
  }

  /**
   * Runs a kernel that allocates scratch through the function it is given; the scratch is
   * released when the kernel returns.
   */
  private withScratch<R>(dtype: DType, kernel: (k: ConvKernels) => R): R {
    const taken: FloatArray[] = [];
    try {
      return kernel({
        gemm: this.runGemm,
        // Every scratch user writes all of it: im2col, the block swaps, a GEMM's C.
        alloc: (n) => {
          const a = this.floatOut(dtype, n, false);
          taken.push(a);
          return a;
        },
        im2col: this.seam?.im2col ?? im2col,
        col2im: this.seam?.col2im ?? col2im,
        swap01: this.seam?.swap01 ?? swap01,
        implicit: this.seam?.implicit,
      });
    } finally {
      if (this.seam) for (const a of taken) this.seam.release(a);
    }
  }

  write(v: TypedArray, _shape: Shape, dtype: DType): DataId {
    const a = this.out(dtype, v.length);
    a.set(v);
    return new CpuData(a);
  }

  readSync(x: TensorInfo): TypedArray {
    return values(x).slice();
  }

  async read(x: TensorInfo): Promise<TypedArray> {
    return this.readSync(x);
  }

  disposeData(dataId: DataId): void {
    // Typed arrays are garbage-collected once core drops its last reference; a seam's storage
    // is released explicitly.
    if (this.seam && dataId instanceof CpuData) this.seam.release(dataId.values);
  }

  async close(): Promise<void> {
    await this.pool?.close();
    await this.seam?.close();
  }

  unary(op: UnaryOp, x: TensorInfo): DataId {
    return new CpuData(ew.unary(op, values(x), x.dtype, this.kernelOut));
  }

  binary(op: BinaryOp, a: TensorInfo, b: TensorInfo, outShape: Shape): DataId {
    const compare = !['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'].includes(op);
    return new CpuData(ew.binary(op, values(a), a.shape, values(b), b.shape, outShape,
      compare ? 'int32' : a.dtype, this.kernelOut));
  }

  where(c: TensorInfo, a: TensorInfo, b: TensorInfo, outShape: Shape): DataId {
    return new CpuData(ew.where(values(c), c.shape, values(a), a.shape, values(b), b.shape,
      outShape, a.dtype, this.kernelOut));
  }

  reduce(op: ReduceOp, x: TensorInfo, axes: readonly number[]): DataId {
    return new CpuData(reduce(op, values(x), x.shape, axes, x.dtype, this.kernelOut));
  }

  cast(x: TensorInfo, dtype: DType): DataId {
    return new CpuData(ew.cast(values(x), dtype, this.kernelOut));
  }

  transpose(x: TensorInfo, perm: readonly number[]): DataId {
    return new CpuData(layout.transpose(values(x), x.shape, perm, x.dtype, this.kernelOut));
  }

  slice(x: TensorInfo, begin: readonly number[], size: readonly number[]): DataId {
    return new CpuData(layout.slice(values(x), x.shape, begin, size, x.dtype, this.kernelOut));
  }

  pad(x: TensorInfo, paddings: readonly (readonly [number, number])[], value: number): DataId {
    return new CpuData(layout.pad(values(x), x.shape, paddings, value, x.dtype, this.kernelOut));
  }

  concat(xs: readonly TensorInfo[], axis: number): DataId {
    const parts = xs.map((x) => ({ values: values(x), shape: x.shape }));
    return new CpuData(layout.concat(parts, axis, xs[0].dtype, this.kernelOut));
  }

  gather(x: TensorInfo, indices: TensorInfo, axis: number): DataId {
    return new CpuData(layout.gather(values(x), x.shape, values(indices), axis, x.dtype,
      this.kernelOut));
  }

  attention(q: TensorInfo, k: TensorInfo, v: TensorInfo, mask: TensorInfo | null,
    attrs: AttentionAttrs): DataId {
    const s = attentionShapes(q.shape, k.shape, v.shape);
    const out = this.floatOut(q.dtype, s.b * s.h * s.nq * s.dv, false);
    this.counted((scratch) => attentionForward(floats(q), floats(k), floats(v),
      mask ? floats(mask) : null, s, attrs, out, scratch));
    return new CpuData(out);
  }

  attentionBackward(q: TensorInfo, k: TensorInfo, v: TensorInfo, mask: TensorInfo | null,
    y: TensorInfo, dy: TensorInfo, attrs: AttentionAttrs): {
    /** dL/dq, shaped like q. */
    dq: DataId;
    /** dL/dk, shaped like k (summed over the query heads that share it). */
    dk: DataId;
    /** dL/dv, shaped like v (summed over the query heads that share it). */
    dv: DataId;
  } {
    const s = attentionShapes(q.shape, k.shape, v.shape);
    const [dq, dk, dv] = [q, k, v].map((t) => this.floatOut(t.dtype, sizeOf(t.shape)));
    this.counted((scratch) => attentionBackward(floats(q), floats(k), floats(v),
      mask ? floats(mask) : null, floats(y), floats(dy), s, attrs, dq, dk, dv, scratch));
    return { dq: new CpuData(dq), dk: new CpuData(dk), dv: new CpuData(dv) };
  }

  scatterAdd(u: TensorInfo, indices: TensorInfo, axis: number, outShape: Shape): DataId {
    return new CpuData(layout.scatterAdd(values(u), values(indices), axis, outShape, u.dtype,
      this.kernelOut));
  }

  matmul(a: TensorInfo, b: TensorInfo, o: MatmulOptions, outShape: Shape): DataId {
    const out = this.floatOut(a.dtype, sizeOf(outShape), false);
    batchMatmul(this.runGemm, floats(a), a.shape, floats(b), b.shape, o, outShape, out);
    return new CpuData(out);
  }

  conv2d(x: TensorInfo, w: TensorInfo, attrs: Conv2dAttrs, outShape: Shape): DataId {
    const out = this.floatOut(x.dtype, sizeOf(outShape), false);
    this.withScratch(x.dtype, (k) => conv2d(k, floats(x), x.shape, floats(w), w.shape, attrs,
      outShape, out));
    return new CpuData(out);
  }

  conv2dBackpropInput(dy: TensorInfo, w: TensorInfo, attrs: Conv2dAttrs, xShape: Shape): DataId {
    const dx = this.floatOut(dy.dtype, sizeOf(xShape));
    this.withScratch(dy.dtype, (k) => conv2dBackpropInput(k, floats(dy), floats(w), w.shape,
      attrs, xShape, dy.shape, dx));
    return new CpuData(dx);
  }

  conv2dBackpropFilter(x: TensorInfo, dy: TensorInfo, attrs: Conv2dAttrs, wShape: Shape): DataId {
    const dw = this.floatOut(x.dtype, sizeOf(wShape), false);
    this.withScratch(x.dtype, (k) => conv2dBackpropFilter(k, floats(x), x.shape, floats(dy),
      dy.shape, attrs, wShape, dw));
    return new CpuData(dw);
  }

  maxPool2d(x: TensorInfo, attrs: Pool2dAttrs, outShape: Shape): DataId {
    const out = this.floatOut(x.dtype, sizeOf(outShape));
    pool.maxPool2d(floats(x), x.shape, attrs, outShape, out);
    return new CpuData(out);
  }

  maxPool2dBackprop(dy: TensorInfo, x: TensorInfo, attrs: Pool2dAttrs): DataId {
    const dx = this.floatOut(x.dtype, sizeOf(x.shape));
    pool.maxPool2dBackprop(floats(dy), floats(x), x.shape, attrs, dy.shape, dx);
    return new CpuData(dx);
  }

  avgPool2d(x: TensorInfo, attrs: Pool2dAttrs, outShape: Shape): DataId {
    const out = this.floatOut(x.dtype, sizeOf(outShape));
    pool.avgPool2d(floats(x), x.shape, attrs, outShape, out);
    return new CpuData(out);
  }

  avgPool2dBackprop(dy: TensorInfo, attrs: Pool2dAttrs, xShape: Shape): DataId {
    const dx = this.floatOut(dy.dtype, sizeOf(xShape));
    pool.avgPool2dBackprop(floats(dy), xShape, attrs, dy.shape, dx);
    return new CpuData(dx);
  }

  /**
   * Runs the linear-algebra drivers of ./linalg (all synchronous) in a scope: here with their
   * TS inner loops; a subclass may swap in its own (withLinalgInner) and free their work
   * arrays afterwards.
   */
  protected linalgScope<T>(fn: () => T): T {
    return fn();
  }

  /** perMatrix over `a`'s matrices (and b's, for two-input kernels), in linalgScope. */
  private eachMatrix(
    a: TensorInfo, dtype: DType, sizes: readonly number[], fn: MatrixKernel, b?: TensorInfo,
  ): TypedArray[] {
    const second = b && { values: values(b), cols: b.shape[b.shape.length - 1] };
    return this.linalgScope(() => perMatrix(values(a), a.shape, dtype, sizes, fn, second,
      this.kernelOut));
  }

  // Dense linear algebra: float64 kernels from ./linalg, once per matrix of the batch.
  qr(a: TensorInfo): {
    /** Q, shape (..., m, k), with orthonormal columns. */
    q: DataId;
    /** R, shape (..., k, n), upper triangular. */
    r: DataId;
  } {
    const [m, n] = a.shape.slice(-2);
    const k = Math.min(m, n);
    const [q, r] = this.eachMatrix(a, a.dtype, [m * k, k * n], (x) => {
      const f = la.qr(x, m, n);
      return [f.q, f.r];
    });
    return { q: new CpuData(q), r: new CpuData(r) };
  }

  svd(a: TensorInfo): {
    /** Left singular vectors, shape (..., m, k), orthonormal columns. */
    u: DataId;
    /** Singular values, shape (..., k), descending and ≥ 0. */
    s: DataId;
    /** Right singular vectors, shape (..., n, k), orthonormal columns (not transposed). */
    v: DataId;
  } {
    const [m, n] = a.shape.slice(-2);
    const k = Math.min(m, n);
    const [u, s, v] = this.eachMatrix(a, a.dtype, [m * k, k, n * k], (x) => {
      const f = la.svd(x, m, n);
      return [f.u, f.s, f.v];
    });
    return { u: new CpuData(u), s: new CpuData(s), v: new CpuData(v) };
  }

  eigh(a: TensorInfo): {
    /** Eigenvalues, shape (..., n), ascending. */
    values: DataId;
    /** Eigenvectors as columns, shape (..., n, n), orthonormal; column i goes with value i. */
    vectors: DataId;
  } {
    const n = a.shape[a.shape.length - 1];
    const [w, v] = this.eachMatrix(a, a.dtype, [n, n * n], (x) => {
      const f = la.eigh(x, n);
      return [f.values, f.vectors];
    });
    return { values: new CpuData(w), vectors: new CpuData(v) };
  }

  cholesky(a: TensorInfo): DataId {
    const n = a.shape[a.shape.length - 1];
    return new CpuData(this.eachMatrix(a, a.dtype, [n * n], (x) => [la.cholesky(x, n)])[0]);
  }

  solveTriangular(a: TensorInfo, b: TensorInfo, o: TriangularOptions): DataId {
    const n = a.shape[a.shape.length - 1];
    const k = b.shape[b.shape.length - 1];
    return new CpuData(this.eachMatrix(a, b.dtype, [n * k],
      (x, _m, _n, y) => [la.solveTriangular(x, n, y!, k, o)], b)[0]);
  }
}
