/**
 * The wasm backend: the cpu backend's kernels and storage layout, with storage in one shared
 * WebAssembly.Memory and GEMM (matmul and the convolutions' products) in WebAssembly SIMD.
 */
import { CpuBackend, type CpuSeam, ThreadPool } from '@dlrt/backend-cpu';
import { WARM_BYTES, WasmGemm, TILE, stridedKernel, warmUp } from './gemm.js';
import { WasmHeap } from './heap.js';
import { type WasmFlavor, compileKernels, instantiate } from './kernels.js';
import type { WasmWorkerData } from './worker.js';

/**
 * The kernel packs only B and reads A in place, so a column block of C packs just its own
 * columns of B while a row block packs all of B again: split by columns unless C is too
 * narrow to give each thread several column panels.
 */
function splitByRows(_m: number, n: number): boolean {
  return n < 256;
}

/** Options of `setBackend('wasm', options)`. */
export interface WasmBackendOptions {
  /** Threads for large kernels, counting the calling thread (1 = no workers). Default 1. */
  threads?: number;
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
  ) {
    super({}, seam);
  }

  /** Compiles the kernels (once per process), starts the workers and warms the kernels up. */
  static async create(options: WasmBackendOptions = {}): Promise<WasmBackend> {
    const unknown = Object.keys(options).filter((k) => k !== 'threads');
    if (unknown.length > 0) {
      throw new Error(`setBackend('wasm'): unknown option ${unknown.join(', ')} (known: threads)`);
    }
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
      throw new Error(`setBackend('wasm'): threads must be an integer in [1, 256], got ${threads}`);
    }
    const compiled = await compileKernels();
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
    const kernel = stridedKernel(exports, block(scratchBytes));
    const warm = block(WARM_BYTES);
    warmUp(kernel, heap.memory, warm);
    let pool: ThreadPool | null = null;
    if (threads > 1) {
      const data = (): WasmWorkerData => ({
        module: compiled.module, flavor: compiled.flavor, memory: heap.memory,
        scratch: block(scratchBytes), warm,
      });
      pool = new ThreadPool(threads, {
        kernel, tile: TILE, byRows: splitByRows,
        worker: { name: 'worker', url: import.meta.url, data: () => ({ ...data() }) },
      });
      await pool.ready();
    }
    heap.free(warm);
    blocks.splice(blocks.indexOf(warm), 1);
    const gemm = new WasmGemm(heap, kernel, pool);
    const seam: CpuSeam = {
      threads,
      gemm: gemm.run,
      alloc: (dtype, n) => heap.alloc(dtype, n),
      release: (values) => heap.release(values),
      close: async () => {
        await pool?.close();
        for (const p of blocks.splice(0)) heap.free(p);
      },
    };
    return new WasmBackend(seam, compiled.flavor, heap);
  }

  /** Bytes of the shared memory: in use by tensors and scratch, and reserved. */
  heapStats(): { inUse: number; reserved: number } {
    return this.heap.stats();
  }
}
