/**
 * Worker-thread pool for large kernels, on SharedArrayBuffer. Ops are synchronous, so the
 * calling thread posts the job to the workers, works on it too, then blocks in Atomics.wait
 * until the workers that joined the job are done. Workers idle in their event loop (not in
 * Atomics.wait), so the message itself wakes them.
 *
 * C is cut into row (or, for wide C, column) blocks that threads claim from a shared counter,
 * largest first (guided scheduling): a thread slowed by a noisy neighbour claims less. Waking
 * an idle worker takes 20–600 µs on this VM, so a worker joins a job only while it is open:
 * when the caller has claimed the last block it closes the job and waits only for workers
 * that joined; a worker that wakes later finds the job closed and drops the message.
 */
import type { Worker } from 'node:worker_threads';
import { MR, NR } from '../kernels/gemm-config.js';
import { gemm, gemmStrided, type StridedGemm } from '../kernels/gemm.js';
import type { FloatArray, GemmArgs } from '../kernels/gemm-types.js';
import { startWorker } from './start-worker.js';

/** A GEMM job; offsets are in elements from the start of each buffer. */
export interface GemmJob {
  f64: boolean;
  m: number; n: number; k: number;
  a: SharedArrayBuffer; aOff: number; lda: number; transA: boolean;
  b: SharedArrayBuffer; bOff: number; ldb: number; transB: boolean;
  c: SharedArrayBuffer; cOff: number; accumulate: boolean;
  /** Generation of the job (odd); a worker joins only while sync[SYNC_STATE] has it open. */
  gen: number;
  /** Split C by rows (else by columns), in blocks of whole units (tile rows or columns). */
  byRows: boolean; unit: number; units: number;
  /** Smallest block, in units; threads sharing the job. */
  minBlock: number; threads: number;
}

/** workerData of a pool worker. */
export interface PoolInit {
  /** Int32 [SYNC_STATE, SYNC_ERROR, SYNC_NEXT]. */
  sync: SharedArrayBuffer;
  /** UTF-8 text of the first worker error, SYNC_ERROR bytes long. */
  error: SharedArrayBuffer;
}

/**
 * Index in `sync` of the job state: generation · 256 + workers active in the job. An odd
 * generation is open (workers may join), the following even one closed.
 */
export const SYNC_STATE = 0;
/** Generations wrap at this mask (gen · 256 stays a positive int32). */
const GEN_MASK = (1 << 22) - 1;
/** Index in `sync` of the error text length (0 = no error, -1 = being written). */
export const SYNC_ERROR = 1;
/** Index in `sync` of the first unit not yet claimed. */
export const SYNC_NEXT = 2;
/** Size of the shared error-text buffer. */
export const ERROR_BYTES = 1024;

/**
 * Smallest product (m·n·k multiply-adds) worth splitting. Waking a worker takes 0.1–0.6 ms on
 * the 2-vCPU VM, and a woken worker sometimes lands on the caller's vCPU for a while.
 * Measured 2-thread speedups: 128³ (2.1·10⁶) 0.8–1.35×; 128×784·784×32 (3.2·10⁶)
 * 1.3–1.8×.
 */
export const PARALLEL_MIN_MNK = 3_000_000;

/**
 * Smallest block, in rows/columns of C. Each block packs the whole operand that is not split
 * again (k·n for a row block), which costs about as much as ~48 rows' worth of kernel work.
 */
const MIN_BLOCK = 48;

/** Element types `allocShared` can allocate. */
export type SharedDType = 'float32' | 'float64' | 'int32';

/**
 * A zeroed typed array on a SharedArrayBuffer: tensors allocated this way are handed to the
 * pool's workers without copying.
 * @throws Error for another dtype.
 * @example const c = allocShared('float64', m * n);   // pool.gemm writes it in place
 */
