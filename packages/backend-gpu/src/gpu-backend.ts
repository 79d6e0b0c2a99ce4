/**
 * The gpu.js backend. Every tensor lives in a device buffer (float32 on the device; int32
 * tensors are stored as exact float32 integers below 2^24) named by an id; kernels read and
 * write those buffers without crossing to the host, and only `read`/`readSync` copy values out.
 * Kernels are generic over shapes (kernels.ts), so each compiles once per backend.
 */
import type {
  AttentionAttrs,
  Backend, BinaryOp, Conv2dAttrs, DataId, DType, MatmulOptions, Pool2dAttrs, ReduceOp, Shape,
  TensorInfo, TriangularOptions, TypedArray, UnaryOp,
} from '@dlrt/core';
import { sizeOf, stridesOf } from '@dlrt/core';
import { CpuBackend } from '@dlrt/backend-cpu';
import { type Device, LocalDevice, WorkerDevice } from './device.js';
import { BINARY_CODES, type KernelName, MAX_RANK, REDUCE_CODES, UNARY_CODES } from './kernels.js';
import * as la from './linalg.js';
import { GPU_MODES, type GpuMode, type GpuModeOption } from './mode-names.js';
import { loadGpuJs } from './executor.js';
import { availableModes, isModeAvailable } from './modes.js';

/** Options of `setBackend('gpu', options)`. */
export interface GpuBackendOptions {
  /** gpu.js mode; 'auto' (default) takes the first available of GPU_MODES. */
  mode?: GpuModeOption;
  /** Store float64 tensors as float32 instead of refusing them. Default false. */
  allowDowncast?: boolean;
}

/** Integers in kernel metadata and indices are float32: exact below 2^24. */
const MAX_ELEMENTS = 1 << 24;

/** The gpu backend's storage: a device buffer id and its length. */
class GpuData {
  constructor(readonly id: number, readonly size: number) {}
}

/** `shape` left-padded with ones to MAX_RANK. */
function pad6(shape: Shape): number[] {
  return [...new Array(MAX_RANK - shape.length).fill(1), ...shape];
}

/** Strides of `shape` read as broadcast to `outShape` (0 on broadcast dims), padded. */
function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const s = stridesOf(shape);
  const out = new Array(MAX_RANK).fill(0);
  const lead = outShape.length - shape.length;
  for (let d = 0; d < shape.length; d++) {
    out[MAX_RANK - outShape.length + lead + d] = shape[d] === 1 ? 0 : s[d];
  }
  return out;
}

function checkRank(op: string, shape: Shape): void {
  if (shape.length > MAX_RANK) {
    throw new Error(`gpu ${op}: rank ${shape.length} [${shape.join(',')}] exceeds ${MAX_RANK}`);
  }
}

/**
 * @example
 * import { setBackend } from '@dlrt/core';
 * import '@dlrt/backend-gpu';
 * await setBackend('gpu', { mode: 'webgpu' });
 */
export class GpuBackend implements Backend {
  readonly name = 'gpu';
  /** Host kernels for the small linear algebra the device does not do (see linalg.ts). */
  readonly host = new CpuBackend();
  /** The algorithm of the latest QR factorization (see linalg.ts), for tests and curious users. */
  lastQrMethod: la.QrMethod | null = null;
  private bytes = 0;
  private buffers = 0;

  /**
   * @param device The device that runs the kernels and holds the buffers (a webgpu worker, or
   *   gpu.js in one of its modes).
   * @param allowDowncast Whether float64 tensors are stored as float32 (else they are refused).
   */
  private constructor(readonly device: Device, readonly allowDowncast: boolean) {}

