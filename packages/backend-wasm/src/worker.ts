/**
 * The wasm backend's pool worker: an instance of the kernels over the backend's shared memory,
 * serving the ThreadPool (backend-cpu) with the same kernel as the calling thread.
 */
import { servePool } from '@dlrt/backend-cpu';
import { workerData } from 'node:worker_threads';
import { stridedKernel, warmUp } from './gemm.js';
import { type WasmFlavor, instantiate } from './kernels.js';

/** workerData added by the wasm backend (beside the pool's own). */
export interface WasmWorkerData {
  module: WebAssembly.Module;
  flavor: WasmFlavor;
  memory: WebAssembly.Memory;
  /** This worker's packing scratch (gemmScratchBytes bytes). */
  scratch: number;
  /** A WARM_BYTES region for warmUp (shared by the workers; its contents do not matter). */
  warm: number;
}

const d = workerData as WasmWorkerData;
const kernel = stridedKernel(instantiate(d, d.memory), d.scratch);
warmUp(kernel, d.memory, d.warm);
servePool(kernel);
