/**
 * Conformance of the linear-algebra kernels. Oracles are identities evaluated on the host in
 * float64: backward error ‖A − QR‖/‖A‖, orthogonality ‖QᵀQ − I‖, known spectra (matrices built
 * as Q·diag(σ)·Zᵀ), triangularity, residuals; plus the errors for bad input.
 */
import type { FloatDType } from '../dtype.js';
import { valueAndGrads } from '../autodiff.js';
import { cholesky, eigh, orth, qr, solveTriangular, svd } from '../linalg/decompositions.js';
import { tensor } from '../ops/creation.js';
import { dispose } from '../scope.js';
import type { Tensor } from '../tensor.js';
import type { Inputs, TestLike } from './check.js';

type Mat = { r: number; c: number; v: Float64Array };

const host = (t: Tensor): Mat => ({ r: t.shape[t.rank - 2], c: t.shape[t.rank - 1],
  v: Float64Array.from(t.dataSync()) });

function mm(a: Mat, b: Mat, ta = false, tb = false): Mat {
  const [m, k] = ta ? [a.c, a.r] : [a.r, a.c];
  const n = tb ? b.r : b.c;
  const v = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) {
      s += (ta ? a.v[p * a.c + i] : a.v[i * a.c + p]) * (tb ? b.v[j * b.c + p] : b.v[p * b.c + j]);
    }
    v[i * n + j] = s;
  }
  return { r: m, c: n, v };
}

const fro = (a: Mat): number => Math.sqrt(a.v.reduce((s, x) => s + x * x, 0));
const diff = (a: Mat, b: Mat): number => fro({ ...a, v: a.v.map((x, i) => x - b.v[i]) });
const scaleCols = (a: Mat, d: ArrayLike<number>): Mat =>
  ({ ...a, v: a.v.map((x, i) => x * d[i % a.c]) });
function orthError(q: Mat): number {
  const g = mm(q, q, true);
  for (let i = 0; i < g.r; i++) g.v[i * g.c + i] -= 1;
  return fro(g);
}
const rel = (e: number, a: Mat): number => e / Math.max(fro(a), 1e-300);

/**
 * Random orthonormal n×k from a Gaussian matrix, by modified Gram–Schmidt run twice, on the
 * host in float64: test inputs owe nothing to the backend under test.
 */
function randomOrthonormal(g: Inputs, n: number, k: number): Mat {
  const v = Float64Array.from(g.normal([n, k]).data);
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < k; j++) {
      for (let p = 0; p < j; p++) {
        let d = 0;
        for (let i = 0; i < n; i++) d += v[i * k + p] * v[i * k + j];
        for (let i = 0; i < n; i++) v[i * k + j] -= d * v[i * k + p];
      }
      let s = 0;
      for (let i = 0; i < n; i++) s += v[i * k + j] ** 2;
      s = Math.sqrt(s);
      for (let i = 0; i < n; i++) v[i * k + j] /= s;
    }
  }
  return { r: n, c: k, v };
}

/** Q·diag(σ)·Zᵀ with a known spectrum. */
function withSpectrum(g: Inputs, m: number, n: number, sigma: readonly number[]): Mat {
  return mm(scaleCols(randomOrthonormal(g, m, sigma.length), sigma),
    randomOrthonormal(g, n, sigma.length), false, true);
}