  /** Starts the device of the requested mode; an unavailable mode is an error naming the others. */
  static async create(o: GpuBackendOptions = {}): Promise<GpuBackend> {
    const asked = o.mode ?? 'auto';
    if (asked !== 'auto' && !GPU_MODES.includes(asked)) {
      throw new Error(`setBackend('gpu'): unknown mode '${String(asked)}' ` +
        `(modes: ${GPU_MODES.join(', ')}, or 'auto')`);
    }
    const allow = o.allowDowncast ?? false;
    if (asked === 'webgpu' || asked === 'auto') {
      try {
        return new GpuBackend(await WorkerDevice.start(), allow);
      } catch (e) {
        if (asked === 'webgpu') {
          throw new Error(`setBackend('gpu'): mode 'webgpu' is not available here ` +
            `(${(e as Error).message}); available: ${(await availableModes()).join(', ')}`);
        }
      }
    }
    let mode: GpuMode = 'cpu';
    if (asked === 'auto') {
      for (const m of GPU_MODES) {
        if (m !== 'webgpu' && await isModeAvailable(m)) {
          mode = m;
          break;
        }
      }
    } else if (await isModeAvailable(asked)) {
      mode = asked;
    } else {
      throw new Error(`setBackend('gpu'): mode '${asked}' is not available here; ` +
        `available: ${(await availableModes()).join(', ')}`);
    }
    return new GpuBackend(new LocalDevice(mode, await loadGpuJs()), allow);
  }

  /** The mode the device runs in (the one 'auto' picked, when asked for 'auto'). */
  get mode(): GpuMode {
    return this.device.mode;
  }

  /** Bytes held in live device buffers (4 per element). */
  get deviceBytes(): number {
    return this.bytes;
  }

  /** Live device buffers. */
  get deviceBuffers(): number {
    return this.buffers;
  }

  private alloc(size: number, op: string): GpuData {
    if (size > MAX_ELEMENTS) {
      throw new Error(`gpu ${op}: ${size} elements exceed the limit of 2^24 per tensor ` +
        '(indices are exact float32 integers)');
    }
    this.bytes += 4 * size;
    this.buffers++;
    return new GpuData(this.device.newId(), size);
  }

  private placeholderId = 0;

  private placeholder(): number {
    if (this.placeholderId === 0) {
      this.placeholderId = this.device.newId();
      this.device.upload(this.placeholderId, new Float32Array(1));
    }
    return this.placeholderId;
  }

  private id(x: TensorInfo): number {
    if (!(x.dataId instanceof GpuData)) {
      throw new Error('gpu: this tensor belongs to another backend');
    }
    return x.dataId.id;
  }

  private checkDtype(op: string, dtype: DType): void {
    if (dtype === 'float64' && !this.allowDowncast) {
      throw new Error(`gpu ${op}: float64 tensors are not supported (the gpu backend is ` +
        `float32 only); cast to float32, or pass { allowDowncast: true } to setBackend('gpu') ` +
        'to store float64 values as float32');
    }
  }

  /** Launches `kernel` over a fresh output of `size` values. */
  private launch(kernel: KernelName, inputs: (TensorInfo | GpuData)[], size: number,
    meta: number[]): GpuData {
    const out = this.alloc(size, kernel);
    if (size === 0) {
      this.device.upload(out.id, new Float32Array(0));
      return out;
    }
    // gpu.js cannot take an empty array argument; an empty input is never read (its loops run
    // zero times or its reads are out of the window), so one zero stands in for it.
    const ids = inputs.map((x) => {
      const d = x instanceof GpuData ? x : (this.id(x), x.dataId as GpuData);
      return d.size > 0 ? d.id : this.placeholder();
    });
    try {
      this.device.run({ kernel, out: out.id, size, inputs: ids, meta: Float32Array.from(meta) });
    } catch (e) {
      this.free(out);
      throw e;
    }
    return out;
  }

  write(values: TypedArray, shape: Shape, dtype: DType): DataId {
    this.checkDtype('write', dtype);
    const out = this.alloc(values.length, 'write');
    this.device.upload(out.id, values instanceof Float32Array ? values.slice()
      : Float32Array.from(values));
    void shape;
    return out;
  }

  private typed(v: Float32Array, dtype: DType): TypedArray {
    if (dtype === 'int32') return Int32Array.from(v);
    if (dtype === 'float64') return Float64Array.from(v);
    return v;
  }

  readSync(x: TensorInfo): TypedArray {
    const d = x.dataId as GpuData;
    return this.typed(this.device.readSync(this.id(x), d.size), x.dtype);
  }

  async read(x: TensorInfo): Promise<TypedArray> {
    return this.typed(await this.device.read(this.id(x)), x.dtype);
  }

  disposeData(dataId: DataId): void {
    if (!(dataId instanceof GpuData)) return;
    this.free(dataId);
  }

