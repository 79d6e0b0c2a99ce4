// Dense float64 linear-algebra kernels of the cpu backend. Oracles: the identities A = QR,
// A = USVᵀ, AV = VΛ, A = LLᵀ, op(A)X = B with QᵀQ = I, and spectra known by construction
// (A = U·diag(σ)·Vᵀ from exactly orthogonal Householder products built here, not by qr).
import t from 'tap';
import { cholesky } from '../src/linalg/cholesky.js';
import { eigh } from '../src/linalg/eigh.js';
import { qr } from '../src/linalg/qr.js';
import { svd } from '../src/linalg/svd.js';
import { solveTriangular } from '../src/linalg/triangular.js';

/** Tiny seeded LCG, uniform in [-1, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

const random = (n: number, rnd: () => number) => Float64Array.from({ length: n }, rnd);

/** C = op(A)·op(B) for row-major A (m×k, or k×m when ta) and B (k×n, or n×k when tb). */
function mul(a: Float64Array, b: Float64Array, m: number, k: number, n: number,
  ta = false, tb = false): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const x = ta ? a[p * m + i] : a[i * k + p];
      for (let j = 0; j < n; j++) c[i * n + j] += x * (tb ? b[j * k + p] : b[p * n + j]);
    }
  }
  return c;
}

/** Frobenius norm, scaled so that 1e300 entries do not overflow. */
function fro(x: Float64Array): number {
  const big = x.reduce((m, y) => Math.max(m, Math.abs(y)), 0);
  return big === 0 ? 0 : big * Math.sqrt(x.reduce((s, y) => s + (y / big) ** 2, 0));
}

/** ‖a − b‖_F / max(‖b‖_F, tiny). */
function relDiff(a: Float64Array, b: Float64Array): number {
  return fro(a.map((x, i) => x - b[i])) / Math.max(fro(b), 1e-300);
}

/** ‖XᵀX − I‖₁ (max column sum; bounds the 2-norm) for the rows×cols row-major X. */
function orthError(x: Float64Array, rows: number, cols: number): number {
  const g = mul(x, x, cols, rows, cols, true, false);
  let worst = 0;
  for (let j = 0; j < cols; j++) {
    let sum = 0;
    for (let i = 0; i < cols; i++) sum += Math.abs(g[i * cols + j] - (i === j ? 1 : 0));
    worst = Math.max(worst, sum);
  }
  return worst;
}

/** An m×k matrix with exactly orthonormal columns (to rounding): k random reflectors on I. */
function randomOrthogonal(m: number, k: number, rnd: () => number): Float64Array {
  const q = new Float64Array(m * k);
  for (let i = 0; i < k; i++) q[i * k + i] = 1;
  for (let r = 0; r < k; r++) {
    const v = random(m, rnd);
    const vv = v.reduce((s, y) => s + y * y, 0);
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += v[i] * q[i * k + j];
      const f = (2 * s) / vv;
      for (let i = 0; i < m; i++) q[i * k + j] -= f * v[i];
    }
  }
  return q;
}

/** An n×k signed column selection: orthonormal and exact (a "permutation" factor). */
function signedPermutation(n: number, k: number, rnd: () => number): Float64Array {
  const p = Array.from({ length: n }, (_, i) => i).sort(() => rnd());
  const x = new Float64Array(n * k);
  for (let c = 0; c < k; c++) x[p[c] * k + c] = rnd() < 0 ? -1 : 1;
  return x;
}

/** A = U·diag(σ)·Vᵀ (U m×k, V n×k). */
function compose(u: Float64Array, s: ArrayLike<number>, v: Float64Array, m: number,
  n: number): Float64Array {
  const k = s.length;
  const us = u.map((x, i) => x * s[i % k]);
  return mul(us, v, m, k, n, false, true);
}

const graded = (k: number) => Array.from({ length: k }, (_, i) => 10 ** ((-12 * i) / (k - 1 || 1)));

