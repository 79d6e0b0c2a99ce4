/** Tensor (an immutable value on a backend) and Variable (trainable, assignable state). */
import type { Backend, DataId, MatmulOptions } from './backend.js';
import { bytesPerElement, type DType, type TypedArray } from './dtype.js';
import { ENGINE } from './engine.js';
import { fmt, type Shape, shapesEqual, sizeOf } from './shape.js';
import * as ops from './ops/chain.js';

/** A nested array of numbers as returned by `arraySync`. */
export type NestedArray = number | NestedArray[];

/**
 * An n-dimensional array on a backend. Tensors are immutable; create them with `tensor()`,
 * `zeros()`, … and read them with `dataSync()` or `await data()`.
 * @example const a = tensor([[1, 2], [3, 4]]); a.shape; // [2, 2]
 */
export class Tensor {
  /** A unique number per tensor object, in creation order (error messages name it). */
  readonly id: number;
  /** Dims, frozen; `[]` for a scalar. */
  readonly shape: Shape;
  /** Element type. */
  readonly dtype: DType;
  /** Number of elements: the product of `shape` (1 for a scalar). */
  readonly size: number;
  /** The backend whose storage holds the values. */
  readonly backend: Backend;
  /** The storage handle; `Variable.assign` replaces it. */
  protected storageId: DataId;
  /** Set once `dispose` has released the storage. */
  protected disposed = false;
  /** Set when dispose() was asked while a gradient tape still needed the tensor. */
  protected disposePending = false;

  /** Internal: wraps storage a backend made. Users call `tensor()` and friends instead. */
  constructor(dataId: DataId, shape: Shape, dtype: DType, backend: Backend, scoped = true) {
    this.id = ENGINE.nextId++;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.size = sizeOf(shape);
    this.backend = backend;
    this.storageId = dataId;
    ENGINE.track(this, { scoped });
  }

  /** The backend's handle to the storage (shared by views such as reshape and clone). */
  get dataId(): DataId {
    return this.storageId;
  }

  /** Number of dims: `shape.length`. */
  get rank(): number {
    return this.shape.length;
  }

  /** Whether `dispose` has freed the tensor (false while a gradient tape defers it). */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Throws `op: tensor 7 [2,3] float32 was disposed` when the tensor is no longer usable. */
  assertLive(op: string): void {
    if (this.disposed) {
      throw new Error(`${op}: tensor ${this.id} ${fmt(this.shape)} ${this.dtype} was disposed`);
    }
  }

  /** A copy of the values, row-major (backends that cannot read synchronously throw). */
  dataSync(): TypedArray {
    this.assertLive('dataSync');
    return this.backend.readSync(this);
  }

  /** A copy of the values, row-major. */
  async data(): Promise<TypedArray> {
    this.assertLive('data');
    return this.backend.read(this);
  }