  private free(d: GpuData): void {
    this.bytes -= 4 * d.size;
    this.buffers--;
    this.device.free(d.id);
  }

  async close(): Promise<void> {
    await this.device.close();
  }

  unary(op: UnaryOp, x: TensorInfo): DataId {
    return this.launch('unary', [x], sizeOf(x.shape), [UNARY_CODES[op]]);
  }

  binary(op: BinaryOp, a: TensorInfo, b: TensorInfo, outShape: Shape): DataId {
    checkRank(op, outShape);
    const intDiv = op === 'div' && a.dtype === 'int32' ? 1 : 0;
    return this.launch('binary', [a, b], sizeOf(outShape), [BINARY_CODES[op], intDiv,
      ...pad6(outShape), ...broadcastStrides(a.shape, outShape),
      ...broadcastStrides(b.shape, outShape)]);
  }

  where(c: TensorInfo, a: TensorInfo, b: TensorInfo, outShape: Shape): DataId {
    checkRank('where', outShape);
    return this.launch('where', [c, a, b], sizeOf(outShape), [0, 0, ...pad6(outShape),
      ...broadcastStrides(c.shape, outShape), ...broadcastStrides(a.shape, outShape),
      ...broadcastStrides(b.shape, outShape)]);
  }

  reduce(op: ReduceOp, x: TensorInfo, axes: readonly number[]): DataId {
    const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    const inner = sizeOf(axes.map((a) => x.shape[a]));
    const outer = sizeOf(kept.map((a) => x.shape[a]));
    const trailing = axes.every((a, i) => a === x.shape.length - axes.length + i);
    const src = trailing ? x : this.permuted(x, [...kept, ...axes]);
    const out = this.launch('reduce', [src], outer, [REDUCE_CODES[op], inner]);
    if (src instanceof GpuData) this.free(src);
    return out;
  }

  cast(x: TensorInfo, dtype: DType): DataId {
    this.checkDtype('cast', dtype);
    const code = dtype === 'int32' && x.dtype !== 'int32' ? UNARY_CODES.trunc : UNARY_CODES.copy;
    return this.launch('unary', [x], sizeOf(x.shape), [code]);
  }

  /** A strided view of x copied out: element i of `shape` reads x[offset + Σ cᵢ·strides]. */
  private view(x: TensorInfo, shape: Shape, strides: readonly number[], offset: number): GpuData {
    checkRank('view', shape);
    const s = [...new Array(MAX_RANK - strides.length).fill(0), ...strides];
    return this.launch('strided', [x], sizeOf(shape), [offset, 0, ...pad6(shape), ...s]);
  }

  private permuted(x: TensorInfo, perm: readonly number[]): GpuData {
    const st = stridesOf(x.shape);
    return this.view(x, perm.map((p) => x.shape[p]), perm.map((p) => st[p]), 0);
  }

  transpose(x: TensorInfo, perm: readonly number[]): DataId {
    return this.permuted(x, perm);
  }

  slice(x: TensorInfo, begin: readonly number[], size: readonly number[]): DataId {
    const st = stridesOf(x.shape);
    return this.view(x, size, st, begin.reduce((o, b, d) => o + b * st[d], 0));
  }

  pad(x: TensorInfo, paddings: readonly (readonly [number, number])[], value: number): DataId {
    checkRank('pad', x.shape);
    const outShape = x.shape.map((n, d) => n + paddings[d][0] + paddings[d][1]);
    const lead = new Array(MAX_RANK - x.shape.length).fill(0);
    return this.launch('pad', [x], sizeOf(outShape), [value, 0, ...pad6(outShape),
      ...pad6(x.shape), ...lead, ...paddings.map((p) => p[0]), ...lead, ...stridesOf(x.shape)]);
  }