export function allocShared(dtype: 'float32', n: number): Float32Array;
export function allocShared(dtype: 'float64', n: number): Float64Array;
export function allocShared(dtype: 'int32', n: number): Int32Array;
export function allocShared(
  dtype: SharedDType, n: number,
): Float32Array | Float64Array | Int32Array;
export function allocShared(
  dtype: SharedDType, n: number,
): Float32Array | Float64Array | Int32Array {
  switch (dtype) {
    case 'float32': return new Float32Array(new SharedArrayBuffer(4 * n));
    case 'float64': return new Float64Array(new SharedArrayBuffer(8 * n));
    case 'int32': return new Int32Array(new SharedArrayBuffer(4 * n));
    default: throw new Error(`allocShared: unknown dtype ${String(dtype)}`);
  }
}

/** True when `x` is a view of a SharedArrayBuffer (workers can use it without a copy). */
export function isShared(x: ArrayBufferView): boolean {
  return x.buffer instanceof SharedArrayBuffer;
}

const ROLE_A = 0, ROLE_B = 1, ROLE_C = 2;

/** How a pool computes: the defaults are this package's TS kernel and worker. */
export interface PoolOptions {
  /** The GEMM every thread runs on its blocks of C (gemmStrided's signature). */
  kernel?: StridedGemm;
  /** The kernel's register tile: blocks of C are whole multiples of it. */
  tile?: {
    /** Rows of C per register tile: row blocks are multiples of it (default MR). */
    rows: number;
    /** Columns of C per register tile: column blocks are multiples of it (default NR). */
    cols: number;
  };
  /**
   * Whether to split C (m×n) by rows rather than columns. Default: rows when n ≤ m, so each
   * block re-packs the smaller operand (the TS kernel packs both).
   */
  byRows?: (m: number, n: number) => boolean;
  /**
   * The worker script, beside the module at `url`, that calls `servePool` with the same
   * kernel; `data(i)` is added to worker i's workerData.
   */
  worker?: {
    /** The script's file name without extension (`<name>.js` built, `<name>.ts` in sources). */
    name: string;
    /** URL of a module beside the script, usually the caller's `import.meta.url`. */
    url: string;
    /** Extra workerData for worker i (1 … threads − 1), merged over the pool's own. */
    data?: (i: number) => Record<string, unknown>;
  };
}

/**
 * A pool of `threads − 1` worker threads plus the caller that run one GEMM at a time, split
 * in blocks of C (see the module comment). Products below PARALLEL_MIN_MNK multiply-adds, or
 * too narrow to split, run on the calling thread; operands not on a SharedArrayBuffer are
 * copied to shared scratch. Throws unless threads is an integer in [1, 256].
 * @example const pool = new ThreadPool(2); await pool.ready();
 *          pool.gemm({ m, n, k, a, aOffset: 0, transA: false, b, bOffset: 0, transB: false,
 *            c, cOffset: 0 }); await pool.close();
 */
export class ThreadPool {
  /** Threads used for one kernel, counting the calling thread. */
  readonly threads: number;
  private readonly workers: Worker[] = [];
  /** Per worker: resolves true when it runs, false when it failed to start. */
  private readonly started: Promise<boolean>[] = [];
  private readonly sync: Int32Array;
  private readonly errorBytes: Uint8Array;
  private gen = 1;
  /** Shared copies of non-shared operands, per [float32, float64] × [a, b, c]; grown on demand. */
  private readonly scratch: (FloatArray | null)[][] = [[null, null, null], [null, null, null]];
  private closed = false;
  private readonly kernel: StridedGemm;
  private readonly tile: { rows: number; cols: number };
  private readonly byRows: (m: number, n: number) => boolean;

