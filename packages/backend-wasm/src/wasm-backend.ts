/**
 * The wasm backend: the cpu backend with its storage in one shared WebAssembly.Memory and its
 * hot kernels in WebAssembly SIMD (GEMM, the convolutions' data movement, float32 elementwise
 * rows, exp, erf and gelu, float32 attention, sums, 2×2 max pooling, the last-two-axes
 * transpose, the linear-algebra inner loops); every other op is the cpu backend's.
 */
import {
  CpuBackend, type CpuSeam, type FloatArray, type StridedGemm, ThreadPool, attentionShapes,
  broadcastStrides, col2im as tsCol2im, forEachRow, im2col as tsIm2col, swap01 as tsSwap01,
  withLinalgInner,
} from '@dlrt/backend-cpu';
import type {
  AttentionAttrs, BinaryOp, DataId, DType, Pool2dAttrs, ReduceOp, Shape, TensorInfo, TypedArray,
  UnaryOp,
} from '@dlrt/core';
import { sizeOf } from '@dlrt/core';
import {
  type AttentionKernels, attentionBackwardF32, attentionForwardF32, attentionScratchBytes,
} from './attention.js';
import { WARM_BYTES, WasmGemm, TILE, stridedKernel, warmUp } from './gemm.js';
import { WasmHeap } from './heap.js';
import {
  type KernelExports, WASM_BUILDS, type WasmBuild, type WasmFlavor, compileKernels, instantiate,
} from './kernels.js';
import { LinalgArena } from './linalg.js';
import {
  GEOMETRY_BYTES, binaryCode, convKernels, maxPool2x2, transcendentalCode, unaryCode, warmUpOps,
} from './ops.js';
import type { WasmWorkerData } from './worker.js';

/**
 * The kernel packs only B and reads A in place, so a column block of C packs just its own
 * columns of B while a row block packs all of B again: split by columns unless C is too
 * narrow to give each thread several column panels.
 */
function splitByRows(_m: number, n: number): boolean {
  return n < 256;
}

/** LeNet5's pooling: 2×2 windows at stride 2, no padding (the wasm kernel's case). */
function is2x2(a: Pool2dAttrs): boolean {
  return a.kernel[0] === 2 && a.kernel[1] === 2 && a.stride[0] === 2 && a.stride[1] === 2
    && a.padding[0] === 0 && a.padding[1] === 0;
}

/** Options of `setBackend('wasm', options)`. */
export interface WasmBackendOptions {
  /** Threads for large kernels, counting the calling thread (1 = no workers). Default 1. */
  threads?: number;
  /**
   * The kernel build (default 'auto': relaxed SIMD where it validates, else plain SIMD128).
   * 'simd' reproduces, on any runtime, a record made where relaxed SIMD was off (Node 20).
   */
  build?: WasmBuild;
}

/**
 * @example
 * import { setBackend } from '@dlrt/core';
 * import '@dlrt/backend-wasm';
 * await setBackend('wasm', { threads: 2 });
 */
export class WasmBackend extends CpuBackend {
  override readonly name = 'wasm';

  private constructor(
    seam: CpuSeam,
    /** The kernel build in use: 'relaxed' (with fused multiply-add) or 'simd'. */
    readonly flavor: WasmFlavor,
    private readonly heap: WasmHeap,
    private readonly k: KernelExports,
    /** The calling thread's GEMM, strided (for the linear-algebra drivers). */
    private readonly gemmStrided: StridedGemm,
  ) {
    super({}, seam);
  }

  /** The cpu backend's linear algebra over the wasm inner loops (src/linalg.ts). */
  protected override linalgScope<T>(fn: () => T): T {
    const arena = new LinalgArena(this.heap, this.k, this.gemmStrided);
    try {
      return withLinalgInner(arena.inner, fn);
    } finally {
      arena.release();
    }
  }

  /** Storage for a result the kernel overwrites whole (not zeroed); null when memory is full. */
  private result(dtype: DType, n: number): TypedArray | null {
    const ptr = this.heap.malloc(Math.max(1, n) * (dtype === 'float64' ? 8 : 4));
    return ptr === null ? null : this.heap.view(dtype, ptr, n);
  }

  /** x's values when they are in the wasm memory, else null. */
  private inMemory(x: TensorInfo): TypedArray | null {
    const v = this.storage(x);
    return this.heap.owns(v) ? v : null;
  }