  concat(xs: readonly TensorInfo[], axis: number): DataId {
    const parts = xs.filter((x) => sizeOf(x.shape) > 0);
    const outShape = [...xs[0].shape];
    outShape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
    if (parts.length === 0) return this.launch('unary', [], 0, []);
    if (parts.length === 1) return this.launch('unary', [parts[0]], sizeOf(outShape), [13]);
    const inner = sizeOf(outShape.slice(axis + 1));
    let cur: TensorInfo | GpuData = parts[0];
    let na = parts[0].shape[axis];
    for (const p of parts.slice(1)) {
      const nb = p.shape[axis];
      const size = (sizeOf(outShape) / (outShape[axis] * inner)) * (na + nb) * inner;
      const next = this.launch('concat', [cur, p], size, [na, nb, inner]);
      if (cur instanceof GpuData) this.free(cur);
      cur = next;
      na += nb;
    }
    return cur;
  }

  gather(x: TensorInfo, indices: TensorInfo, axis: number): DataId {
    const n = sizeOf(indices.shape);
    const inner = sizeOf(x.shape.slice(axis + 1));
    const outer = sizeOf(x.shape.slice(0, axis));
    return this.launch('gather', [x, indices], outer * n * inner, [x.shape[axis], n, inner]);
  }

  /** Meta of the attention kernels (attention-kernels.ts). */
  private attentionMeta(q: TensorInfo, k: TensorInfo, v: TensorInfo, mask: TensorInfo | null,
    a: AttentionAttrs, mode = 0): number[] {
    const [, h, nq, d] = q.shape;
    return [h, nq, k.shape[2], d, v.shape[3], a.groups, a.scale, a.causal ? 1 : 0, mask ? 1 : 0,
      k.shape[1], mode];
  }

  /** Each query row's log-sum-exp, which the other attention kernels read (the caller frees). */
  private attentionLse(q: TensorInfo, k: TensorInfo, mask: TensorInfo | null,
    meta: number[]): GpuData {
    const rows = q.shape[0] * q.shape[1] * q.shape[2];
    return this.launch('attnLse', [q, k, mask ?? q], rows, meta);
  }

  attention(q: TensorInfo, k: TensorInfo, v: TensorInfo, mask: TensorInfo | null,
    attrs: AttentionAttrs): DataId {
    for (const t of [q, k, v]) this.checkDtype('attention', t.dtype);
    const meta = this.attentionMeta(q, k, v, mask, attrs);
    const lse = this.attentionLse(q, k, mask, meta);
    try {
      return this.launch('attnOut', [q, k, v, mask ?? q, lse],
        sizeOf(q.shape.slice(0, 3)) * v.shape[3], meta);
    } finally {
      this.free(lse);
    }
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
    const meta = this.attentionMeta(q, k, v, mask, attrs);
    const rows = q.shape[0] * q.shape[1] * q.shape[2];
    const stats = this.launch('attnStats', [q, k, mask ?? q, y, dy], 2 * rows, meta);
    try {
      const inputs = [q, k, v, mask ?? q, stats, dy];
      return {
        dq: this.launch('attnDq', inputs, sizeOf(q.shape), meta),
        dk: this.launch('attnDkv', inputs, sizeOf(k.shape), meta),
        dv: this.launch('attnDkv', inputs, sizeOf(v.shape),
          this.attentionMeta(q, k, v, mask, attrs, 1)),
      };
    } finally {
      this.free(stats);
    }
  }

  scatterAdd(u: TensorInfo, indices: TensorInfo, axis: number, outShape: Shape): DataId {
    const inner = sizeOf(outShape.slice(axis + 1));
    return this.launch('scatterAdd', [u, indices], sizeOf(outShape),
      [outShape[axis], sizeOf(indices.shape), inner]);
  }

  matmul(a: TensorInfo, b: TensorInfo, o: MatmulOptions, outShape: Shape): DataId {
    const r = outShape.length;
    const batch = outShape.slice(0, r - 2);
    if (batch.length > 4) throw new Error(`gpu matmul: ${batch.length} batch dims exceed 4`);
    const [aRows, aCols] = a.shape.slice(-2);
    const bCols = b.shape[b.shape.length - 1];
    const depth = o.transposeA ? aRows : aCols;
    // Batch strides in elements: a matrix per batch entry, 0 where the batch dim broadcasts.
    const bstr = (x: TensorInfo): number[] => {
      const xb = x.shape.slice(0, -2);
      const mat = x.shape[x.shape.length - 1] * x.shape[x.shape.length - 2];
      const s = broadcastStrides(xb, batch).slice(MAX_RANK - 4).map((v) => v * mat);
      return s;
    };
    const pad4 = (s: Shape): number[] => [...new Array(4 - s.length).fill(1), ...s];
    return this.launch('matmul', [a, b], sizeOf(outShape), [
      outShape[r - 2], outShape[r - 1], depth,
      o.transposeA ? 1 : aCols, o.transposeA ? aCols : 1,
      o.transposeB ? 1 : bCols, o.transposeB ? bCols : 1, 0,
      ...pad4(batch), ...bstr(a), ...bstr(b)]);
  }

