/**
 * Where kernels run. `LocalDevice` runs gpu.js in this thread (webasm, cpu, webgl2, webgl,
 * headlessgl: their kernel calls are synchronous). `WorkerDevice` runs it in a worker thread
 * (webgpu: kernel builds and buffer reads are asynchronous there), so that kernel launches from
 * this thread stay synchronous and a synchronous read can block on Atomics until the worker
 * has the values.
 */
import { startWorker } from '@dlrt/backend-cpu';
import { Executor, type GpuJsClass, type RunCommand } from './executor.js';
import type { GpuMode } from './modes.js';

export interface Device {
  readonly mode: GpuMode;
  /** The adapter or engine that runs the kernels, in words. */
  readonly info: string;
  /** A fresh buffer id. */
  newId(): number;
  run(c: RunCommand): void;
  upload(id: number, values: Float32Array): void;
  /** The `size` values of buffer `id`, waiting for the device work that writes them. */
  readSync(id: number, size: number): Float32Array;
  read(id: number): Promise<Float32Array>;
  free(id: number): void;
  close(): Promise<void>;
}

export class LocalDevice implements Device {
  private readonly exec: Executor;
  private nextId = 1;

  newId(): number {
    return this.nextId++;
  }

  /** @param GPU gpu.js's class, from `loadGpuJs`. */
  constructor(readonly mode: GpuMode, GPU: GpuJsClass) {
    this.exec = new Executor(mode, GPU);
  }

  get info(): string {
    const kernel = this.exec.kernelClass('unary') ?? 'kernel class chosen on first use';
    return `gpu.js ${this.mode} (${kernel})`;
  }

  run(c: RunCommand): void {
    void this.exec.run(c);
  }

  upload(id: number, values: Float32Array): void {
    void this.exec.upload(id, values);
  }

  readSync(id: number): Float32Array {
    const v = this.exec.read(id);
    if (v instanceof Promise) throw new Error(`gpu ${this.mode}: this mode reads asynchronously`);
    return v;
  }

  async read(id: number): Promise<Float32Array> {
    return this.readSync(id);
  }

  free(id: number): void {
    this.exec.free(id);
  }

  async close(): Promise<void> {
    this.exec.destroy();
  }
}

/** Messages to the worker (worker.ts). */
export type ToWorker =
  | { t: 'run'; c: RunCommand }
  | { t: 'upload'; id: number; values: Float32Array }
  | { t: 'free'; id: number }
  | { t: 'read'; id: number; req: number; shared?: SharedArrayBuffer };

/**
 * Replies: `ready` once, then one per read (values, or the first device error since), and
 * `idle` whenever the worker's queue drains (with how many messages it has handled in all).
 */
export type FromWorker =
  | { t: 'ready'; info: string }
  | { t: 'failed'; error: string }
  | { t: 'read'; req: number; values?: Float32Array; error?: string }
  | { t: 'idle'; handled: number };

const SYNC_READ_TIMEOUT_MS = 120_000;
/** A synchronous read's reply: state and error length (int32 each), then the payload. */
export const SYNC_HEADER = 8;
const SYNC_ERROR_BYTES = 4096;

type ReadReply = FromWorker & { t: 'read' };

/** The device thread as this file uses it: a Node worker thread or a browser Worker. */
interface DevicePort {
  post(m: ToWorker): void;
  listen(f: (m: FromWorker) => void): void;
  /** The first message, or the worker's failure to start. */
  first(): Promise<FromWorker>;
  /** Keep the process alive for the worker (Node; a page has nothing to keep alive). */
  ref(): void;
  unref(): void;
  terminate(): Promise<unknown>;
}

/** A page's Worker (DOM type, declared here: the package compiles without the DOM lib). */
interface PageWorker {
  postMessage(m: unknown): void;
  addEventListener(type: 'message' | 'error',
    f: (e: { data?: unknown; message?: string }) => void): void;
  terminate(): void;
}
declare const Worker: new (url: URL, o: { type: 'module' }) => PageWorker;

/** Whether this runs in Node (else in a browser, a page or a worker). */
const inNode = typeof process !== 'undefined' && process.versions?.node !== undefined;

function startNodePort(): DevicePort {
  // Dawn's GLES fallback reads this from the process environment, which a worker inherits.
  process.env.EGL_PLATFORM = 'surfaceless';
  // A worker inherits the process's flags; `--input-type` (node -e) is refused for a file.
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  const w = startWorker('worker', import.meta.url, { execArgv });
  return {
    post: (m) => w.postMessage(m),
    listen: (f) => w.on('message', f),
    first: () => new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    }),
    ref: () => w.ref(),
    unref: () => w.unref(),
    terminate: () => w.terminate(),
  };
}

function startPagePort(): DevicePort {
  // Written out in full so that a bundler (Vite, webpack) finds and bundles the worker.
  const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  return {
    post: (m) => w.postMessage(m),
    listen: (f) => w.addEventListener('message', (e) => f(e.data as FromWorker)),
    first: () => new Promise((resolve, reject) => {
      w.addEventListener('message', (e) => resolve(e.data as FromWorker));
      w.addEventListener('error', (e) => reject(new Error(`the webgpu worker failed: ` +
        `${e.message ?? 'no message'}`)));
    }),
    ref: () => {},
    unref: () => {},
    terminate: async () => w.terminate(),
  };
}

