/**
 * The GEMM's ceiling on the machine at hand: the rate of its register tile alone, on operands
 * that stay in L1. What the tile costs depends on the core: plain SIMD128 has no fused
 * multiply-add, so each 4-lane step is a multiply and an add, and a core that issues both on
 * shared vector ports (the Intel Xeon of docs/wasm.md) runs them more slowly than one with
 * separate multiply and add pipes (AMD's Zen). Benchmarks divide the GEMM's rate by this to
 * compare across machines.
 */
import { compileKernels, instantiate, type WasmBuild, type WasmFlavor } from './kernels.js';

/** Options of `tileCeiling`. */
export interface TileCeilingOptions {
  /** Timed rounds; the fastest counts, since other work on the machine only adds time. */
  rounds?: number;
  /** Milliseconds each round aims at (default 20). */
  roundMs?: number;
  /** The kernel build to time (default 'auto', the one `setBackend('wasm')` loads). */
  build?: WasmBuild;
}

/** What `tileCeiling` measured. */
export interface TileCeiling {
  /** The dtype of the tile that ran. */
  dtype: 'float32' | 'float64';
  /** The kernel build that ran ('relaxed' fuses the multiply-add). */
  flavor: WasmFlavor;
  /** Floating-point operations per second of the fastest round, in billions. */
  gflops: number;
  /** Each round's rate, in the order run. */
  rounds: number[];
}

/** Register tiles per sweep (4 rows each) and their depth: A and B take 12 KB (f32) or 20 KB. */
const TILES = 4;
const KC = 128;

/**
 * Runs the GEMM's register tile (the same code `gemm` calls) over L1-resident operands, checks
 * its result against a float64 product, and returns its best rate over the rounds.
 * @example
 * const { gflops } = await tileCeiling('float32');   // 32.0 on the Intel host of docs/wasm.md
 */
export async function tileCeiling(dtype: 'float32' | 'float64',
  options: TileCeilingOptions = {}): Promise<TileCeiling> {
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new Error(`tileCeiling: dtype must be 'float32' or 'float64', got '${String(dtype)}'`);
  }
  const { rounds = 7, roundMs = 20, build = 'auto' } = options;
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new Error(`tileCeiling: rounds must be an integer ≥ 1, got ${rounds}`);
  }
  if (!(roundMs > 0 && Number.isFinite(roundMs))) {
    throw new Error(`tileCeiling: roundMs must be a positive number, got ${roundMs}`);
  }
  const compiled = await compileKernels(build);
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 2, shared: true });
  const k = instantiate(compiled, memory);
  const run = dtype === 'float32' ? k.tileCeilingF32 : k.tileCeilingF64;
  const e = dtype === 'float32' ? 4 : 8;
  const nr = 32 / e, m = TILES * 4;
  const Arr = dtype === 'float32' ? Float32Array : Float64Array;
  // A, B and C in one page, 64-byte aligned; then C's row offsets.
  const a = 0, b = m * KC * e, c = b + KC * nr * e, rows = c + m * nr * e;
  const A = new Arr(memory.buffer, a, m * KC), B = new Arr(memory.buffer, b, KC * nr);
  const C = new Arr(memory.buffer, c, m * nr);
  new Int32Array(memory.buffer, rows, m).set(Array.from({ length: m }, (_, i) => i * nr * e));
  let s = 7;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31) - 1;
  for (let i = 0; i < A.length; i++) A[i] = next();
  for (let i = 0; i < B.length; i++) B[i] = next();
  // The first calls run in V8's baseline tier; by the third the optimized code runs.
  for (let i = 0; i < 3; i++) run(1, TILES, KC, a, b, c, rows);
  checkProduct(A, B, C, m, nr, dtype);
  const flops = 2 * m * nr * KC;
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    run(reps, TILES, KC, a, b, c, rows);
    const ms = performance.now() - t0;
    if (ms >= roundMs / 4) {
      reps = Math.max(1, Math.round(reps * roundMs / ms));
      break;
    }
    reps *= 4;
  }
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    run(reps, TILES, KC, a, b, c, rows);
    rates.push(flops * reps / ((performance.now() - t0) * 1e6));
  }
  return { dtype, flavor: compiled.flavor, gflops: Math.max(...rates), rounds: rates };
}

/** Throws unless C = A·B (m×KC by KC×nr) to the dtype's roundoff. */
export function checkProduct(A: ArrayLike<number>, B: ArrayLike<number>, C: ArrayLike<number>,
  m: number, nr: number, dtype: string): void {
  const eps = dtype === 'float32' ? 2 ** -23 : 2 ** -52;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < nr; j++) {
      let want = 0, scale = 0;
      for (let p = 0; p < KC; p++) {
        want += A[i * KC + p] * B[p * nr + j];
        scale += Math.abs(A[i * KC + p] * B[p * nr + j]);
      }
      if (!(Math.abs(C[i * nr + j] - want) <= 2 * KC * eps * scale)) {
        throw new Error(`tileCeiling: the ${dtype} tile computed C[${i}][${j}] = ` +
          `${C[i * nr + j]}, want ${want}`);
      }
    }
  }
}