t.test('qr: A = QR, QᵀQ = I, R upper with diag ≥ 0, on every shape', async (t) => {
  const rnd = lcg(1);
  const cases: [string, number, number, Float64Array?][] = [
    ['1024×64', 1024, 64], ['100×37', 100, 37], ['37×100 (m < n)', 37, 100], ['1×7', 1, 7],
    ['7×1', 7, 1], ['64×64', 64, 64], ['300×130', 300, 130],
    ['all zero', 20, 8, new Float64Array(160)],
  ];
  const dep = random(50 * 12, rnd);                  // zero and repeated columns
  for (let i = 0; i < 50; i++) { dep[i * 12 + 3] = 0; dep[i * 12 + 7] = dep[i * 12 + 1]; }
  cases.push(['dependent', 50, 12, dep],
    ['huge 1e300', 9, 5, random(45, rnd).map((x) => x * 1e300)],
    ['tiny 1e-300', 9, 5, random(45, rnd).map((x) => x * 1e-300)]);
  for (const [name, m, n, given] of cases) {
    const a = given ?? random(m * n, rnd);
    const k = Math.min(m, n);
    const { q, r } = qr(a, m, n);
    t.equal(q.length, m * k, `${name}: Q is m×k`);
    t.ok(q.every(Number.isFinite) && r.every(Number.isFinite), `${name}: no NaN/Inf`);
    t.ok(orthError(q, m, k) <= 1e-13, `${name}: ‖QᵀQ − I‖ = ${orthError(q, m, k)}`);
    const rec = fro(a) === 0 ? fro(mul(q, r, m, k, n)) : relDiff(mul(q, r, m, k, n), a);
    t.ok(rec <= 1e-13, `${name}: ‖A − QR‖/‖A‖ = ${rec}`);
    let lowerOk = true;
    for (let i = 0; i < k; i++) {
      if (r[i * n + i] < 0) lowerOk = false;
      for (let j = 0; j < i; j++) if (r[i * n + j] !== 0) lowerOk = false;
    }
    t.ok(lowerOk, `${name}: R is upper triangular with a non-negative diagonal`);
  }
});

/** The part of tap's Test that the check helpers use. */
interface Ok { ok(value: unknown, message: string): unknown }

/** Checks u·diag(s)·vᵀ = a, orthonormal u and v, s descending ≥ 0; returns s. */
function checkSvd(t: Ok, name: string, a: Float64Array, m: number, n: number) {
  const k = Math.min(m, n);
  const { u, s, v } = svd(a, m, n);
  t.ok([u, s, v].every((x) => x.every(Number.isFinite)), `${name}: no NaN/Inf`);
  t.ok(orthError(u, m, k) <= 1e-13, `${name}: ‖UᵀU − I‖ = ${orthError(u, m, k)}`);
  t.ok(orthError(v, n, k) <= 1e-13, `${name}: ‖VᵀV − I‖ = ${orthError(v, n, k)}`);
  const rebuilt = compose(u, s, v, m, n);
  const rec = fro(a) === 0 ? fro(rebuilt) : relDiff(rebuilt, a);
  t.ok(rec <= 1e-13, `${name}: ‖A − USVᵀ‖/‖A‖ = ${rec}`);
  t.ok(s.every((x, i) => x >= 0 && (i === 0 || x <= s[i - 1])), `${name}: s descending`);
  return s;
}

const maxRel = (s: Float64Array, sigma: number[]) =>
  Math.max(...sigma.map((x, i) => Math.abs(s[i] - x) / x));

t.test('svd: reconstruction and orthogonality on random and edge shapes', async (t) => {
  const rnd = lcg(2);
  for (const [m, n] of [[64, 64], [1024, 64], [50, 80], [1, 9], [9, 1], [1, 1], [130, 7]]) {
    checkSvd(t, `random ${m}×${n}`, random(m * n, rnd), m, n);
  }
  const s = checkSvd(t, 'all zero 30×20', new Float64Array(600), 30, 20);
  t.ok(s.every((x) => x === 0), 'all zero: s = 0');
  checkSvd(t, 'huge 1e300', random(12 * 5, rnd).map((x) => x * 1e300), 12, 5);
});

