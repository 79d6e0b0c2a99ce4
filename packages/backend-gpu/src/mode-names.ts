/**
 * The names of gpu.js's modes, with no gpu.js import: the `@dlrt/backend-gpu/modes` subpath, so
 * that a command line can list and check modes without loading gpu.js.
 *
 * @example
 * import { GPU_MODE_OPTIONS } from '@dlrt/backend-gpu/modes';
 * GPU_MODE_OPTIONS.join('|');   // 'auto|webgpu|webgl2|webgl|headlessgl|webasm|cpu'
 */

/**
 * gpu.js's modes, best first: the order auto mode tries them in.
 * @example GPU_MODES.includes(arg as GpuMode)
 */
export const GPU_MODES = ['webgpu', 'webgl2', 'webgl', 'headlessgl', 'webasm', 'cpu'] as const;
/** One of `GPU_MODES`: a mode the gpu backend can run in. */
export type GpuMode = (typeof GPU_MODES)[number];

/**
 * What `setBackend('gpu', { mode })` takes: a mode, or 'auto' (the first available).
 * @example GPU_MODE_OPTIONS.join('|')   // 'auto|webgpu|webgl2|webgl|headlessgl|webasm|cpu'
 */
export const GPU_MODE_OPTIONS = ['auto', ...GPU_MODES] as const;
/** One of `GPU_MODE_OPTIONS`: a mode, or 'auto'. */
export type GpuModeOption = (typeof GPU_MODE_OPTIONS)[number];
