// LowRankMatrix and truncation rules: the rules on hand-worked singular values (T-std and the DLRT
// 2022 code's T-2022), the fixed-rank BUG's exactness on a rank-r path and error ≈ C·ε otherwise
// (Ceruti & Lubich, BIT 2022), the rank-adaptive flow recovering rank r* (Ceruti, Kusch & Lubich,
// BIT 2022), plus the invariants: augment leaves W unchanged, truncation error = ‖σ_tail‖.
import t from 'tap';
import {
  add, basisTransforms, changeBasis, concat, dispose, eye, LowRankMatrix, linalg, matmul,
  modeProduct, mul, rand, randn, Rng, sub, tidy, truncateValues, truncationRank, type Tensor,
  transpose, zeros,
} from '@dlrt/core';
import '@dlrt/backend-cpu';
import { orthonormalityError } from '@dlrt/core/testing';

const relErr = (a: Tensor, b: Tensor): number =>
  tidy(() => linalg.norm(sub(a, b)) / Math.max(linalg.norm(b), 1e-300));
t.test('truncation rules on hand-worked singular values', async (t) => {
  t.equal(truncationRank([4, 2, 1, 0.5], { kind: 'relative', theta: 0.2 }), 3);
  const sigma = [5, 4, 3, 2, 1.5, 1.2, 1.0, 0.9];
  t.equal(truncationRank(sigma, { kind: 'relative', theta: 0.1 }), 8, 'T-std keeps all 8');
  t.equal(truncationRank(sigma, { kind: 'absolute', tol: 1.5 }), 6, '‖[1,0.9]‖ < 1.5 ≤ ‖[1.2,1,0.9]‖');
  t.equal(truncationRank(sigma, { kind: 'absolute', tol: 1.5, rMax: 4 }), 4);
  t.equal(truncationRank([1, 1e-9], { kind: 'relative', theta: 0.1, rMin: 2 }), 2);
  t.equal(truncationRank(sigma, { kind: 'rank', rank: 3 }), 3);
  // T-2022 leaves σ_p out of the tail and falls back to the previous rank (here p/2).
  t.equal(truncationRank(sigma, { kind: 'relative2022', theta: 0.1 }), 4, 'T-2022 keeps r = p/2');
  t.equal(truncationRank([3, 2, 1.9, 0.05], { kind: 'relative', theta: 0.1 }), 3);
  t.equal(truncationRank([3, 2, 1.9, 0.05], { kind: 'relative2022', theta: 0.1 }), 2,
    'no break among σ₁…σ₃: the old rank');
  t.equal(truncationRank([3, 2, 1.9, 0.05], { kind: 'relative2022', theta: 0.1 },
    { previousRank: 1 }), 1);
  t.equal(truncationRank([5, 4, 0.1, 0.1, 0.1, 0.01], { kind: 'relative2022', theta: 0.1 }), 2);
  // T-abPSI: T-std's break, unless it lies below the floor; then the previous rank.
  const twelve = [...Array.from({ length: 11 }, (_, i) => 12 - i), 0.01];
  t.equal(truncationRank(twelve, { kind: 'relative', theta: 0.01 }), 11);
  t.equal(truncationRank(twelve, { kind: 'relativeAbpsi', theta: 0.01 }, { previousRank: 6 }),
    11, 'a break at 11 ≥ 10 stands');
  t.equal(truncationRank([5, 4, 0.01, 0.01], { kind: 'relativeAbpsi', theta: 0.1 },
    { previousRank: 3 }), 3, 'a break at 2 < 10 keeps the previous rank');
  t.equal(truncationRank([5, 4, 0.01, 0.01], { kind: 'relativeAbpsi', theta: 0.1, floor: 2 },
    { previousRank: 3 }), 2, 'floor 2');
  t.equal(truncationRank([5, 4, 0.01, 0.01], { kind: 'relativeAbpsi', theta: 0.1, rMax: 1 },
    { previousRank: 3 }), 1, 'then clamped');
  t.equal(truncationRank(sigma, { kind: 'relativeAbpsi', theta: 0.1, floor: 2 },
    { previousRank: 4 }), 4, 'no break (every σ ≥ θ‖σ‖, T-std keeps 8): the previous rank');
  t.equal(truncationRank(sigma, { kind: 'relativeAbpsi', theta: 0.1, floor: 2 }), 4,
    'no break, no previous rank: p/2');
  t.throws(() => truncationRank(sigma, { kind: 'relativeAbpsi', theta: 0.1, floor: 1.5 }),
    /floor must be an integer ≥ 0/);
  const r = truncateValues([3, 2, 0.4, 0.3], { kind: 'absolute', tol: 0.6 });
  t.same(r.kept, [3, 2]);
  t.same(r.dropped, [0.4, 0.3]);
  t.ok(Math.abs(r.error - 0.5) < 1e-15, 'error = ‖dropped‖₂');
  t.throws(() => truncationRank(sigma, { kind: 'relative', theta: -1 }), /theta must be ≥ 0/);
  t.throws(() => truncationRank(sigma, { kind: 'rank', rank: 1.5 }), /rank must be/);
});