export function linalgChecks(t: TestLike, g: Inputs, dtype: FloatDType): void {
  const tol = dtype === 'float64' ? 1e-13 : 2e-5;
  const specTol = dtype === 'float64' ? 1e-12 : 1e-5;
  const make = (a: Mat): Tensor => tensor(Float64Array.from(a.v), [a.r, a.c], dtype);
  const cases: [string, Mat][] = [
    ['random 9×5', { r: 9, c: 5, v: Float64Array.from(g.normal([9, 5]).data) }],
    ['random 4×7', { r: 4, c: 7, v: Float64Array.from(g.normal([4, 7]).data) }],
    ['1×6', { r: 1, c: 6, v: Float64Array.from(g.normal([1, 6]).data) }],
    ['6×1', { r: 6, c: 1, v: Float64Array.from(g.normal([6, 1]).data) }],
    ['zero 5×3', { r: 5, c: 3, v: new Float64Array(15) }],
    ['rank-2 8×6', withSpectrum(g, 8, 6, [3, 1])],
    ['graded 12×8', withSpectrum(g, 12, 8, [1, 1e-2, 1e-4, 1e-6, 1e-8, 1e-10, 1e-11, 1e-12])],
  ];
  for (const [name, A] of cases) {
    const a = make(A);
    const f = qr(a);
    const [Q, R] = [host(f.q), host(f.r)];
    const lower = R.v.reduce((m, x, i) => (Math.floor(i / R.c) > i % R.c ? Math.max(m, Math.abs(x)) : m), 0);
    t.ok(rel(diff(mm(Q, R), A), A) <= tol && orthError(Q) <= tol && lower === 0,
      `qr ${dtype} ${name}: ‖A−QR‖/‖A‖ ${rel(diff(mm(Q, R), A), A).toExponential(1)}, ` +
      `‖QᵀQ−I‖ ${orthError(Q).toExponential(1)}, below-diagonal ${lower}`);
    const s = svd(a);
    const [U, S, V] = [host(s.u), Array.from(s.s.dataSync()), host(s.v)];
    const back = mm(scaleCols(U, S), V, false, true);
    const sorted = S.every((x, i) => x >= 0 && (i === 0 || x <= S[i - 1]));
    t.ok(rel(diff(back, A), A) <= tol && orthError(U) <= tol && orthError(V) <= tol && sorted,
      `svd ${dtype} ${name}: ‖A−USVᵀ‖/‖A‖ ${rel(diff(back, A), A).toExponential(1)}, ` +
      `‖UᵀU−I‖ ${orthError(U).toExponential(1)}, ‖VᵀV−I‖ ${orthError(V).toExponential(1)}, ` +
      `descending ${sorted}`);
    dispose([a, f, s]);
  }
  // Known spectra. Rounding A's entries moves each σ by up to ε·σ₁, so a rotated spectrum is
  // checked relative to σ₁; an exactly stored one (a signed, permuted diagonal) value by value.
  const sigma = [5, 2, 1, 0.3, 1e-3, 1e-6, 1e-9, 1e-12];
  const rotated = make(withSpectrum(g, 10, 8, sigma));
  const exact = { r: 9, c: 8, v: new Float64Array(72) };
  sigma.forEach((x, i) => (exact.v[((i * 5) % 9) * 8 + ((i * 3) % 8)] = i % 2 ? -x : x));
  const ex = make(exact);
  for (const [name, a, scale] of [['rotated', rotated, () => sigma[0]],
    ['permuted diagonal', ex, (x: number) => x]] as const) {
    const s = svd(a);
    const got = Array.from(s.s.dataSync());
    const want = dtype === 'float64' ? sigma : sigma.map(Math.fround);
    const worst = Math.max(...want.map((x, i) => Math.abs(got[i] - x) / scale(x)));
    t.ok(worst <= specTol, `svd ${dtype} ${name}: singular values match the spectrum ` +
      `(${worst.toExponential(1)}${name === 'rotated' ? ' of σ₁' : ' relative'})`);
    dispose(s);
  }
  dispose([rotated, ex]);
  // eigh of Q·diag(λ)·Qᵀ: ascending values, AV = VΛ.
  const lambda = [-3, -0.5, 0.25, 1, 4];
  const Qe = randomOrthonormal(g, 5, 5);
  const Ae = mm(scaleCols(Qe, lambda), Qe, false, true);
  const ae = make(Ae);
  const e = eigh(ae);
  const [w, Ve] = [Array.from(e.values.dataSync()), host(e.vectors)];
  const resid = rel(diff(mm(Ae, Ve), scaleCols(Ve, w)), Ae);
  const spec = Math.max(...lambda.map((x, i) => Math.abs(w[i] - x))) / 4;
  t.ok(resid <= 10 * tol && orthError(Ve) <= 10 * tol && spec <= specTol,
    `eigh ${dtype}: ‖AV−VΛ‖/‖A‖ ${resid.toExponential(1)}, ‖VᵀV−I‖ ` +
    `${orthError(Ve).toExponential(1)}, eigenvalues ${spec.toExponential(1)}`);
  // Cholesky of B·Bᵀ + nI, then triangular solves against it.
  const B = { r: 6, c: 6, v: Float64Array.from(g.normal([6, 6]).data) };
  const spd = mm(B, B, false, true);
  for (let i = 0; i < 6; i++) spd.v[i * 6 + i] += 6;
  const ts = make(spd);
  const L = cholesky(ts);
  const Lh = host(L);
  const upper = Lh.v.some((x, i) => i % 6 > Math.floor(i / 6) && x !== 0);
  t.ok(rel(diff(mm(Lh, Lh, false, true), spd), spd) <= tol && !upper,
    `cholesky ${dtype}: ‖LLᵀ−A‖/‖A‖ ${rel(diff(mm(Lh, Lh, false, true), spd), spd).toExponential(1)}`);
  const rhs = { r: 6, c: 2, v: Float64Array.from(g.normal([6, 2]).data) };
  const b = make(rhs);
  for (const o of [{ lower: true }, { lower: true, transpose: true },
    { lower: true, unitDiagonal: true }]) {
    const x = solveTriangular(L, b, o);
    const Lo = { ...Lh, v: Lh.v.map((v, i) => (o.unitDiagonal && i % 7 === 0 ? 1 : v)) };
    const res = rel(diff(mm(Lo, host(x), o.transpose ?? false), rhs), rhs);
    t.ok(res <= 10 * tol, `solveTriangular ${dtype} ${JSON.stringify(o)}: residual ${res.toExponential(1)}`);
    x.dispose();
  }
  // orth: dependent and zero columns still give an orthonormal basis holding the columns.
  const dep = { r: 6, c: 4, v: new Float64Array(24) };
  for (let i = 0; i < 6; i++) {
    dep.v[i * 4] = i + 1;
    dep.v[i * 4 + 1] = 2 * (i + 1);
  }
  const dt = make(dep);
  const qd = orth(dt);
  const Qd = host(qd);
  const proj = diff(mm(Qd, mm(Qd, dep, true)), dep);
  t.ok(orthError(Qd) <= tol && Qd.v.every(Number.isFinite) && rel(proj, dep) <= tol,
    `orth ${dtype}: dependent and zero columns give an orthonormal basis (no NaN)`);
  dispose([ts, L, b, qd, e, ae, dt]);
}

