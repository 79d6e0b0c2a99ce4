/**
 * Test cases for GEMM kernels against a naive float64 reference: every transpose, odd sizes,
 * offsets into larger buffers, accumulation, and a check that nothing outside C is written.
 * Shared by the cpu kernel's tests and the wasm backend's.
 */
import type { FloatArray, GemmArgs } from '../kernels/gemm-types.js';

/** Makes a zeroed operand array of n elements. */
export type Alloc = (T: FloatCtor, n: number) => FloatArray;

export type FloatCtor = Float32ArrayConstructor | Float64ArrayConstructor;

/** Tiny seeded LCG, uniform in [-1, 1). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

export function random(T: FloatCtor, n: number, rnd: () => number,
  alloc: Alloc = (T, n) => new T(n)): FloatArray {
  const x = alloc(T, n);
  for (let i = 0; i < n; i++) x[i] = rnd();
  return x;
}

/** Naive float64 reference of C = op(A)·op(B) (+ C0), m×n. */
export function reference(g: GemmArgs, c0: FloatArray): Float64Array {
  const { m, n, k, a, b, transA, transB } = g;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = g.accumulate ? c0[g.cOffset + i * n + j] : 0;
      for (let p = 0; p < k; p++) {
        const x = a[g.aOffset + (transA ? p * m + i : i * k + p)];
        const y = b[g.bOffset + (transB ? j * k + p : p * n + j)];
        s += x * y;
      }
      out[i * n + j] = s;
    }
  }
  return out;
}

export interface Case {
  T: FloatCtor; m: number; n: number; k: number;
  transA: boolean; transB: boolean; accumulate: boolean; offsets: boolean;
}

/**
 * Runs one case with `run` and returns the first mismatch, or '' if all of C is right.
 * `alloc` makes the operands (a backend with its own storage passes its allocator).
 */
export function check(run: (g: GemmArgs) => void, cs: Case, seed: number,
  alloc?: Alloc): string {
  const { T, m, n, k } = cs;
  const rnd = lcg(seed);
  const [ao, bo, co] = cs.offsets ? [3, 5, 7] : [0, 0, 0];
  const a = random(T, ao + m * k + 2, rnd, alloc);
  const b = random(T, bo + k * n + 2, rnd, alloc);
  // Garbage C: it must be overwritten unless accumulating.
  const c = random(T, co + m * n + 2, rnd, alloc);
  const c0 = c.slice();
  const g: GemmArgs = {
    m, n, k, a, aOffset: ao, transA: cs.transA, b, bOffset: bo, transB: cs.transB,
    c, cOffset: co, accumulate: cs.accumulate,
  };
  run(g);
  const want = reference(g, c0);
  // Error bound relative to k·max|a|·max|b| (inputs are in [-1, 1)), plus |C0| when adding.
  const eps = T === Float32Array ? 1e-5 : 1e-12;
  const tol = eps * (Math.max(k, 1) + (cs.accumulate ? 1 : 0));
  for (let i = 0; i < m * n; i++) {
    const got = c[co + i];
    if (!(Math.abs(got - want[i]) <= tol)) {
      return `C[${Math.floor(i / n)},${i % n}] = ${got}, want ${want[i]}`;
    }
  }
  for (let i = 0; i < c.length; i++) {
    if ((i < co || i >= co + m * n) && !Object.is(c[i], c0[i])) return `wrote outside C at ${i}`;
  }
  return '';
}

export function name(cs: Case): string {
  return `${cs.T === Float32Array ? 'f32' : 'f64'} ${cs.m}x${cs.k}${cs.transA ? 'ᵀ' : ''}`
    + `·${cs.k}x${cs.n}${cs.transB ? 'ᵀ' : ''}${cs.accumulate ? ' +C' : ''}`
    + `${cs.offsets ? ' @off' : ''}`;
}

export const FLAGS = [[false, false], [false, true], [true, false], [true, true]] as const;
export const SIZES = [1, 2, 3, 5, 7, 13, 17, 31, 33, 65, 129];


/**
 * Every transpose × SIZES × SIZES, with a spread of k per (m, n) (small, tile-sized, and
 * beyond one 256-deep slice), accumulation and offsets varying case by case. `allocFor(seed)`
 * picks each case's operand storage (undefined: plain typed arrays). Returns the number of
 * cases and the failures.
 */
export function sweep(run: (g: GemmArgs) => void, T: FloatCtor,
  allocFor: (seed: number) => Alloc | undefined = () => undefined):
  { count: number; failures: string[] } {
  let count = 0, seed = 1;
  const failures: string[] = [];
  for (const [transA, transB] of FLAGS) {
    for (const m of SIZES) {
      for (const n of SIZES) {
        for (const k of [SIZES[(m + n) % SIZES.length], 4, 300]) {
          if (k === 300 && m * n > 33 * 65) continue;
          const accumulate = (m + n + k) % 3 === 0, offsets = seed % 2 === 0;
          const cs: Case = { T, m, n, k, transA, transB, accumulate, offsets };
          const err = check(run, cs, seed, allocFor(seed));
          seed++;
          count++;
          if (err) failures.push(`${name(cs)}: ${err}`);
        }
      }
    }
  }
  return { count, failures };
}