t.test('LowRankMatrix: fromDense, augment keeps W, truncate error = ‖σ_tail‖', async (t) => {
  const rng = new Rng(11);
  const W = tidy(() => matmul(randn([40, 6], { rng, dtype: 'float64' }),
    randn([6, 30], { rng, dtype: 'float64' })));
  const X = LowRankMatrix.fromDense(W, 6);
  t.ok(relErr(X.toDense(), W) < 1e-13, 'a rank-6 matrix is recovered at rank 6');
  t.ok(orthonormalityError(X.U) < 1e-13 && orthonormalityError(X.V) < 1e-13, 'orthonormal bases');
  const dU = randn([40, 6], { rng, dtype: 'float64' });
  const dV = randn([30, 6], { rng, dtype: 'float64' });
  const Y = X.augment(dU, dV);
  t.equal(Y.rank, 12);
  const e = relErr(Y.toDense(), W);
  t.ok(e < 1e-13, `augment leaves W unchanged (${e.toExponential(2)})`);
  t.ok(orthonormalityError(Y.U) < 1e-13 && orthonormalityError(Y.V) < 1e-13, 'augmented bases orthonormal');
  // Perturb S so truncation has a real tail, then check error and tolerance.
  const noisy = new LowRankMatrix(Y.U, tidy(() => add(Y.S, mul(rand([12, 12], { rng,
    dtype: 'float64' }), 1e-3))), Y.V);
  const before = noisy.toDense();
  const tol = 1e-2;
  const { matrix: Z, error, dropped, rank } = noisy.truncate({ kind: 'absolute', tol });
  const change = tidy(() => linalg.norm(sub(Z.toDense(), before)));
  t.ok(Math.abs(change - error) < 1e-12, `‖ΔW‖ ${change} = ‖σ_tail‖ ${error}`);
  t.ok(error < tol && dropped.length === 12 - rank, `tail ${error} below tol, rank ${rank}`);
  t.throws(() => LowRankMatrix.fromDense(W, 31), /rank 31 is outside \[0, 30\]/);
  dispose([W, dU, dV, before, noisy.S]);
  X.dispose();
  Y.dispose();
  Z.dispose();
});

t.test('tangent projection is a projection and fixes W', async (t) => {
  const rng = new Rng(5);
  const W = tidy(() => matmul(randn([20, 3], { rng, dtype: 'float64' }),
    randn([3, 15], { rng, dtype: 'float64' })));
  const X = LowRankMatrix.fromDense(W, 3);
  const Z = randn([20, 15], { rng, dtype: 'float64' });
  const P = X.projectTangent(Z);
  const PP = X.projectTangent(P);
  t.ok(relErr(PP, P) < 1e-13, 'P² = P');
  const PW = X.projectTangent(W);
  t.ok(relErr(PW, W) < 1e-13, 'P(W) = W');
  dispose([W, Z, P, PP, PW]);
  X.dispose();
});