  private convMeta(xShape: Shape, wShape: Shape, yShape: Shape, at: Conv2dAttrs): number[] {
    const [n, c, h, w] = xShape;
    return [n, c, h, w, wShape[0], wShape[2], wShape[3], yShape[2], yShape[3], ...at.stride,
      ...at.padding, ...at.dilation];
  }

  conv2d(x: TensorInfo, w: TensorInfo, attrs: Conv2dAttrs, outShape: Shape): DataId {
    return this.launch('conv2d', [x, w], sizeOf(outShape),
      this.convMeta(x.shape, w.shape, outShape, attrs));
  }

  conv2dBackpropInput(dy: TensorInfo, w: TensorInfo, attrs: Conv2dAttrs, xShape: Shape): DataId {
    return this.launch('conv2dDx', [dy, w], sizeOf(xShape),
      this.convMeta(xShape, w.shape, dy.shape, attrs));
  }

  conv2dBackpropFilter(x: TensorInfo, dy: TensorInfo, attrs: Conv2dAttrs, wShape: Shape): DataId {
    return this.launch('conv2dDw', [x, dy], sizeOf(wShape),
      this.convMeta(x.shape, wShape, dy.shape, attrs));
  }

  private poolMeta(avg: boolean, xShape: Shape, yShape: Shape, at: Pool2dAttrs): number[] {
    return [avg ? 1 : 0, xShape[2], xShape[3], yShape[2], yShape[3], ...at.kernel, ...at.stride,
      ...at.padding];
  }

  maxPool2d(x: TensorInfo, attrs: Pool2dAttrs, outShape: Shape): DataId {
    return this.launch('pool', [x], sizeOf(outShape), this.poolMeta(false, x.shape, outShape,
      attrs));
  }

  maxPool2dBackprop(dy: TensorInfo, x: TensorInfo, attrs: Pool2dAttrs): DataId {
    return this.launch('poolDx', [dy, x], sizeOf(x.shape), this.poolMeta(false, x.shape,
      dy.shape, attrs));
  }

  avgPool2d(x: TensorInfo, attrs: Pool2dAttrs, outShape: Shape): DataId {
    return this.launch('pool', [x], sizeOf(outShape), this.poolMeta(true, x.shape, outShape,
      attrs));
  }

  avgPool2dBackprop(dy: TensorInfo, attrs: Pool2dAttrs, xShape: Shape): DataId {
    return this.launch('poolDx', [dy, dy], sizeOf(xShape), this.poolMeta(true, xShape, dy.shape,
      attrs));
  }

  qr(a: TensorInfo): {
    /** Q, shape (..., m, k), with orthonormal columns. */
    q: DataId;
    /** R, shape (..., k, n), upper triangular. */
    r: DataId;
  } {
    return la.qr(this, a);
  }

  svd(a: TensorInfo): {
    /** Left singular vectors, shape (..., m, k), orthonormal columns. */
    u: DataId;
    /** Singular values, shape (..., k), descending and ≥ 0. */
    s: DataId;
    /** Right singular vectors, shape (..., n, k), orthonormal columns (not transposed). */
    v: DataId;
  } {
    return la.svd(this, a);
  }

  eigh(a: TensorInfo): {
    /** Eigenvalues, shape (..., n), ascending. */
    values: DataId;
    /** Eigenvectors as columns, shape (..., n, n), orthonormal; column i goes with value i. */
    vectors: DataId;
  } {
    return la.eigh(this, a);
  }

  cholesky(a: TensorInfo): DataId {
    return la.cholesky(this, a);
  }

  solveTriangular(a: TensorInfo, b: TensorInfo, o: TriangularOptions): DataId {
    return la.solveTriangular(this, a, b, o);
  }
}
