/**
 * The webgpu device thread (see device.ts). It handles messages strictly in order: kernel
 * launches, uploads and frees are queued on the device; a read waits for its buffer and
 * replies. The first device error is kept and returned with the next read. When the queue
 * drains it says so (`idle`), so the main thread can let the process exit between Dawn calls.
 */
import { type FromWorker, SYNC_HEADER, type ToWorker } from './device.js';
import { Executor, loadGpuJs } from './executor.js';
import { installWebGPU } from './modes.js';

/** The starting thread: Node's parentPort, or a browser worker's own scope. */
const parent: { postMessage(m: FromWorker): void; on(t: 'message', f: (m: ToWorker) => void):
  void } = typeof process !== 'undefined' && process.versions?.node
  ? process.getBuiltinModule('node:worker_threads').parentPort! as never
  : {
    postMessage: (m) => (globalThis as unknown as { postMessage(m: unknown): void })
      .postMessage(m),
    on: (_t, f) => (globalThis as unknown as { addEventListener(t: 'message',
      g: (e: { data: ToWorker }) => void): void }).addEventListener('message', (e) => f(e.data)),
  };
let exec: Executor;
let failure: string | undefined;
let queue: Promise<void> = Promise.resolve();
let handled = 0;

async function handle(m: ToWorker): Promise<void> {
  if (m.t === 'run') await exec.run(m.c);
  else if (m.t === 'upload') await exec.upload(m.id, m.values);
  else if (m.t === 'free') exec.free(m.id);
  else {
    let reply: FromWorker;
    if (failure !== undefined) {
      reply = { t: 'read', req: m.req, error: failure };
      failure = undefined;
    } else {
      try {
        reply = { t: 'read', req: m.req, values: await exec.read(m.id) };
      } catch (e) {
        reply = { t: 'read', req: m.req, error: (e as Error).message };
      }
    }
    if (m.shared) {
      answer(m.shared, reply);
    } else {
      parent.postMessage(reply);
    }
  }
}

/** Writes a synchronous read's reply into its shared buffer and wakes the reader. */
function answer(shared: SharedArrayBuffer, reply: FromWorker & { t: 'read' }): void {
  const head = new Int32Array(shared, 0, 2);
  const room = shared.byteLength - SYNC_HEADER;
  let state = 1;
  if (reply.values && 4 * reply.values.length <= room) {
    new Float32Array(shared, SYNC_HEADER, reply.values.length).set(reply.values);
  } else {
    const text = new TextEncoder().encode(reply.error ?? 'the buffer is larger than the read');
    const n = Math.min(text.length, room);
    new Uint8Array(shared, SYNC_HEADER, n).set(text.subarray(0, n));
    head[1] = n;
    state = 2;
  }
  Atomics.store(head, 0, state);
  Atomics.notify(head, 0);
}

try {
  const info = await installWebGPU();
  exec = new Executor('webgpu', await loadGpuJs());
  parent.on('message', (m: ToWorker) => {
    const next: Promise<void> = queue.then(() => handle(m)).catch((e: Error) => {
      // gpu.js appends the whole generated shader to compile errors; the head says enough.
      const head = e.message.split('--- generated')[0].trim().slice(0, 500);
      failure ??= `${m.t === 'run' ? `kernel ${m.c.kernel}: ` : ''}${head}`;
    }).then(() => {
      handled++;
      if (queue === next) parent.postMessage({ t: 'idle', handled } satisfies FromWorker);
    });
    queue = next;
  });
  parent.postMessage({ t: 'ready', info } satisfies FromWorker);
} catch (e) {
  parent.postMessage({ t: 'failed', error: (e as Error).message } satisfies FromWorker);
}
