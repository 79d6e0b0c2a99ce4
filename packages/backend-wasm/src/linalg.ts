/**
 * The cpu backend's linear-algebra drivers (QR, SVD, eigh, Cholesky) run unchanged on the wasm
 * backend, over WebAssembly inner loops: work arrays come from the shared memory, GEMM is the
 * wasm kernel, and reflector application and rotation sweeps are SIMD (assembly/reflectors.ts,
 * assembly/rotations.ts).
 * An array outside the memory (the memory was full) sends that call to the TS loop.
 */
import { type LinalgInner, type StridedGemm, tsInner } from '@dlrt/backend-cpu';
import type { WasmHeap } from './heap.js';
import type { KernelExports } from './kernels.js';

/** One scope of linear algebra: its work arrays, freed together by `release`. */
export class LinalgArena {
  private readonly arrays: Float64Array[] = [];
  readonly inner: LinalgInner;

  constructor(heap: WasmHeap, k: KernelExports, gemm: StridedGemm) {
    const own = (x: ArrayBufferView) => heap.owns(x);
    const ts = tsInner;                              // for arrays outside the memory
    this.inner = {
      alloc: (n) => {
        const x = heap.alloc('float64', n) as Float64Array;
        this.arrays.push(x);
        return x;
      },
      gemm: (m, n, kk, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, acc) => {
        const f = own(a) && own(b) && own(c) ? gemm : ts.gemm;
        f(m, n, kk, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, acc);
      },
      applyLeft: (tau, v, vOff, vStride, a, aOff, lda, rows, cols, w) => {
        if (!own(v) || !own(a) || !own(w)) {
          ts.applyLeft(tau, v, vOff, vStride, a, aOff, lda, rows, cols, w);
          return;
        }
        k.applyLeftF64(tau, v.byteOffset + 8 * vOff, vStride, a.byteOffset + 8 * aOff, lda,
          rows, cols, w.byteOffset);
      },
      applyRight: (tau, v, vOff, a, aOff, lda, rows, cols) => {
        if (!own(v) || !own(a)) {
          ts.applyRight(tau, v, vOff, a, aOff, lda, rows, cols);
          return;
        }
        k.applyRightF64(tau, v.byteOffset + 8 * vOff, a.byteOffset + 8 * aOff, lda, rows, cols);
      },
      reflectSymmetric: (tau, v, vOff, a, aOff, lda, len, p) => {
        if (!own(v) || !own(a) || !own(p)) {
          ts.reflectSymmetric(tau, v, vOff, a, aOff, lda, len, p);
          return;
        }
        k.reflectSymmetricF64(tau, v.byteOffset + 8 * vOff, a.byteOffset + 8 * aOff, lda, len,
          p.byteOffset);
      },
      leafPass: (at, o, ld, m, j, q, g, sq, d) => {
        if (!own(at) || !own(g) || !own(d)) {
          ts.leafPass(at, o, ld, m, j, q, g, sq, d);
          return;
        }
        k.leafPassF64(at.byteOffset, o, ld, m, j, q, g.byteOffset, sq, d.byteOffset);
      },
      jacobiSweep: (r, wt, n, nrm, tol) => {
        if (!own(r) || !own(wt) || !own(nrm)) return ts.jacobiSweep(r, wt, n, nrm, tol);
        return k.jacobiSweepF64(r.byteOffset, wt.byteOffset, n, nrm.byteOffset, tol);
      },
      rotateRows: (xt, ld, len, lo, cnt, c, s, forward) => {
        if (!own(xt) || !own(c) || !own(s)) {
          ts.rotateRows(xt, ld, len, lo, cnt, c, s, forward);
          return;
        }
        k.rotateRowsF64(xt.byteOffset, ld, len, lo, cnt, c.byteOffset, s.byteOffset,
          forward ? 1 : 0);
      },
    };
    this.release = () => {
      for (const x of this.arrays.splice(0)) heap.release(x);
    };
  }

  /** Frees every work array of the scope (results must have been copied out). */
  readonly release: () => void;
}