  override unary(op: UnaryOp, x: TensorInfo): DataId {
    const code = unaryCode(op), tcode = transcendentalCode(op), xv = this.inMemory(x);
    const out = (code >= 0 || tcode >= 0) && x.dtype === 'float32' && xv
      ? this.result('float32', xv.length) : null;
    if (!out) return super.unary(op, x);
    if (code >= 0) this.k.unaryF32(code, out.byteOffset, xv!.byteOffset, xv!.length);
    else this.k.transcendentalF32(tcode, out.byteOffset, xv!.byteOffset, xv!.length);
    return this.wrap(out);
  }

  override binary(op: BinaryOp, a: TensorInfo, b: TensorInfo, outShape: Shape): DataId {
    const code = binaryCode(op), av = this.inMemory(a), bv = this.inMemory(b);
    const n = outShape.reduce((p, d) => p * d, 1);
    const outDtype = code >= 6 ? 'int32' : 'float32';
    const out = code >= 0 && a.dtype === 'float32' && av && bv ? this.result(outDtype, n) : null;
    if (!out) return super.binary(op, a, b, outShape);
    const strides = [broadcastStrides(a.shape, outShape), broadcastStrides(b.shape, outShape)];
    forEachRow(outShape, strides, (o, [ia, ib], len, [sa, sb]) => {
      this.k.binaryRowF32(code, out.byteOffset + 4 * o, av!.byteOffset + 4 * ia, sa,
        bv!.byteOffset + 4 * ib, sb, len);
    });
    return this.wrap(out);
  }

  override where(c: TensorInfo, a: TensorInfo, b: TensorInfo, outShape: Shape): DataId {
    const cv = this.inMemory(c), av = this.inMemory(a), bv = this.inMemory(b);
    const n = outShape.reduce((p, d) => p * d, 1);
    const out = a.dtype === 'float32' && cv && av && bv ? this.result('float32', n) : null;
    if (!out) return super.where(c, a, b, outShape);
    const strides = [c, a, b].map((x) => broadcastStrides(x.shape, outShape));
    forEachRow(outShape, strides, (o, [ic, ia, ib], len, [sc, sa, sb]) => {
      this.k.whereRowF32(out.byteOffset + 4 * o, cv!.byteOffset + 4 * ic, sc,
        av!.byteOffset + 4 * ia, sa, bv!.byteOffset + 4 * ib, sb, len);
    });
    return this.wrap(out);
  }

  override reduce(op: ReduceOp, x: TensorInfo, axes: readonly number[]): DataId {
    const r = x.shape.length, xv = this.inMemory(x);
    // A float32 sum over trailing axes (all of them: a loss; the last: softmax rows), in the
    // cpu backend's order (sumRun).
    const trailing = axes.length > 0 && axes.every((a, i) => a === r - axes.length + i);
    const rows = op === 'sum' && x.dtype === 'float32' && xv && trailing
      ? this.result('float32', sizeOf(x.shape.slice(0, r - axes.length))) : null;
    if (rows) {
      this.k.sumRowsF32(xv!.byteOffset, rows.length, sizeOf(x.shape.slice(r - axes.length)),
        rows.byteOffset);
      return this.wrap(rows);
    }
    // A float32 sum around one kept block of axes that is not leading: the leading axes
    // summed (a linear bias gradient: [B, T, F] → [F]), or the axes on both sides (a conv
    // bias gradient: [N, C, H·W] → [C]); the cpu backend's fold covers the other cases.
    const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    const block = kept.length > 0 && kept.every((a, i) => a === kept[0] + i);
    const first = kept[0] ?? 0, last = kept.at(-1) ?? 0;
    const out = op === 'sum' && x.dtype === 'float32' && xv && block && first > 0
      ? this.result('float32', sizeOf(kept.map((a) => x.shape[a]))) : null;
    if (!out) return super.reduce(op, x, axes);
    const before = sizeOf(x.shape.slice(0, first));
    if (last < r - 1) {
      this.k.sumMiddleF32(xv!.byteOffset, before, out.length, sizeOf(x.shape.slice(last + 1)),
        out.byteOffset);
      return this.wrap(out);
    }
    const acc = this.heap.malloc(8 * out.length);
    if (acc === null) {
      this.heap.release(out);
      return super.reduce(op, x, axes);
    }
    this.k.sumLeadingF32(xv!.byteOffset, before, out.length, acc, out.byteOffset);
    this.heap.free(acc);
    return this.wrap(out);
  }

