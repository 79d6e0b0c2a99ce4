// The linear algebra of the wasm backend: each WebAssembly inner loop against the cpu
// backend's TS loop on the same inputs (sizes with SIMD tails, strided blocks, both rotation
// directions, QR leaf passes from several rows, Jacobi sweeps), the TS fallback for arrays
// outside the memory, and the drivers end to end on matrices large enough to use every SIMD path (reconstruction, orthogonality, the cpu
// backend's singular values and eigenvalues), with no work array left behind.
import t from 'tap';
import { tsInner } from '@dlrt/backend-cpu';
import {
  closeBackends, dispose, getBackend, linalg, matmul, mul, setBackend, sub, tensor, transpose,
  type Tensor,
} from '@dlrt/core';
import '@dlrt/backend-cpu';
import '@dlrt/backend-wasm';
import { stridedKernel } from '../src/gemm.js';
import { WasmHeap } from '../src/heap.js';
import { compileKernels, instantiate } from '../src/kernels.js';
import { LinalgArena } from '../src/linalg.js';
import type { WasmBackend } from '../src/wasm-backend.js';

const compiled = await compileKernels();
const heap = new WasmHeap();
const k = instantiate(compiled, heap.memory);
const arena = new LinalgArena(heap, k, stridedKernel(k, heap.malloc(k.gemmScratchBytes())!));
const wasm = arena.inner;

let seed = 7;
function random(n: number): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    x[i] = seed / 2 ** 31 - 1;
  }
  return x;
}

/** The same values in the wasm memory (through the arena) and on the JS heap. */
function pair(n: number): [Float64Array, Float64Array] {
  const js = random(n);
  const w = wasm.alloc(n);
  w.set(js);
  return [w, js];
}

function maxDiff(a: Float64Array, b: Float64Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

t.test(`wasm linalg inner loops (${compiled.flavor}) match the TS loops`, (t) => {
  const ld = 41;
  for (const [rows, cols] of [[1, 1], [2, 3], [5, 8], [9, 17], [33, 40], [4, 1], [13, 2]]) {
    const tau = 1.3;
    const vStride = 3;
    const [vw, vj] = pair(rows * vStride + 1);
    const [aw, aj] = pair(rows * ld + 2);
    const [ww, wj] = pair(cols);
    wasm.applyLeft(tau, vw, 1, vStride, aw, 2, ld, rows, cols, ww);
    tsInner.applyLeft(tau, vj, 1, vStride, aj, 2, ld, rows, cols, wj);
    t.ok(maxDiff(aw, aj) < 1e-13, `applyLeft ${rows}×${cols}: ${maxDiff(aw, aj)}`);
    const [bw, bj] = pair(rows * ld + 1);
    wasm.applyRight(tau, vw, 1, bw, 1, ld, rows, cols);
    tsInner.applyRight(tau, vj, 1, bj, 1, ld, rows, cols);
    t.ok(maxDiff(bw, bj) < 1e-13, `applyRight ${rows}×${cols}: ${maxDiff(bw, bj)}`);
  }
  for (const len of [1, 2, 3, 8, 9, 30, 64]) {
    const [vw, vj] = pair(len + 1);
    const la = len + 5;
    const [aw, aj] = pair(len * la + 3);
    const [pw, pj] = pair(len);
    wasm.reflectSymmetric(0.7, vw, 1, aw, 3, la, len, pw);
    tsInner.reflectSymmetric(0.7, vj, 1, aj, 3, la, len, pj);
    t.ok(maxDiff(aw, aj) < 1e-13, `reflectSymmetric ${len}: ${maxDiff(aw, aj)}`);
  }
  for (const [len, lo, cnt] of [[1, 0, 1], [7, 1, 3], [8, 0, 5], [19, 2, 6], [64, 0, 9]]) {
    for (const forward of [true, false]) {
      const angles = random(cnt);
      const [cw, cj] = pair(cnt), [sw, sj] = pair(cnt);
      for (let i = 0; i < cnt; i++) {
        cw[i] = cj[i] = Math.cos(3 * angles[i]);
        sw[i] = sj[i] = Math.sin(3 * angles[i]);
      }
      const lx = len + 3;
      const [xw, xj] = pair((lo + cnt + 1) * lx);
      wasm.rotateRows(xw, lx, len, lo, cnt, cw, sw, forward);
      tsInner.rotateRows(xj, lx, len, lo, cnt, cj, sj, forward);
      // Same operations in the same order per entry: equal to the last bit.
      t.equal(maxDiff(xw, xj), 0, `rotateRows len ${len}, ${cnt} rotations, forward ${forward}`);
    }
  }
  for (const [m, j, q] of [[9, 0, 0], [10, 3, 2], [37, 5, 6], [64, 1, 1], [3, 1, 0]]) {
    const ld = m + 3, o = 2;
    const [aw, aj] = pair(o + 8 * ld), [gw, gj] = pair(8), [dw, dj] = pair(8);
    wasm.leafPass(aw, o, ld, m, j, q, gw, 1.7, dw);
    tsInner.leafPass(aj, o, ld, m, j, q, gj, 1.7, dj);
    t.ok(maxDiff(aw, aj) < 1e-13 && maxDiff(dw, dj) < 1e-12,
      `leafPass m ${m}, row ${j}: ${maxDiff(aw, aj)}, dots ${maxDiff(dw, dj)}`);
  }
  for (const n of [2, 5, 17, 40]) {
    const [rw, rj] = pair(n * n), [ww, wj] = pair(n * n);
    const nw = wasm.alloc(n), nj = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let ss = 0;
      for (let j = 0; j < n; j++) ss += rj[i * n + j] ** 2;
      nw[i] = nj[i] = Math.sqrt(ss);
    }
    const tol = Math.sqrt(n) * 2 ** -53;
    const cw = wasm.jacobiSweep(rw, ww, n, nw, tol), cj = tsInner.jacobiSweep(rj, wj, n, nj, tol);
    t.equal(cw, cj, `jacobiSweep ${n}: ${cj} rotations on both`);
    t.ok(maxDiff(rw, rj) < 1e-12 && maxDiff(ww, wj) < 1e-12 && maxDiff(nw, nj) < 1e-12,
      `jacobiSweep ${n}: rows ${maxDiff(rw, rj)}, basis ${maxDiff(ww, wj)}`);
  }
  // Arrays on the JS heap take the TS loop: exactly the reference.
  const [, vj] = pair(40), [, aj] = pair(40 * 40), [, wj] = pair(40);
  const a2 = aj.slice(), w2 = wj.slice();
  wasm.applyLeft(0.9, vj, 0, 1, aj, 0, 40, 40, 40, wj);
  tsInner.applyLeft(0.9, vj, 0, 1, a2, 0, 40, 40, 40, w2);
  t.equal(maxDiff(aj, a2), 0, 'applyLeft on JS-heap arrays runs the TS loop');
  arena.release();
  t.end();
});