  /** `threads` counts the calling thread: threads = 2 starts one worker. */
  constructor(threads: number, options: PoolOptions = {}) {
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
      throw new Error(`ThreadPool: threads must be an integer in [1, 256], got ${threads}`);
    }
    this.threads = threads;
    this.kernel = options.kernel ?? gemmStrided;
    this.tile = options.tile ?? { rows: MR, cols: NR };
    this.byRows = options.byRows ?? ((m, n) => n <= m);
    const init: PoolInit = {
      sync: new SharedArrayBuffer(3 * 4), error: new SharedArrayBuffer(ERROR_BYTES),
    };
    this.sync = new Int32Array(init.sync);
    this.errorBytes = new Uint8Array(init.error);
    const script = options.worker ?? { name: 'worker', url: import.meta.url };
    for (let i = 1; i < threads; i++) {
      const workerData = { ...init, ...script.data?.(i) };
      // execArgv []: the worker does not load the parent's loaders (they would slow it).
      const w = startWorker(script.name, script.url, { workerData, execArgv: [] });
      w.unref(); // a process that never calls close() still exits
      // A worker that failed to start (or died between jobs) never joins a job: drop it.
      this.started.push(new Promise<boolean>((resolve) => {
        w.once('message', () => resolve(true));
        w.on('error', (e) => {
          const i = this.workers.indexOf(w);
          if (i >= 0) this.workers.splice(i, 1);
          process.emitWarning(`ThreadPool: a worker failed, ${this.workers.length} left: ${e}`);
          resolve(false);
        });
      }));
      this.workers.push(w);
    }
  }

  /** Resolves, once every worker has started or failed, to the number that started. */
  async ready(): Promise<number> {
    return (await Promise.all(this.started)).filter(Boolean).length;
  }

  /** C = op(A)·op(B) (+ C) on all threads; small products run on the calling thread. */
  gemm(args: GemmArgs): void {
    const { m, n, k } = args;
    const sameType = args.a.constructor === args.c.constructor
      && args.b.constructor === args.c.constructor; // else gemm() throws the TypeError
    const byRows = this.byRows(m, n);
    const unit = byRows ? this.tile.rows : this.tile.cols;
    const units = Math.ceil((byRows ? m : n) / unit);
    // At most ~4 blocks per thread: every block re-packs the operand that is not split.
    const minBlock = Math.max(Math.ceil(MIN_BLOCK / unit), Math.ceil(units / (4 * this.threads)));
    if (this.closed || this.workers.length === 0 || !sameType
      || m * n * k < PARALLEL_MIN_MNK || units < 2 * minBlock) {
      if (this.kernel === gemmStrided) gemm(args);
      else runAlone(this.kernel, args);
      return;
    }
    const acc = args.accumulate === true;
    const a = this.share(args.a, args.aOffset, m * k, ROLE_A, true);
    const b = this.share(args.b, args.bOffset, k * n, ROLE_B, true);
    const c = this.share(args.c, args.cOffset, m * n, ROLE_C, acc);
    const e = c.BYTES_PER_ELEMENT;
    const offset = (x: FloatArray, original: FloatArray, off: number) =>
      x.byteOffset / e + (x === original ? off : 0);
    const job: GemmJob = {
      f64: c instanceof Float64Array, m, n, k,
      a: a.buffer as SharedArrayBuffer, aOff: offset(a, args.a, args.aOffset),
      lda: args.transA ? m : k, transA: args.transA,
      b: b.buffer as SharedArrayBuffer, bOff: offset(b, args.b, args.bOffset),
      ldb: args.transB ? k : n, transB: args.transB,
      c: c.buffer as SharedArrayBuffer, cOff: offset(c, args.c, args.cOffset), accumulate: acc,
      gen: (this.gen = (this.gen + 2) & GEN_MASK), byRows, unit, units, minBlock,
      threads: this.threads,
    };
    const sync = this.sync;
    Atomics.store(sync, SYNC_ERROR, 0);
    Atomics.store(sync, SYNC_NEXT, 0);
    Atomics.store(sync, SYNC_STATE, job.gen * 256); // open, nobody joined yet
    for (const w of this.workers) w.postMessage(job);
    let failure: unknown = null;
    try {
      runJob(job, sync, this.kernel);
    } catch (err) {
      failure = err; // workers may still use the buffers: wait for them before throwing
    }
    // Close the job (no more joins), then wait until no worker is active in it.
    const closed = ((job.gen + 1) & GEN_MASK) * 256;
    for (let s = Atomics.load(sync, SYNC_STATE); ;) {
      const seen = Atomics.compareExchange(sync, SYNC_STATE, s, closed + (s & 255));
      if (seen === s) break;
      s = seen;
    }
    for (let s = Atomics.load(sync, SYNC_STATE); (s & 255) !== 0;) {
      Atomics.wait(sync, SYNC_STATE, s);
      s = Atomics.load(sync, SYNC_STATE);
    }
    if (failure) throw failure;
    const errLength = Atomics.load(this.sync, SYNC_ERROR);
    if (errLength !== 0) {
      const text = new TextDecoder().decode(this.errorBytes.slice(0, Math.max(0, errLength)));
      throw new Error(`ThreadPool worker failed: ${text}`);
    }
    if (c !== args.c) args.c.set(c.subarray(0, m * n), args.cOffset);
  }

  /** Terminates the workers; later calls run on the calling thread only. */
  async close(): Promise<void> {
    this.closed = true;
    const ws = this.workers.splice(0);
    await Promise.all(ws.map((w) => w.terminate()));
  }

  /** `x` itself if shared, else a pooled shared scratch (holding x[off..off+len] if `copy`). */
  private share(x: FloatArray, off: number, len: number, role: number, copy: boolean): FloatArray {
    if (isShared(x)) return x;
    const f64 = x instanceof Float64Array;
    const slot = this.scratch[f64 ? 1 : 0];
    let s = slot[role];
    if (s === null || s.length < len) {
      const size = Math.max(len, s ? 2 * s.length : 0);
      s = f64 ? allocShared('float64', size) : allocShared('float32', size);
      slot[role] = s;
    }
    if (copy) s.set(x.subarray(off, off + len));
    return s;
  }
}

