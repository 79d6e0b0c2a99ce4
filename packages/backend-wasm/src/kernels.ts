// lib dom: the WebAssembly namespace (the global of Node and browsers alike).
/// <reference lib="dom" />
/**
 * Loading the AssemblyScript kernels: build/kernels-relaxed.wasm where relaxed SIMD validates
 * (fused multiply-add), else build/kernels-simd.wasm (SIMD128), else none: a runtime without
 * SIMD128 gets a clear error and the cpu backend.
 */

import { WASM_BUILDS, type WasmBuild, type WasmFlavor } from './builds.js';

export { WASM_BUILDS, type WasmBuild, type WasmFlavor };

/** The kernels' exports; addresses are byte offsets into the shared memory. */
export interface KernelExports {
  gemmF32(m: number, n: number, k: number, a: number, lda: number, transA: number, b: number,
    ldb: number, transB: number, c: number, ldc: number, accumulate: number,
    scratch: number): void;
  gemmF64(m: number, n: number, k: number, a: number, lda: number, transA: number, b: number,
    ldb: number, transB: number, c: number, ldc: number, accumulate: number,
    scratch: number): void;
  convGemmF32(m: number, n: number, k: number, a: number, lda: number, transA: number,
    b: number, g: number, from: number, c: number, ldc: number, to: number, accumulate: number,
    scratch: number): void;
  convGemmF64(m: number, n: number, k: number, a: number, lda: number, transA: number,
    b: number, g: number, from: number, c: number, ldc: number, to: number, accumulate: number,
    scratch: number): void;
  gemmScratchBytes(): number;
  tileCeilingF32(reps: number, count: number, kc: number, a: number, b: number, c: number,
    rows: number): void;
  tileCeilingF64(reps: number, count: number, kc: number, a: number, b: number, c: number,
    rows: number): void;
  binaryRowF32(op: number, out: number, a: number, sa: number, b: number, sb: number,
    len: number): void;
  whereRowF32(out: number, c: number, sc: number, a: number, sa: number, b: number, sb: number,
    len: number): void;
  unaryF32(op: number, out: number, x: number, n: number): void;
  transcendentalF32(op: number, out: number, x: number, n: number): void;
  im2colF32(x: number, g: number, cols: number): void;
  im2colF64(x: number, g: number, cols: number): void;
  col2imF32(cols: number, g: number, dx: number): void;
  col2imF64(cols: number, g: number, dx: number): void;
  swap01(src: number, a: number, n: number, bytes: number, dst: number): void;
  transposeLast2(src: number, batch: number, rows: number, cols: number, dst: number): void;
  copyRows(src: number, srcStride: number, rows: number, bytes: number, dst: number,
    dstStride: number): void;
  maxPool2x2F32(x: number, planes: number, h: number, w: number, ho: number, wo: number,
    out: number, dy: number, dx: number, backward: number): void;
  maxPool2x2F64(x: number, planes: number, h: number, w: number, ho: number, wo: number,
    out: number, dy: number, dx: number, backward: number): void;
  applyLeftF64(tau: number, v: number, vStride: number, a: number, lda: number, rows: number,
    cols: number, w: number): void;
  applyRightF64(tau: number, v: number, a: number, lda: number, rows: number,
    cols: number): void;
  reflectSymmetricF64(tau: number, v: number, a: number, lda: number, len: number,
    p: number): void;
  jacobiSweepF64(r: number, wt: number, n: number, nrm: number, tol: number): number;
  leafPassF64(at: number, o: number, ld: number, m: number, j: number, q: number, g: number,
    sq: number, d: number): void;
  sumMiddleF32(x: number, before: number, outer: number, after: number, out: number): void;
  sumRowsF32(x: number, outer: number, inner: number, out: number): void;
  sumLeadingF32(x: number, rows: number, cols: number, acc: number, out: number): void;
  softmaxRowsF32(s: number, ld: number, rows: number, cols: number, scale: number,
    mask: number, maskLd: number, last: number): number;
  softmaxGradRowsF32(p: number, dp: number, ld: number, rows: number, cols: number, y: number,
    dy: number, dv: number, scale: number): void;
  rotateRowsF64(xt: number, ld: number, len: number, lo: number, cnt: number, c: number,
    s: number, forward: number): void;
}

/** A compiled kernel module, shareable with worker threads. */
export interface CompiledKernels {
  flavor: WasmFlavor;
  module: WebAssembly.Module;
}

async function bytesOf(flavor: WasmFlavor): Promise<Uint8Array<ArrayBuffer>> {
  const url = new URL(`../build/kernels-${flavor}.wasm`, import.meta.url);
  if (url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    try {
      return new Uint8Array(await readFile(url));
    } catch (e) {
      throw new Error(`wasm: cannot read ${url.pathname} (built by 'pnpm build:wasm' in `
        + `packages/backend-wasm): ${(e as Error).message}`);
    }
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`wasm: cannot fetch ${url.href}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * Why this runtime cannot run the wasm backend (no WebAssembly, or no SharedArrayBuffer), or
 * null when it can. SIMD support is checked later, by `compileKernels`.
 * @example const why = unsupportedReason(); if (why) console.warn(`wasm backend: ${why}`);
 */
export function unsupportedReason(): string | null {
  if (typeof WebAssembly !== 'object') return 'this runtime has no WebAssembly';
  if (typeof SharedArrayBuffer !== 'function') {
    return 'this runtime has no SharedArrayBuffer (a browser page must be cross-origin isolated)';
  }
  return null;
}

const compiled = new Map<WasmBuild, Promise<CompiledKernels>>();

/**
 * Compiles the build `build` asks for (once per process and build): by default the best one
 * this runtime validates. Rejects naming the missing feature when the build (or, for 'auto',
 * even SIMD128) does not validate, or when a build cannot be read; a rejection is not cached,
 * so a later call tries again.
 * @example const { flavor, module } = await compileKernels();   // flavor: 'relaxed' or 'simd'
 */
export function compileKernels(build: WasmBuild = 'auto'): Promise<CompiledKernels> {
  if (!WASM_BUILDS.includes(build)) {
    return Promise.reject(new Error(`wasm: build must be one of ${WASM_BUILDS.join(', ')}, ` +
      `got '${String(build)}'`));
  }
  const cached = compiled.get(build);
  if (cached) return cached;
  const p = (async () => {
    const reason = unsupportedReason();
    if (reason) throw new Error(`wasm: ${reason}`);
    for (const flavor of build === 'auto' ? ['relaxed', 'simd'] as const : [build]) {
      const bytes = await bytesOf(flavor);
      if (WebAssembly.validate(bytes)) {
        return { flavor, module: await WebAssembly.compile(bytes) };
      }
    }
    if (build === 'relaxed') {
      throw new Error('wasm: this runtime does not validate the relaxed-SIMD build (Node 20 '
        + 'needs --experimental-wasm-relaxed-simd; current browsers validate it)');
    }
    throw new Error('wasm: this runtime does not validate WebAssembly SIMD128 '
      + '(Node ≥ 16.4 and current browsers do); use the cpu backend');
  })();
  compiled.set(build, p);
  p.catch(() => { if (compiled.get(build) === p) compiled.delete(build); });
  return p;
}

/** An instance of the kernels over `memory` (one per thread). */
export function instantiate(k: CompiledKernels, memory: WebAssembly.Memory): KernelExports {
  const abort = () => { throw new Error('wasm kernel aborted'); };
  const inst = new WebAssembly.Instance(k.module, { env: { memory, abort } });
  return inst.exports as unknown as KernelExports;
}