/** exp(A) by scaling and squaring with a Taylor series (float64; test helper). */
function expm(A: Tensor): Tensor {
  return tidy(() => {
    const n = A.shape[0];
    const s = Math.max(0, Math.ceil(Math.log2(linalg.norm(A) + 1e-300)) + 4);
    const B = mul(A, 2 ** -s);
    let term = eye(n, n, 'float64');
    let sum = term;
    for (let k = 1; k <= 18; k++) {
      term = mul(matmul(term, B), 1 / k);
      sum = add(sum, term);
    }
    for (let i = 0; i < s; i++) sum = matmul(sum, sum);
    return sum;
  });
}

/** One fixed-rank BUG step with exact substeps for Ẏ = P(Y)Ȧ (Ceruti & Lubich, BIT 2022). */
function bugStep(Y: LowRankMatrix, dA: Tensor): LowRankMatrix {
  const [U, S, V] = tidy(() => {
    const U1 = linalg.orth(add(matmul(Y.U, Y.S), matmul(dA, Y.V)));
    const V1 = linalg.orth(add(matmul(Y.V, Y.S, { transposeB: true }),
      matmul(dA, Y.U, { transposeA: true })));
    const M = matmul(U1, Y.U, { transposeA: true });
    const N = matmul(V1, Y.V, { transposeA: true });
    const S1 = add(matmul(matmul(M, Y.S), N, { transposeB: true }),
      matmul(matmul(U1, dA, { transposeA: true }), V1));
    return [U1, S1, V1];
  });
  return new LowRankMatrix(U, S, V);
}

t.test('fixed-rank BUG is exact on a rank-r path and O(ε) off it', async (t) => {
  const n = 100;
  const r = 10;
  const rng = new Rng(2022);
  const skew = (): Tensor => tidy(() => {
    const R = randn([n, n], { rng, dtype: 'float64' });
    return mul(sub(R, transpose(R)), 0.5);
  });
  const [T1, T2] = [skew(), skew()];
  const block = tidy(() => add(eye(r, r, 'float64'), mul(rand([r, r], { rng, dtype: 'float64' }), 0.5)));
  const A1 = tidy(() => add(zeros([n, n], 'float64'),
    matmul(matmul(eye(n, r, 'float64'), block), eye(r, n, 'float64'))));
  const A2 = rand([n, n], { rng, dtype: 'float64' });
  const path = (time: number, eps: number): Tensor => tidy(() =>
    matmul(matmul(expm(mul(T1, time)), add(A1, mul(A2, Math.exp(time) * eps))),
      expm(mul(T2, time)), { transposeB: true }));
  const errors: Record<string, number> = {};
  for (const eps of [0, 1e-6, 1e-3]) {
    const h = 0.1;
    let Y = LowRankMatrix.fromDense(path(0, eps), r);
    let prev = path(0, eps);
    for (let k = 1; k <= 10; k++) {
      const next = path(k * h, eps);
      const dA = sub(next, prev);
      const Y1 = bugStep(Y, dA);
      Y.dispose();
      dispose([dA, prev]);
      Y = Y1;
      prev = next;
    }
    errors[eps] = tidy(() => linalg.norm(sub(Y.toDense(), prev)));
    prev.dispose();
    Y.dispose();
  }
  t.ok(errors[0] < 1e-12, `ε = 0: error ${errors[0].toExponential(2)} (exact)`);
  const ratio = errors[1e-3] / errors[1e-6];
  t.ok(ratio > 300 && ratio < 3000, `error ∝ ε: ${errors[1e-6].toExponential(2)} → ` +
    `${errors[1e-3].toExponential(2)} (ratio ${ratio.toFixed(0)})`);
  dispose([T1, T2, block, A1, A2]);
});

