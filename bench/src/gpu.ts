/**
 * The gpu backend's modes for the suites: every gpu.js mode that works on this machine, each
 * run in the same process as the cpu backend. gpu rows read their result back to the host
 * (`dataSync`), as the tfjs rows do, since device work is otherwise only queued.
 */
import { setBackend } from '@dlrt/core';
import { availableModes, type GpuMode } from '@dlrt/backend-gpu';

/** The available modes, best first (webgpu, ..., webasm, cpu). */
export async function gpuModes(): Promise<GpuMode[]> {
  return availableModes();
}

/** Makes `gpu` in `mode` the active backend; returns the runner label, e.g. 'gpu webgpu f32'. */
export async function useGpu(mode: GpuMode): Promise<string> {
  await setBackend('gpu', { mode });
  return `gpu ${mode} f32`;
}