  /** The values as nested arrays of numbers (a number for a scalar). */
  arraySync(): NestedArray {
    const v = this.dataSync();
    const build = (dim: number, offset: number, stride: number): NestedArray => {
      if (dim === this.rank) return v[offset];
      const n = this.shape[dim];
      const inner = stride / Math.max(n, 1);
      return Array.from({ length: n }, (_, i) => build(dim + 1, offset + i * inner, inner));
    };
    return build(0, 0, this.size);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item: tensor ${fmt(this.shape)} has ${this.size} values`);
    return this.dataSync()[0];
  }

  /** Frees the storage once no other tensor shares it. Safe to call twice. */
  dispose(): void {
    if (this.disposed || this.disposePending) return;
    if (ENGINE.release(this)) this.disposed = true;
    else this.disposePending = true;
  }

  /** Internal: called by the tape when it no longer needs a tensor disposed during recording. */
  finishDeferredDispose(): void {
    this.disposePending = false;
    this.dispose();
  }

  /** `Tensor([2,3], float32)`: shape and dtype, not the values. */
  toString(): string {
    return `Tensor(${fmt(this.shape)}, ${this.dtype})`;
  }

  // Chaining: each method is the free op of the same name.
  /** `add(this, b)`: this + b, broadcasting. */
  add(b: Tensor | number): Tensor { return ops.add(this, b); }
  /** `sub(this, b)`: this − b, broadcasting. */
  sub(b: Tensor | number): Tensor { return ops.sub(this, b); }
  /** `mul(this, b)`: elementwise product, broadcasting. */
  mul(b: Tensor | number): Tensor { return ops.mul(this, b); }
  /** `div(this, b)`: elementwise quotient, broadcasting (int32: floor division). */
  div(b: Tensor | number): Tensor { return ops.div(this, b); }
  /** `pow(this, b)`: elementwise power, broadcasting. */
  pow(b: Tensor | number): Tensor { return ops.pow(this, b); }
  /** `neg(this)`: −x. */
  neg(): Tensor { return ops.neg(this); }
  /** `abs(this)`: |x|. */
  abs(): Tensor { return ops.abs(this); }
  /** `exp(this)`: eˣ (float dtypes). */
  exp(): Tensor { return ops.exp(this); }
  /** `log(this)`: natural logarithm (float dtypes). */
  log(): Tensor { return ops.log(this); }
  /** `sqrt(this)`: √x (float dtypes). */
  sqrt(): Tensor { return ops.sqrt(this); }
  /** `square(this)`: x². */
  square(): Tensor { return ops.square(this); }
  /** `relu(this)`: max(x, 0). */
  relu(): Tensor { return ops.relu(this); }
  /** `sigmoid(this)`: 1 / (1 + e^−x) (float dtypes). */
  sigmoid(): Tensor { return ops.sigmoid(this); }
  /** `tanh(this)` (float dtypes). */
  tanh(): Tensor { return ops.tanh(this); }
  /** `sum(this, axis, keepDims)`: sum over `axis` (all axes when omitted). */
  sum(axis?: number | number[], keepDims = false): Tensor { return ops.sum(this, axis, keepDims); }
  /** `mean(this, axis, keepDims)`: mean over `axis` (all axes when omitted; float dtypes). */
  mean(axis?: number | number[], keepDims = false): Tensor { return ops.mean(this, axis, keepDims); }
  /** `max(this, axis, keepDims)`: largest entry over `axis` (all axes when omitted). */
  max(axis?: number | number[], keepDims = false): Tensor { return ops.max(this, axis, keepDims); }
  /** `min(this, axis, keepDims)`: smallest entry over `axis` (all axes when omitted). */
  min(axis?: number | number[], keepDims = false): Tensor { return ops.min(this, axis, keepDims); }
  /** `reshape(this, shape)`: same values, new shape (one dim may be −1); no copy. */
  reshape(shape: readonly number[]): Tensor { return ops.reshape(this, shape); }
  /** `transpose(this, perm)`: permuted dims (reversed when `perm` is omitted). */
  transpose(perm?: readonly number[]): Tensor { return ops.transpose(this, perm); }
  /** `matmul(this, b, opts)`: batched matrix product over the last two dims. */
  matmul(b: Tensor, opts?: MatmulOptions): Tensor { return ops.matmul(this, b, opts); }
  /** `cast(this, dtype)`: the values converted to `dtype`. */
  cast(dtype: DType): Tensor { return ops.cast(this, dtype); }
}

/** Options of a Variable. */
export interface VariableOptions {
  /** A name that error messages show (default `variable<id>`). */
  name?: string;
  /** Whether `variableGrads` differentiates it by default (true). */
  trainable?: boolean;
}

/**
 * Trainable state: a tensor whose value can be replaced with `assign`. Variables are never
 * disposed by `tidy`; dispose them yourself when done.
 * @example const w = new Variable(randn([784, 10], { seed: 1 }), { name: 'w' });
 */
export class Variable extends Tensor {
  /** The name given in the options, or `variable<id>`. */
  readonly name: string;
  /** Whether `variableGrads` without an explicit list differentiates it. */
  trainable: boolean;

  constructor(initial: Tensor, options: VariableOptions = {}) {
    initial.assertLive('Variable');
    super(initial.dataId, initial.shape, initial.dtype, initial.backend, false);
    this.name = options.name ?? `variable${this.id}`;
    this.trainable = options.trainable ?? true;
  }

  /**
   * Replaces the value. The shape must stay the same unless `resize` is set: low-rank layers
   * resize their factors when an integrator changes the rank, and keep one Variable (and its
   * optimizer state, which the integrator transforms) across the change. The old storage is
   * released.
   */
  assign(value: Tensor, options: AssignOptions = {}): void {
    this.assertLive('assign');
    value.assertLive('assign');
    const resized = options.resize === true && !shapesEqual(value.shape, this.shape);
    if ((!resized && !shapesEqual(value.shape, this.shape)) || value.dtype !== this.dtype) {
      throw new Error(
        `assign: variable '${this.name}' is ${fmt(this.shape)} ${this.dtype}, ` +
          `value is ${fmt(value.shape)} ${value.dtype}`,
      );
    }
    if (value.backend !== this.backend) {
      throw new Error(`assign: variable '${this.name}' lives on ${this.backend.name}, ` +
        `value on ${value.backend.name}`);
    }
    if (ENGINE.tape?.needed.has(this.id)) {
      throw new Error(`assign: variable '${this.name}' is in use by a gradient tape`);
    }
    // Take a reference to the new storage before dropping the old one (they may coincide).
    ENGINE.retain(value.dataId, value.size * bytesPerElement(value.dtype), value.backend);
    ENGINE.unref(this.storageId);
    this.storageId = value.dataId;
    if (resized) {
      const self = this as { -readonly [K in 'shape' | 'size']: Tensor[K] };
      self.shape = Object.freeze([...value.shape]);
      self.size = value.size;
    }
  }
}

/** Options of `Variable.assign`. */
export interface AssignOptions {
  /** Allow a value of another shape (same dtype and backend). */
  resize?: boolean;
}
