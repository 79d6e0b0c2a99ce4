/**
 * gpu.js modes: which exist, which work on this machine, and the Node setup of WebGPU.
 *
 * In Node, WebGPU comes from the npm `webgpu` package (Dawn). A machine with a GPU gets Dawn's
 * default adapter. Without one, Dawn's OpenGL ES backend runs on Mesa's llvmpipe, which needs
 * `EGL_PLATFORM=surfaceless` in the process environment and the compatibility feature level.
 * That fallback is software rendering on the CPU.
 */
import { WorkerDevice } from './device.js';
import { loadGpuJs } from './executor.js';
import { GPU_MODES, type GpuMode } from './mode-names.js';

export { GPU_MODES, type GpuMode };

interface Adapter {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  features?: Set<string>;
}
interface NodeGpu {
  requestAdapter(o?: Record<string, unknown>): Promise<Adapter | null>;
}

/** A short description of an adapter, e.g. "llvmpipe (LLVM 15.0.6, 256 bits) via opengles". */
function describe(a: Adapter, via: string): string {
  const i = a.info ?? {};
  const name = [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' ');
  return `${name || 'unknown adapter'} via ${via}`;
}

/**
 * Puts a Dawn `navigator.gpu` on globalThis (gpu.js looks for it there) and returns a
 * description of its adapter; throws when no adapter answers. It sets EGL_PLATFORM before
 * Dawn starts, since the GLES fallback reads it; call it on the main thread before starting
 * a worker, so that the worker's Dawn sees the variable too.
 */
export async function installWebGPU(): Promise<string> {
  const own = (globalThis as { navigator?: { gpu?: NodeGpu } }).navigator?.gpu;
  if (typeof process === 'undefined' || !process.versions?.node) {
    // A browser brings its own WebGPU.
    const a = own ? await own.requestAdapter().catch(() => null) : null;
    if (!a) throw new Error(`webgpu: ${own ? 'no adapter' : 'this browser has no WebGPU'}`);
    return describe(a, 'the browser');
  }
  process.env.EGL_PLATFORM = 'surfaceless';
  // A name in a variable, so that a bundler for the browser does not pull Dawn in.
  const dawn = 'webgpu';
  const { create, globals } = await import(/* @vite-ignore */ dawn) as typeof import('webgpu');
  Object.assign(globalThis, globals);
  const native = create([]) as unknown as NodeGpu;
  const first = await native.requestAdapter().catch(() => null);
  let gpu = native;
  let info = first ? describe(first, 'default backend') : '';
  if (!first) {
    // No native adapter: Dawn's OpenGL ES backend (llvmpipe on a machine without a GPU).
    const gles = create(['backend=opengles']) as unknown as NodeGpu;
    const request = gles.requestAdapter.bind(gles);
    gles.requestAdapter = (o) => request({ featureLevel: 'compatibility', ...(o ?? {}) });
    const a = await gles.requestAdapter().catch(() => null);
    if (!a) throw new Error('webgpu: Dawn found no adapter (default or OpenGL ES backend)');
    gpu = gles;
    info = describe(a, 'opengles (compatibility)');
  }
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true,
    writable: true });
  return info;
}

let webgpuProbe: Promise<string | null> | null = null;

/**
 * The webgpu adapter's description, or null where none works. Probed once, in a worker thread
 * of its own (device.ts), so that this thread never loads Dawn. The first call's promise is
 * kept: later calls return it.
 * @example const adapter = await probeWebGPU();   // the adapter in words, or null
 */
export function probeWebGPU(): Promise<string | null> {
  webgpuProbe ??= WorkerDevice.start().then(async (d) => {
    await d.close();
    return d.info;
  }, () => null);
  return webgpuProbe;
}

/** Whether gpu.js supports `mode` here; webgpu is probed by starting a device. */
export async function isModeAvailable(mode: GpuMode): Promise<boolean> {
  const GPU = await loadGpuJs();
  if (mode === 'webgpu') return (await probeWebGPU()) !== null;
  if (mode === 'webgl2') return GPU.isWebGL2Supported === true;
  if (mode === 'webgl') return GPU.isWebGLSupported === true;
  if (mode === 'headlessgl') return GPU.isHeadlessGLSupported === true;
  if (mode === 'webasm') return GPU.isWebAssemblySupported === true;
  return true;
}

/**
 * The modes that work here, best first (probing webgpu starts and closes a device once).
 * @example console.log(`gpu modes: ${(await availableModes()).join(', ')}`)
 */
export async function availableModes(): Promise<GpuMode[]> {
  const ok = await Promise.all(GPU_MODES.map((m) => isModeAvailable(m)));
  return GPU_MODES.filter((_, i) => ok[i]);
}