t.test('the rank-adaptive gradient flow of ½‖W − A‖² recovers rank r* and A', async (t) => {
  const rng = new Rng(3);
  const rStar = 5;
  const A = tidy(() => matmul(randn([50, rStar], { rng, dtype: 'float64' }),
    randn([rStar, 40], { rng, dtype: 'float64' })));
  let Y = LowRankMatrix.fromDense(tidy(() => mul(randn([50, 40], { rng, dtype: 'float64' }), 0.01)), 2);
  const h = 0.5;
  const ranks: number[] = [];
  for (let step = 0; step < 60; step++) {
    // F(W) = A − W; K- and L-steps from the old factors, then augment, Galerkin S-step, truncate.
    const [K1, L1] = tidy(() => {
      const F = sub(A, Y.toDense());
      return [add(matmul(Y.U, Y.S), mul(matmul(F, Y.V), h)),
        add(matmul(Y.V, Y.S, { transposeB: true }), mul(matmul(F, Y.U, { transposeA: true }), h))];
    });
    const Aug = Y.augment(K1, L1);
    const S1 = tidy(() => add(Aug.S, mul(sub(matmul(matmul(Aug.U, A, { transposeA: true }), Aug.V),
      Aug.S), h)));
    const stepped = new LowRankMatrix(Aug.U, S1, Aug.V);
    const { matrix } = stepped.truncate({ kind: 'relative', theta: 1e-10 });
    dispose([K1, L1, Aug.S]);
    stepped.dispose();
    Y.dispose();
    Y = matrix;
    ranks.push(Y.rank);
  }
  const W = Y.toDense();
  const e = relErr(W, A);
  t.equal(Y.rank, rStar, `rank grows to r* = ${rStar} (history ${[...new Set(ranks)].join('→')})`);
  t.ok(e < 1e-9, `converges to A (relative error ${e.toExponential(2)})`);
  dispose([A, W]);
  Y.dispose();
});

t.test('changeBasis: a change given by its bases or by basisTransforms; exact on augmentation',
  async (t) => {
    const rng = new Rng(5);
    const f64 = { rng, dtype: 'float64' } as const;
    const Uold = linalg.orth(randn([10, 4], f64));
    const Unew = linalg.orth(concat([Uold, randn([10, 3], f64)], 1));
    const change = { axis: 1, from: Uold, to: Unew };
    const [m] = basisTransforms([change]);
    t.same(m.matrix.shape, [7, 4], 'M = U_newᵀ U_old is [r_new, r_old]');
    // A matrix on axis 1 (S Vᵀ), and a 3-tensor on its middle mode.
    for (const x of [randn([3, 4], f64), randn([2, 4, 5], f64)]) {
      const byBases = changeBasis(x, [change]), byMatrix = changeBasis(x, [m]);
      const same = tidy(() => linalg.norm(sub(byBases, byMatrix)));
      t.equal(same, 0, `[${x.shape}]: bases and matrix give the same tensor`);
      const e = relErr(modeProduct(byMatrix, Unew, 1), modeProduct(x, Uold, 1));
      t.ok(e < 1e-14, `[${x.shape}]: x ×₁ U_old = x̃ ×₁ U_new (${e.toExponential(2)})`);
      dispose([x, byBases, byMatrix]);
    }
    const S = randn([3, 5], f64);
    t.throws(() => changeBasis(S, [m]),
      /changeBasis: a change \[4 → 7\] does not change axis 1 of \[3,5\]/);
    const other = randn([9, 4], f64);
    t.throws(() => basisTransforms([{ axis: 0, from: Uold, to: other }]),
      /changeBasis: bases \[10,4\] → \[9,4\] are not two bases of one space/);
    dispose([Uold, Unew, m.matrix, S, other]);
  });