  override transpose(x: TensorInfo, perm: readonly number[]): DataId {
    const r = perm.length, xv = this.inMemory(x);
    // The batched swap of the last two axes, for 4-byte elements; other permutations in TS.
    const swapLast2 = r >= 2 && perm.every((p, i) => p === (i < r - 2 ? i : 2 * r - 3 - i));
    const out = swapLast2 && x.dtype !== 'float64' && xv ? this.result(x.dtype, xv.length) : null;
    if (!out) return super.transpose(x, perm);
    const [rows, cols] = x.shape.slice(-2);
    this.k.transposeLast2(xv!.byteOffset, xv!.length / Math.max(1, rows * cols), rows, cols,
      out.byteOffset);
    return this.wrap(out);
  }

  /** A slice of a vector or matrix: one block copy of its rows (higher ranks in TS). */
  override slice(x: TensorInfo, begin: readonly number[], size: readonly number[]): DataId {
    const r = x.shape.length, xv = this.inMemory(x);
    const out = xv && r >= 1 && r <= 2 ? this.result(x.dtype, sizeOf(size)) : null;
    if (!out) return super.slice(x, begin, size);
    const e = xv!.BYTES_PER_ELEMENT, cols = x.shape[r - 1], rows = r === 2 ? size[0] : 1;
    const first = (r === 2 ? begin[0] * cols : 0) + begin[r - 1];
    this.k.copyRows(xv!.byteOffset + first * e, cols * e, rows, size[r - 1] * e, out.byteOffset,
      size[r - 1] * e);
    return this.wrap(out);
  }

  /** Concatenation: each input's rows (the dims before `axis`) copied into place in one call. */
  override concat(xs: readonly TensorInfo[], axis: number): DataId {
    const vs = xs.map((x) => this.inMemory(x));
    const out = vs.every((v) => v !== null)
      ? this.result(xs[0].dtype, vs.reduce((n, v) => n + v!.length, 0)) : null;
    if (!out) return super.concat(xs, axis);
    const shape = xs[0].shape, e = out.BYTES_PER_ELEMENT;
    const outer = sizeOf(shape.slice(0, axis)), inner = sizeOf(shape.slice(axis + 1));
    const chunks = xs.map((x) => x.shape[axis] * inner * e);
    const row = chunks.reduce((a, b) => a + b, 0);
    let at = out.byteOffset;
    xs.forEach((_, k) => {
      this.k.copyRows(vs[k]!.byteOffset, chunks[k], outer, chunks[k], at, row);
      at += chunks[k];
    });
    return this.wrap(out);
  }

  override maxPool2d(x: TensorInfo, attrs: Pool2dAttrs, outShape: Shape): DataId {
    const xv = this.inMemory(x);
    const out = is2x2(attrs) && xv ? this.result(x.dtype, outShape.reduce((p, d) => p * d, 1))
      : null;
    if (!out) return super.maxPool2d(x, attrs, outShape);
    maxPool2x2(this.k, xv as FloatArray, x.shape, out as FloatArray, null, null);
    return this.wrap(out);
  }

  override maxPool2dBackprop(dy: TensorInfo, x: TensorInfo, attrs: Pool2dAttrs): DataId {
    const dyv = this.inMemory(dy), xv = this.inMemory(x);
    const dx = is2x2(attrs) && dyv && xv ? this.out(x.dtype, xv.length) : null;
    if (!dx || !this.heap.owns(dx)) {
      if (dx) this.heap.release(dx);
      return super.maxPool2dBackprop(dy, x, attrs);
    }
    maxPool2x2(this.k, xv as FloatArray, x.shape, null, dyv as FloatArray, dx as FloatArray);
    return this.wrap(dx);
  }

  /** Float32 operands in the wasm memory, or null (other dtypes and places run in TS). */
  private float32s(xs: readonly (TensorInfo | null)[]): (FloatArray | null)[] | null {
    if (xs.some((x) => x !== null && x.dtype !== 'float32')) return null;
    const vs = xs.map((x) => (x ? this.inMemory(x) as FloatArray | null : null));
    return vs.every((v, i) => v !== null || xs[i] === null) ? vs : null;
  }

  private get attentionKernels(): AttentionKernels {
    return { k: this.k, gemm: this.gemmStrided, heap: this.heap };
  }

  override attention(q: TensorInfo, k: TensorInfo, v: TensorInfo, mask: TensorInfo | null,
    attrs: AttentionAttrs): DataId {
    const vs = this.float32s([q, k, v, mask]);
    const sh = attentionShapes(q.shape, k.shape, v.shape);
    const out = vs ? this.result('float32', sh.b * sh.h * sh.nq * sh.dv) : null;
    if (!out) return super.attention(q, k, v, mask, attrs);
    const [qv, kv, vv, mv] = vs!;
    this.holdingScratch(attentionScratchBytes(sh, 1), () => attentionForwardF32(
      this.attentionKernels, qv!, kv!, vv!, mv, sh, attrs, out as FloatArray));
    return this.wrap(out);
  }