t.test('svd: known spectra (relative accuracy where the data determines it)', async (t) => {
  const rnd = lcg(3);
  for (const [m, n] of [[64, 64], [1024, 64], [40, 90]]) {
    const k = Math.min(m, n);
    const calm = Array.from({ length: k }, (_, i) => 2 - i / k);
    const a = compose(randomOrthogonal(m, k, rnd), calm, randomOrthogonal(n, k, rnd), m, n);
    const s1 = checkSvd(t, `σ ∈ (1, 2] ${m}×${n}`, a, m, n);
    t.ok(maxRel(s1, calm) <= 1e-12, `σ ∈ (1, 2]: max rel error ${maxRel(s1, calm)}`);
    // Graded σ from 1 to 1e-12 with one factor a signed permutation: the stored entries carry
    // only relative rounding errors, so σ is the spectrum to ~ε relative (Demmel & Veselić
    // 1992); columns graded (V = P) and rows graded (U = P).
    const g = graded(k);
    const cols = compose(randomOrthogonal(m, k, rnd), g, signedPermutation(n, k, rnd), m, n);
    const s2 = checkSvd(t, `column-graded ${m}×${n}`, cols, m, n);
    t.ok(maxRel(s2, g) <= 1e-12, `column-graded: max rel error ${maxRel(s2, g)}`);
    const rows = compose(signedPermutation(m, k, rnd), g, randomOrthogonal(n, k, rnd), m, n);
    const s3 = checkSvd(t, `row-graded ${m}×${n}`, rows, m, n);
    t.ok(maxRel(s3, g) <= 1e-12, `row-graded: max rel error ${maxRel(s3, g)}`);
    // Dense U and V: rounding the entries moves σ by ~ε‖A‖, so only that is checkable.
    const dense = compose(randomOrthogonal(m, k, rnd), g, randomOrthogonal(n, k, rnd), m, n);
    const s4 = checkSvd(t, `graded, dense factors ${m}×${n}`, dense, m, n);
    const abs4 = Math.max(...g.map((x, i) => Math.abs(s4[i] - x)));
    t.ok(abs4 <= 1e-13, `graded dense: max |s − σ| = ${abs4} (σ₁ = 1)`);
    // Rank deficient: half the spectrum is zero; U and V must still be full orthonormal bases.
    const half = Array.from({ length: k }, (_, i) => (i < k / 2 ? 3 - i / k : 0));
    const def = compose(randomOrthogonal(m, k, rnd), half, randomOrthogonal(n, k, rnd), m, n);
    const s5 = checkSvd(t, `rank ${Math.ceil(k / 2)} of ${m}×${n}`, def, m, n);
    const abs5 = Math.max(...half.map((x, i) => Math.abs(s5[i] - x)));
    t.ok(abs5 <= 1e-13, `rank deficient: max |s − σ| = ${abs5}`);
  }
});

t.test('svd: Kahan matrices (ill-conditioned, row-graded, triangular)', async (t) => {
  for (const n of [40, 100]) {
    // K = diag(1, s, …, s^{n−1})·(I − c·strict upper ones), diag perturbed (Kahan 1966).
    const th = 1.2, sn = Math.sin(th), cs = Math.cos(th);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      a[i * n + i] = sn ** i * (1 + 1e-10 * (n - i));
      for (let j = i + 1; j < n; j++) a[i * n + j] = -cs * sn ** i;
    }
    const s = checkSvd(t, `Kahan ${n}`, a, n, n);
    // Oracles: Σσ² = ‖K‖_F², and Πσ = |det K| = Π K_ii (compared in logs).
    const ss = s.reduce((x, y) => x + y * y, 0);
    t.ok(Math.abs(ss / fro(a) ** 2 - 1) <= 1e-13, `Kahan ${n}: Σσ² = ‖K‖_F²`);
    let logDet = 0, logProd = 0;
    for (let i = 0; i < n; i++) { logDet += Math.log(a[i * n + i]); logProd += Math.log(s[i]); }
    const gap = logProd - logDet;
    t.ok(Math.abs(gap) <= 1e-4, `Kahan ${n}: log Πσ − log|det K| = ${gap}`);
    if (n !== 100) continue;
    // σ₁ and σ₉₉ of this K from mpmath 1.3.0 svd_r at 40 digits (σ₁₀₀ ≈ 8.9e-17 < ε‖K‖).
    t.ok(Math.abs(s[0] / 9.338154896646733 - 1) <= 1e-13, 'Kahan 100: σ₁ (mpmath)');
    t.ok(Math.abs(s[98] / 0.0011794780505482902 - 1) <= 1e-12, 'Kahan 100: σ₉₉ (mpmath)');
  }
});

t.test('eigh: known spectra, AV = VΛ, VᵀV = I, ascending, lower triangle only', async (t) => {
  const rnd = lcg(4);
  for (const n of [1, 2, 17, 128]) {
    const lambda = Array.from({ length: n }, (_, i) => 5 - (8 * i) / Math.max(n - 1, 1));
    if (n > 2) lambda[1] = lambda[0];                 // a repeated eigenvalue
    const q = randomOrthogonal(n, n, rnd);
    const a = compose(q, lambda, q, n, n);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[i * n + j] = NaN; // unread
    const { values, vectors: v } = eigh(a, n);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[i * n + j] = a[j * n + i];
    const want = [...lambda].sort((x, y) => x - y);
    const err = Math.max(...want.map((x, i) => Math.abs(values[i] - x)));
    t.ok(err <= 1e-13 * 5, `n = ${n}: max |λ − λ_known| = ${err}`);
    const av = mul(a, v, n, n, n);
    const vl = v.map((x, i) => x * values[i % n]);
    const res = (relDiff(av, vl) * fro(vl)) / fro(a);
    t.ok(res <= 1e-13, `n = ${n}: ‖AV − VΛ‖/‖A‖ = ${res}`);
    t.ok(orthError(v, n, n) <= 1e-13, `n = ${n}: ‖VᵀV − I‖ = ${orthError(v, n, n)}`);
  }
  const z = eigh(new Float64Array(9), 3);
  t.same([...z.values], [0, 0, 0], 'zero matrix: eigenvalues 0');
  t.ok(orthError(z.vectors, 3, 3) === 0, 'zero matrix: V = I');
});