/**
 * Joins `job` if it is still open (a worker must not touch a closed job's buffers); on
 * success the caller must `leaveJob` when done.
 */
export function joinJob(job: GemmJob, sync: Int32Array): boolean {
  for (let s = Atomics.load(sync, SYNC_STATE); ;) {
    if (s >>> 8 !== job.gen) return false;
    const seen = Atomics.compareExchange(sync, SYNC_STATE, s, s + 1);
    if (seen === s) return true;
    s = seen;
  }
}

/** Leaves a joined job and wakes the caller waiting for active workers. */
export function leaveJob(sync: Int32Array): void {
  Atomics.sub(sync, SYNC_STATE, 1);
  Atomics.notify(sync, SYNC_STATE);
}

/**
 * Claims blocks of `job` from sync[SYNC_NEXT] and computes them until none is left; run by
 * the calling thread and by every worker that joined.
 */
export function runJob(job: GemmJob, sync: Int32Array, kernel: StridedGemm): void {
  const view = (buf: SharedArrayBuffer): FloatArray => (job.f64
    ? new Float64Array(buf, 0, buf.byteLength >> 3)
    : new Float32Array(buf, 0, buf.byteLength >> 2));
  const a = view(job.a), b = view(job.b), c = view(job.c);
  const { m, n, k, lda, ldb, transA, transB, accumulate } = job;
  const unit = job.unit, extent = job.byRows ? m : n;
  for (let next = Atomics.load(sync, SYNC_NEXT); next < job.units;) {
    // Guided: a 1/threads share of what is left, at least minBlock units.
    const left = job.units - next;
    const size = Math.min(left, Math.max(job.minBlock, Math.ceil(left / job.threads)));
    const seen = Atomics.compareExchange(sync, SYNC_NEXT, next, next + size);
    if (seen !== next) {
      next = seen; // another thread claimed first
      continue;
    }
    const lo = next * unit, hi = Math.min((next + size) * unit, extent);
    if (job.byRows) {
      kernel(hi - lo, n, k, a, job.aOff + lo * (transA ? 1 : lda), lda, transA,
        b, job.bOff, ldb, transB, c, job.cOff + lo * n, n, accumulate);
    } else {
      kernel(m, hi - lo, k, a, job.aOff, lda, transA,
        b, job.bOff + lo * (transB ? ldb : 1), ldb, transB, c, job.cOff + lo, n, accumulate);
    }
    next = Atomics.load(sync, SYNC_NEXT);
  }
}

/** One whole GEMM through a strided kernel (the pool's path for products not worth splitting). */
function runAlone(kernel: StridedGemm, x: GemmArgs): void {
  kernel(x.m, x.n, x.k, x.a, x.aOffset, x.transA ? x.m : x.k, x.transA,
    x.b, x.bOffset, x.transB ? x.k : x.n, x.transB, x.c, x.cOffset, x.n, x.accumulate === true);
}