  override attentionBackward(q: TensorInfo, k: TensorInfo, v: TensorInfo,
    mask: TensorInfo | null, y: TensorInfo, dy: TensorInfo, attrs: AttentionAttrs):
    ReturnType<CpuBackend['attentionBackward']> {
    const vs = this.float32s([q, k, v, mask, y, dy]);
    const grads = vs ? [q, k, v].map((t) => this.out('float32', sizeOf(t.shape))) : [];
    if (!vs || !grads.every((g) => this.heap.owns(g))) {
      for (const g of grads) this.heap.release(g);
      return super.attentionBackward(q, k, v, mask, y, dy, attrs);
    }
    const [qv, kv, vv, mv, yv, dyv] = vs;
    const [dq, dk, dv] = grads as FloatArray[];
    const sh = attentionShapes(q.shape, k.shape, v.shape);
    this.holdingScratch(attentionScratchBytes(sh, 2), () => attentionBackwardF32(
      this.attentionKernels, qv!, kv!, vv!, mv, yv!, dyv!, sh, attrs, dq, dk, dv));
    return { dq: this.wrap(dq), dk: this.wrap(dk), dv: this.wrap(dv) };
  }

  /**
   * Compiles the kernels (once per process and build), starts the workers and warms the
   * kernels up.
   */
  static async create(options: WasmBackendOptions = {}): Promise<WasmBackend> {
    const unknown = Object.keys(options).filter((k) => k !== 'threads' && k !== 'build');
    if (unknown.length > 0) {
      throw new Error(`setBackend('wasm'): unknown option ${unknown.join(', ')} ` +
        '(known: threads, build)');
    }
    const build = options.build ?? 'auto';
    if (!WASM_BUILDS.includes(build)) {
      throw new Error(`setBackend('wasm'): build must be one of ${WASM_BUILDS.join(', ')}, ` +
        `got '${String(build)}'`);
    }
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
      throw new Error(`setBackend('wasm'): threads must be an integer in [1, 256], got ${threads}`);
    }
    const compiled = await compileKernels(build);
    const heap = new WasmHeap();
    const exports = instantiate(compiled, heap.memory);
    const scratchBytes = exports.gemmScratchBytes();
    const blocks: number[] = [];
    const block = (bytes: number): number => {
      const p = heap.malloc(bytes);
      if (p === null) throw new Error('setBackend(\'wasm\'): cannot reserve kernel scratch');
      blocks.push(p);
      return p;
    };
    const mainScratch = block(scratchBytes);
    const kernel = stridedKernel(exports, mainScratch);
    const warm = block(WARM_BYTES);
    const geometry = block(GEOMETRY_BYTES);
    warmUpOps(exports, heap.memory, warm, geometry);
    warmUp(kernel, heap.memory, warm);
    let pool: ThreadPool | null = null;
    if (threads > 1) {
      // Each worker: the compiled module, the memory, and scratch of its own.
      const workerData = (): WasmWorkerData => ({
        module: compiled.module, flavor: compiled.flavor, memory: heap.memory,
        scratch: block(scratchBytes), warm,
      });
      pool = new ThreadPool(threads, {
        kernel, tile: TILE, byRows: splitByRows,
        worker: { name: 'worker', url: import.meta.url, data: () => ({ ...workerData() }) },
      });
      await pool.ready();
    }
    heap.free(warm);
    blocks.splice(blocks.indexOf(warm), 1);
    const gemm = new WasmGemm(heap, kernel, pool);
    const seam: CpuSeam = {
      threads,
      ...convKernels(exports, heap, geometry,
        { im2col: tsIm2col, col2im: tsCol2im, swap01: tsSwap01 }, pool ? null : mainScratch),
      gemm: gemm.run,
      alloc: (dtype, n, zeroed) => heap.alloc(dtype, n, zeroed),
      release: (values) => heap.release(values),
      close: async () => {
        await pool?.close();
        for (const p of blocks.splice(0)) heap.free(p);
      },
    };
    return new WasmBackend(seam, compiled.flavor, heap, exports, kernel);
  }

  /** Bytes of the shared memory: in use by tensors and scratch, and reserved. */
  heapStats(): {
    /** Bytes in the blocks now handed out to tensors and scratch, each rounded up to its class. */
    inUse: number;
    /** Bytes the WebAssembly memory holds in all (it only grows). */
    reserved: number;
  } {
    return this.heap.stats();
  }
}