/**
 * The one webgpu worker of the process. Dawn is started once and kept: starting and stopping
 * a Dawn device per backend instance is slow (≈2 s here) and tearing one down while another
 * thread starts one crashed Dawn's GLES backend in our tests. The worker keeps the process
 * alive only while it has work: from a post until it reports every posted message handled
 * (and no asynchronous read waits). Exiting while it was inside a Dawn call killed the process
 * with a fatal N-API error after the last test of a file had passed.
 */
class DeviceThread {
  private static shared: Promise<DeviceThread> | null = null;
  private nextReq = 1;
  private nextId = 1;
  private readonly pending = new Map<number, (m: ReadReply) => void>();
  private posted = 0;
  private handled = 0;
  private busy = false;

  private constructor(private readonly worker: DevicePort, readonly info: string) {
    worker.listen((m: FromWorker) => {
      if (m.t === 'idle') {
        this.handled = m.handled;
      } else if (m.t === 'read') {
        this.pending.get(m.req)?.(m);
        this.pending.delete(m.req);
      }
      this.releaseIfIdle();
    });
    worker.unref();
  }

  /** Lets the process exit once the worker has handled every message and no read waits. */
  private releaseIfIdle(): void {
    if (this.busy && this.handled === this.posted && this.pending.size === 0) {
      this.worker.unref();
      this.busy = false;
    }
  }

  /** The shared thread, started on first use; a failed start is remembered. */
  static get(): Promise<DeviceThread> {
    DeviceThread.shared ??= DeviceThread.start();
    return DeviceThread.shared;
  }

  private static async start(): Promise<DeviceThread> {
    const worker = inNode ? startNodePort() : startPagePort();
    const first = await worker.first();
    if (first.t !== 'ready') {
      await worker.terminate();
      throw new Error(first.t === 'failed' ? first.error : 'the webgpu worker did not start');
    }
    return new DeviceThread(worker, first.info);
  }

  newId(): number {
    return this.nextId++;
  }

  post(m: ToWorker): void {
    this.posted++;
    if (!this.busy) {
      this.worker.ref();
      this.busy = true;
    }
    this.worker.post(m);
  }

  /**
   * Posts the read with a shared buffer for the reply, then blocks until the worker has filled
   * it: int32 state (1 values, 2 error), int32 error length, then the values or the message.
   */
  readSync(id: number, size: number): Float32Array {
    const shared = new SharedArrayBuffer(SYNC_HEADER + Math.max(4 * size, SYNC_ERROR_BYTES));
    const head = new Int32Array(shared, 0, 2);
    this.post({ t: 'read', id, req: this.nextReq++, shared });
    while (Atomics.load(head, 0) === 0) {
      if (Atomics.wait(head, 0, 0, SYNC_READ_TIMEOUT_MS) === 'timed-out') {
        throw new Error(`gpu webgpu: a read of buffer ${id} took over ${SYNC_READ_TIMEOUT_MS} ms`);
      }
    }
    if (head[0] !== 1) {
      const text = new TextDecoder().decode(new Uint8Array(shared, SYNC_HEADER, head[1]).slice());
      throw new Error(`gpu webgpu: device error: ${text}`);
    }
    return new Float32Array(shared, SYNC_HEADER, size).slice();
  }

  read(id: number): Promise<Float32Array> {
    const req = this.nextReq++;
    const done = new Promise<ReadReply>((resolve) => this.pending.set(req, resolve));
    this.post({ t: 'read', id, req });
    return done.then((m) => values(m, id));
  }
}

function values(m: ReadReply | undefined, id: number): Float32Array {
  if (!m) throw new Error(`gpu webgpu: no reply to the read of buffer ${id}`);
  if (m.error !== undefined) throw new Error(`gpu webgpu: device error: ${m.error}`);
  return m.values!;
}

/** One backend instance's view of the webgpu thread: its buffers, freed on close. */
export class WorkerDevice implements Device {
  readonly mode = 'webgpu' as const;
  private readonly live = new Set<number>();
  private closed = false;

  private constructor(private readonly thread: DeviceThread) {}

  /** Starts (or joins) the webgpu thread; throws when Dawn finds no adapter. */
  static async start(): Promise<WorkerDevice> {
    return new WorkerDevice(await DeviceThread.get());
  }

  get info(): string {
    return this.thread.info;
  }

  newId(): number {
    return this.thread.newId();
  }

  private check(): void {
    if (this.closed) throw new Error('gpu webgpu: the backend was closed');
  }

  run(c: RunCommand): void {
    this.check();
    this.live.add(c.out);
    this.thread.post({ t: 'run', c });
  }

  upload(id: number, values: Float32Array): void {
    this.check();
    this.live.add(id);
    this.thread.post({ t: 'upload', id, values });
  }

  readSync(id: number, size: number): Float32Array {
    this.check();
    return this.thread.readSync(id, size);
  }

  read(id: number): Promise<Float32Array> {
    this.check();
    return this.thread.read(id);
  }

  free(id: number): void {
    if (this.closed || !this.live.delete(id)) return;
    this.thread.post({ t: 'free', id });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const id of this.live) this.thread.post({ t: 'free', id });
    this.live.clear();
    this.closed = true;
  }
}