/** ‖x‖_max of a tensor. */
function maxAbs(x: Tensor): number {
  return (x.dataSync() as Float64Array).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

function eye(n: number): Tensor {
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  return tensor(v, [n, n], 'float64');
}

t.test('wasm linalg drivers: SVD, eigh, QR and Cholesky at sizes that use every path',
  async (t) => {
  const cases: [number, number][] = [[257, 64], [131, 131], [70, 33], [33, 70], [90, 60]];
  const sym = 97;
  const data = cases.map(([m, n]) => random(m * n));
  // The last case graded (columns scaled over 10⁸): svd takes the one-sided Jacobi path.
  for (let i = 0; i < 90; i++) for (let j = 0; j < 60; j++) data[4][i * 60 + j] *= 10 ** (-j / 7.5);
  const s = random(sym * sym);
  for (let i = 0; i < sym; i++) for (let j = 0; j < i; j++) s[j * sym + i] = s[i * sym + j];
  const reference: { s: number[][]; w: number[] } = { s: [], w: [] };
  await setBackend('cpu');
  for (const [i, [m, n]] of cases.entries()) {
    reference.s.push(Array.from(linalg.svd(tensor(data[i], [m, n], 'float64')).s.dataSync()));
  }
  reference.w = Array.from(linalg.eigh(tensor(s, [sym, sym], 'float64')).values.dataSync());
  await setBackend('wasm');
  const be = getBackend() as WasmBackend;
  for (const [i, [m, n]] of cases.entries()) {
    const a = tensor(data[i], [m, n], 'float64');
    const { u, s: sv, v } = linalg.svd(a);
    const kk = Math.min(m, n);
    const rebuilt = matmul(mul(u, sv.reshape([1, kk])), transpose(v));
    t.ok(maxAbs(sub(rebuilt, a)) < 1e-12, `svd ${m}×${n}: U·diag(s)·Vᵀ = A`);
    t.ok(maxAbs(sub(matmul(transpose(u), u), eye(kk))) < 1e-13, `svd ${m}×${n}: UᵀU = I`);
    t.ok(maxAbs(sub(matmul(transpose(v), v), eye(kk))) < 1e-13, `svd ${m}×${n}: VᵀV = I`);
    // Relative to each value: the graded case's small singular values are accurate to ε·κ(B).
    const ds = Array.from(sv.dataSync()).map((x, j) => Math.abs(x - reference.s[i][j])
      / reference.s[i][j]);
    t.ok(Math.max(...ds) < 1e-11, `svd ${m}×${n}: s as on the cpu backend`);
    const { q, r } = linalg.qr(a);
    t.ok(maxAbs(sub(matmul(q, r), a)) < 1e-12, `qr ${m}×${n}: Q·R = A`);
    dispose([a, u, sv, v, rebuilt, q, r]);
  }
  const a = tensor(s, [sym, sym], 'float64');
  const { values, vectors } = linalg.eigh(a);
  const av = matmul(a, vectors), vl = mul(vectors, values.reshape([1, sym]));
  t.ok(maxAbs(sub(av, vl)) < 1e-12, `eigh ${sym}: A·V = V·Λ`);
  t.ok(maxAbs(sub(matmul(transpose(vectors), vectors), eye(sym))) < 1e-13, `eigh ${sym}: VᵀV = I`);
  const dw = Array.from(values.dataSync()).map((x, j) => Math.abs(x - reference.w[j]));
  t.ok(Math.max(...dw) < 1e-12, `eigh ${sym}: values as on the cpu backend`);
  const spd = matmul(transpose(a), a);
  const l = linalg.cholesky(spd);
  t.ok(maxAbs(sub(matmul(l, transpose(l)), spd)) < 1e-10, `cholesky ${sym}: L·Lᵀ = A`);
  // Every work array goes back to the heap: only the results stay, until disposed.
  const before = be.heapStats().inUse;
  dispose(Object.values(linalg.svd(a)));
  dispose(Object.values(linalg.eigh(a)));
  t.equal(be.heapStats().inUse, before, 'svd and eigh leave no work array behind');
  dispose([a, values, vectors, av, vl, spd, l]);
  await closeBackends();
});