t.test('cholesky: recovers a constructed factor; rejects non-SPD input', async (t) => {
  const rnd = lcg(5);
  for (const n of [1, 5, 47, 150]) {                 // 150 takes the blocked path (GEMM)
    const l0 = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) l0[i * n + j] = rnd();
      l0[i * n + i] = 1 + Math.abs(rnd()) * Math.sqrt(n);
    }
    const a = mul(l0, l0, n, n, n, false, true);      // SPD with the unique factor L₀
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[i * n + j] = NaN; // unread
    const l = cholesky(a, n);
    t.ok(relDiff(l, l0) <= 1e-12, `n = ${n}: ‖L − L₀‖/‖L₀‖ = ${relDiff(l, l0)}`);
  }
  t.throws(() => cholesky(new Float64Array([1, 2, 2, 1]), 2),
    /cholesky: matrix is not positive definite \(pivot j = 1, value -3\)/);
  t.throws(() => cholesky(new Float64Array([NaN, 0, 0, 1]), 2), /pivot j = 0, value NaN/);
  t.throws(() => cholesky(new Float64Array([4, 0, 0, 2, 5, 0, 0, 0, -1]), 3), /pivot j = 2/);
});

t.test('solveTriangular: residual of every variant; singular input throws', async (t) => {
  const rnd = lcg(6);
  const n = 40, nrhs = 3;
  for (const lower of [true, false]) {
    for (const transpose of [false, true]) {
      for (const unitDiagonal of [false, true]) {
        const a = new Float64Array(n * n).fill(NaN); // the other triangle must not be read
        const full = new Float64Array(n * n);        // op(A) as a dense matrix
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            if (lower ? j > i : j < i) continue;
            const x = i === j ? 2 + rnd() : rnd() / 4;
            a[i * n + j] = i === j && unitDiagonal ? NaN : x;
            full[transpose ? j * n + i : i * n + j] = i === j && unitDiagonal ? 1 : x;
          }
        }
        const b = random(n * nrhs, rnd);
        const x = solveTriangular(a, n, b, nrhs, { lower, transpose, unitDiagonal });
        const res = relDiff(mul(full, x, n, n, nrhs), b);
        t.ok(res <= 1e-13, `lower ${lower}, transpose ${transpose}, unit ${unitDiagonal}: ${res}`);
      }
    }
  }
  t.throws(() => solveTriangular(new Float64Array([1, 0, 5, 0]), 2, new Float64Array(2), 1,
    { lower: true }), /solveTriangular: a \[2,2\] is singular \(zero diagonal at 1\)/);
});

t.test('nothing hangs: bad-but-finite inputs return or throw', async (t) => {
  const rnd = lcg(7);
  const n = 24;
  const inputs: [string, Float64Array][] = [
    ['1e300 and 1e-300 mixed', random(n * n, rnd).map((x, i) => x * (i % 3 ? 1e300 : 1e-300))],
    ['denormals', random(n * n, rnd).map((x) => x * 1e-310)],
    ['all ones', new Float64Array(n * n).fill(1)],
    ['Hilbert', Float64Array.from({ length: n * n }, (_, p) => 1 / ((p % n) + ((p / n) | 0) + 1))],
    ['one huge entry', new Float64Array(n * n).map((_, i) => (i === 5 ? 1e308 : 1e-308))],
  ];
  for (const [name, a] of inputs) {
    const calls: [string, () => ArrayLike<number>[]][] = [
      ['qr', () => Object.values(qr(a, n, n))],
      ['svd', () => Object.values(svd(a, n, n))],
      ['eigh', () => Object.values(eigh(a, n))],
      ['cholesky', () => [cholesky(a, n)]],
      ['solveTriangular', () => [solveTriangular(a, n, a, n, { lower: false })]],
    ];
    for (const [op, call] of calls) {
      let outcome = 'returned';
      try {
        const out = call();
        if (op !== 'cholesky' && op !== 'solveTriangular') {
          t.ok(out.every((x) => Array.prototype.every.call(x, Number.isFinite)),
            `${op} on ${name}: finite output`);
        }
      } catch (e) {
        outcome = `threw ${(e as Error).message.split(':')[0]}`;
      }
      t.ok(true, `${op} on ${name}: ${outcome}`);
    }
  }
});
