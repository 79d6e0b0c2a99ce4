/**
 * The wasm backend's GEMM runner: operands in the shared memory go to the kernel by address;
 * an operand outside it (a result of a cpu kernel on the JS heap) is copied in first. Large
 * products are split over the thread pool, whose workers run the same kernel on the same
 * memory.
 */
import {
  type FloatArray, type GemmArgs, type StridedGemm, ThreadPool, gemm as tsGemm,
} from '@dlrt/backend-cpu';
import type { WasmHeap } from './heap.js';
import type { KernelExports } from './kernels.js';

/** The kernels' register tile (assembly/gemm.ts): MR rows by 8 f32 / 4 f64 columns. */
export const TILE = { rows: 4, cols: 8 };

/**
 * Up to this many multiply-adds a product of JS-heap operands runs in the TS kernel: copying
 * them into the memory would cost more than it saves.
 */
const COPY_MIN_MNK = 4096;

/** gemmStrided over the kernels of one thread, with its own packing scratch at `scratch`. */
export function stridedKernel(k: KernelExports, scratch: number): StridedGemm {
  return (m, n, kk, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, accumulate) => {
    const e = c.BYTES_PER_ELEMENT;
    if (a.constructor !== c.constructor || b.constructor !== c.constructor) {
      throw new TypeError('gemm: a, b and c must all be Float32Array or all Float64Array');
    }
    const run = e === 8 ? k.gemmF64 : k.gemmF32;
    run(m, n, kk, a.byteOffset + aOff * e, lda, transA ? 1 : 0, b.byteOffset + bOff * e, ldb,
      transB ? 1 : 0, c.byteOffset + cOff * e, ldc, accumulate ? 1 : 0, scratch);
  };
}

/** Size of the warm-up products (n³, with edge tiles in both directions). */
const WARM_N = 131;
/** Bytes of the region `warmUp` computes in. */
export const WARM_BYTES = 3 * WARM_N * WARM_N * 8;

/**
 * Runs every path of the kernel a few times per element type, so V8 moves it to its
 * optimizing tier before real work: the first calls run in the baseline tier (Liftoff) at
 * about half speed, and wasm code is swapped only between calls. Computes in the WARM_BYTES
 * bytes at `region` (its contents are garbage afterwards).
 */
export function warmUp(kernel: StridedGemm, memory: WebAssembly.Memory, region: number): void {
  const n = WARM_N, nn = n * n;
  for (const T of [Float32Array, Float64Array]) {
    const e = T.BYTES_PER_ELEMENT;
    const a = new T(memory.buffer, region, nn), b = new T(memory.buffer, region + nn * e, nn);
    const c = new T(memory.buffer, region + 2 * nn * e, nn);
    a.fill(0.5); b.fill(0.25);
    for (let i = 0; i < 8; i++) {
      const ta = (i & 1) !== 0, tb = (i & 2) !== 0;
      kernel(n, n, n, a, 0, n, ta, b, 0, n, tb, c, 0, n, (i & 4) !== 0);
    }
  }
}

export class WasmGemm {
  constructor(
    private readonly heap: WasmHeap,
    private readonly kernel: StridedGemm,
    private readonly pool: ThreadPool | null,
  ) {}

  /** C = op(A)·op(B) (+ C); see GemmArgs. */
  readonly run = (args: GemmArgs): void => {
    const { m, n, k } = args;
    const heap = this.heap;
    if (heap.owns(args.a) && heap.owns(args.b) && heap.owns(args.c)) {
      this.compute(args);
      return;
    }
    if (m * n * k <= COPY_MIN_MNK) {
      tsGemm(args);
      return;
    }
    const temps: FloatArray[] = [];
    const inMemory = (x: FloatArray, off: number, len: number, copy: boolean) => {
      if (heap.owns(x)) return { x, off };
      const t = heap.alloc(x instanceof Float64Array ? 'float64' : 'float32', len) as FloatArray;
      if (!heap.owns(t)) throw new Error(`wasm gemm: out of wasm memory for ${len} elements`);
      if (copy) t.set(x.subarray(off, off + len));
      temps.push(t);
      return { x: t, off: 0 };
    };
    try {
      const a = inMemory(args.a, args.aOffset, m * k, true);
      const b = inMemory(args.b, args.bOffset, k * n, true);
      const c = inMemory(args.c, args.cOffset, m * n, args.accumulate === true);
      this.compute({
        ...args, a: a.x, aOffset: a.off, b: b.x, bOffset: b.off, c: c.x, cOffset: c.off,
      });
      if (c.x !== args.c) args.c.set(c.x.subarray(0, m * n), args.cOffset);
    } finally {
      for (const t of temps) heap.release(t);
    }
  };

  private compute(x: GemmArgs): void {
    if (this.pool) {
      this.pool.gemm(x);
      return;
    }
    this.kernel(x.m, x.n, x.k, x.a, x.aOffset, x.transA ? x.m : x.k, x.transA,
      x.b, x.bOffset, x.transB ? x.k : x.n, x.transB, x.c, x.cOffset, x.n, x.accumulate === true);
  }
}
