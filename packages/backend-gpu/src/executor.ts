/**
 * The device side: one gpu.js `GPU` instance, its compiled kernels, and the table of device
 * buffers by id. It runs in the calling thread for the synchronous modes and inside the worker
 * (worker.ts) for webgpu, whose kernel builds and reads are asynchronous.
 *
 * Every kernel is created once per name with `pipeline: true` (outputs stay on the device and
 * feed later kernels directly), `immutable: true` (each call gets a fresh output buffer) and
 * dynamic output and argument sizes (one compiled kernel serves every shape).
 */
import { KERNELS, type KernelName } from './kernels.js';

/** What a gpu.js pipeline call returns: a device handle, or a typed array in webasm/cpu. */
export interface DeviceResult {
  toArray(): unknown;
  delete(): void;
}
export type Buffer = Float32Array | DeviceResult;

/** gpu.js's kernel object, as far as this file uses it. */
interface Kernel {
  (...args: unknown[]): unknown;
  setOutput(output: number[]): void;
  destroy?(): void;
  kernel?: { constructor: { name: string } };
}

interface GpuJs {
  createKernel(fn: unknown, settings: Record<string, unknown>): Kernel;
  destroy(): unknown;
}

/** One kernel launch: the kernel, the output's id and length, input buffer ids and metadata. */
export interface RunCommand {
  kernel: KernelName;
  out: number;
  size: number;
  inputs: number[];
  meta: Float32Array;
}

/** gpu.js's `GPU` class, with the static feature flags that modes.ts reads. */
export type GpuJsClass = (new (settings: Record<string, unknown>) => GpuJs) &
  Record<string, unknown>;

let gpuJs: Promise<GpuJsClass> | null = null;

/**
 * The gpu.js class, imported once. gpu.js is CommonJS, so its exports arrive as the module's
 * default; a bundler for the browser picks its browser build (package.json "browser").
 */
export function loadGpuJs(): Promise<GpuJsClass> {
  gpuJs ??= import('gpu.js').then((m: { default?: { GPU: unknown }; GPU?: unknown }) =>
    (m.default?.GPU ?? m.GPU) as GpuJsClass);
  return gpuJs;
}

export class Executor {
  private readonly kernels = new Map<KernelName, Kernel>();
  private readonly buffers = new Map<number, Buffer>();
  private readonly gpu: GpuJs;

  /** @param GPU gpu.js's class, from `loadGpuJs`. */
  constructor(readonly mode: string, GPU: GpuJsClass) {
    this.gpu = new GPU({ mode });
  }

  private kernel(name: KernelName, size: number): Kernel {
    let k = this.kernels.get(name);
    if (!k) {
      const s = KERNELS[name];
      const argumentTypes = Object.fromEntries(s.args.map((a) => [a, 'Array']));
      k = this.gpu.createKernel(s.fn, {
        output: [size], pipeline: true, immutable: true, dynamicOutput: true,
        dynamicArguments: true, argumentTypes, tactic: 'precision', loopMaxIterations: 1 << 24,
      });
      this.kernels.set(name, k);
    }
    k.setOutput([size]);
    return k;
  }

  /** The class gpu.js actually runs a kernel with (it can degrade, e.g. webasm → cpu). */
  kernelClass(name: KernelName): string | undefined {
    return this.kernels.get(name)?.kernel?.constructor.name;
  }

  private input(id: number): Buffer {
    const b = this.buffers.get(id);
    if (b === undefined) throw new Error(`gpu: device buffer ${id} is missing (freed?)`);
    return b;
  }

  /** Launches a kernel; in webgpu mode the result settles asynchronously. */
  run(c: RunCommand): void | Promise<void> {
    const k = this.kernel(c.kernel, c.size);
    const result = k(...c.inputs.map((id) => this.input(id)), c.meta) as Buffer | Promise<Buffer>;
    if (result instanceof Promise) return result.then((r) => this.store(c.out, r));
    this.store(c.out, result);
  }

  /** A host array onto the device: stored as is, and copied through a kernel on first use. */
  upload(id: number, values: Float32Array): void | Promise<void> {
    this.buffers.set(id, values);
    if (this.mode !== 'webgpu' || values.length === 0) return;
    // webgpu: copy into a device buffer now, so later kernels read it without re-uploading.
    const meta = new Float32Array(14);
    meta.fill(1, 2, 7);
    meta[7] = values.length;
    meta[13] = 1;
    return this.run({ kernel: 'strided', out: id, size: values.length, inputs: [id], meta });
  }

  private store(id: number, r: Buffer): void {
    const old = this.buffers.get(id);
    if (old !== undefined && old !== r && !(old instanceof Float32Array)) old.delete();
    this.buffers.set(id, r);
  }

  read(id: number): Float32Array | Promise<Float32Array> {
    const b = this.input(id);
    if (b instanceof Float32Array) return b.slice();
    const v = b.toArray();
    if (v instanceof Promise) return v.then((a: ArrayLike<number>) => Float32Array.from(a));
    return Float32Array.from(v as ArrayLike<number>);
  }

  free(id: number): void {
    const b = this.buffers.get(id);
    this.buffers.delete(id);
    if (b !== undefined && !(b instanceof Float32Array)) b.delete();
  }

  get liveBuffers(): number {
    return this.buffers.size;
  }

  destroy(): void {
    for (const id of [...this.buffers.keys()]) this.free(id);
    for (const k of this.kernels.values()) k.destroy?.();
    this.kernels.clear();
    this.gpu.destroy();
  }
}