/** Bad input gets a clear error, never a hang or NaN. */
export function linalgErrorChecks(t: TestLike, dtype: FloatDType = 'float64'): void {
  const throwsLike = (f: () => unknown, re: RegExp, name: string): void => {
    let msg = '';
    try {
      f();
    } catch (err) {
      msg = (err as Error).message;
    }
    t.ok(re.test(msg), `${name}: ${msg || 'no error'}`);
  };
  const rect = tensor([1, 2, 3, 4, 5, 6], [2, 3], dtype);
  const notSpd = tensor([1, 2, 2, 1], [2, 2], dtype);
  const nan = tensor([1, NaN, 0, 1], [2, 2], dtype);
  const inf = tensor([1, Infinity, 0, 1], [2, 2], dtype);
  const vec = tensor([1, 2], [2], dtype);
  throwsLike(() => cholesky(rect), /linalg.cholesky: a \[2,3\] must be square/, 'cholesky non-square');
  throwsLike(() => cholesky(notSpd), /cholesky: .*not positive definite/, 'cholesky non-SPD');
  throwsLike(() => svd(nan), /linalg.svd: a \[2,2\] holds NaN or Inf/, 'svd NaN');
  throwsLike(() => qr(inf), /linalg.qr: a \[2,2\] holds NaN or Inf/, 'qr Inf');
  throwsLike(() => eigh(rect), /linalg.eigh: a \[2,3\] must be square/, 'eigh non-square');
  throwsLike(() => qr(vec), /linalg.qr: a \[2\] must have rank ≥ 2/, 'qr vector');
  const tall = rect.reshape([3, 2]);
  throwsLike(() => solveTriangular(notSpd, tall, { lower: true }),
    new RegExp(`linalg.solveTriangular: a \\[2,2\\] ${dtype} vs b \\[3,2\\]`),
    'solveTriangular shapes');
  throwsLike(() => valueAndGrads((x) => qr(x).q)([notSpd]), /linalg.qr: not differentiable/,
    'qr under a gradient tape');
  dispose([rect, notSpd, nan, inf, vec, tall]);
}
