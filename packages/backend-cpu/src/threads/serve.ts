/**
 * The body of a pool worker: joins the GEMM jobs posted by ThreadPool (pool.ts) while they
 * are open, claims and computes blocks on shared memory with `kernel`, then leaves the job,
 * waking the caller in Atomics.wait.
 */
import type { StridedGemm } from '../kernels/gemm.js';
import {
  ERROR_BYTES, type GemmJob, type PoolInit, SYNC_ERROR, joinJob, leaveJob, runJob,
} from './pool.js';

/**
 * Serves the pool that started this worker with `kernel`, the same kernel as the pool's; call
 * it once, at the top level of the worker script named in PoolOptions.worker.
 * @example servePool(gemmStrided);   // the whole of a worker script
 */
export function servePool(kernel: StridedGemm): void {
  // Loaded here, not imported: this module is part of the package's (browser-safe) index.
  const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
  const init = workerData as PoolInit;
  const sync = new Int32Array(init.sync);
  const errorBytes = new Uint8Array(init.error);

  /** Writes the first error's text to the shared error buffer (later errors are dropped). */
  const reportError = (e: unknown): void => {
    if (Atomics.compareExchange(sync, SYNC_ERROR, 0, -1) !== 0) return;
    const text = new TextEncoder().encode(e instanceof Error ? e.stack ?? e.message : String(e));
    const len = Math.max(1, Math.min(text.length, ERROR_BYTES));
    errorBytes.set(text.subarray(0, len));
    Atomics.store(sync, SYNC_ERROR, len);
  };

  parentPort!.on('message', (job: GemmJob) => {
    if (!joinJob(job, sync)) return; // the caller already finished this job alone
    try {
      runJob(job, sync, kernel);
    } catch (e) {
      reportError(e);
    }
    leaveJob(sync);
  });

  // Tells the pool this worker runs (see ThreadPool.ready).
  parentPort!.postMessage('ready');
}
