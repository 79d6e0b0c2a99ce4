/**
 * The kernel builds by name, without loading the backend (`@dlrt/backend-wasm/builds`: the CLI
 * parses `--wasm-build` with it and imports the backend only when it runs on wasm).
 */

/** Which build runs: 'relaxed' (SIMD128 + relaxed SIMD) or 'simd' (SIMD128). */
export type WasmFlavor = 'relaxed' | 'simd';

/**
 * Which build to load: 'auto' (relaxed where it validates, else simd), or one of them. The
 * builds round differently (relaxed fuses the multiply-add), so a run record made on one
 * replays exactly only on the same one.
 */
export type WasmBuild = 'auto' | WasmFlavor;

/**
 * The values of `WasmBuild`.
 * @example WASM_BUILDS.join('|')   // 'auto|simd|relaxed'
 */
export const WASM_BUILDS: readonly WasmBuild[] = ['auto', 'simd', 'relaxed'];
