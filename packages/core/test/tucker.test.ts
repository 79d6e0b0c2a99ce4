// Tucker algebra (float64, tol 1e-12 relative; Kolda & Bader, SIAM Review 2009, row-major):
// fold∘unfold = id, the unfolding/Kronecker identity in natural order, HOSVD exactness and
// its error bound, and the augment/truncate invariants.
import t from 'tap';
import {
  dispose, fold, linalg, modeProduct, partialHosvd, randn, Rng, sub, type Tensor, tensor, tidy,
  TuckerTensor, unfold,
} from '@dlrt/core';
import '@dlrt/backend-cpu';

const relErr = (a: Tensor, b: Tensor): number =>
  tidy(() => linalg.norm(sub(a, b)) / Math.max(linalg.norm(b), 1e-300));

/** Kronecker product of row-major matrices (host arrays; first factor varies slowest). */
function kron(a: Tensor, b: Tensor): Tensor {
  const [ar, ac] = a.shape;
  const [br, bc] = b.shape;
  const av = a.dataSync();
  const bv = b.dataSync();
  const out = new Float64Array(ar * br * ac * bc);
  for (let i = 0; i < ar; i++) for (let j = 0; j < ac; j++) {
    for (let k = 0; k < br; k++) for (let l = 0; l < bc; l++) {
      out[(i * br + k) * ac * bc + j * bc + l] = av[i * ac + j] * bv[k * bc + l];
    }
  }
  return tensor(out, [ar * br, ac * bc], 'float64');
}

/** A random Tucker tensor of `ranks` in `shape` with orthonormal factors. */
function randomTucker(rng: Rng, shape: number[], ranks: number[]): TuckerTensor {
  const core = randn(ranks, { rng, dtype: 'float64' });
  const factors = shape.map((n, i) => tidy(() => linalg.orth(randn([n, ranks[i]], { rng,
    dtype: 'float64' }))));
  return new TuckerTensor(core, factors);
}

t.test('partialHosvd with no modes returns a copy of x as the core', async (t) => {
  const x = randn([3, 4, 2], { seed: 5, dtype: 'float64' });
  const { core, factors } = partialHosvd(x, [], []);
  t.not(core, x, 'a tensor of its own');
  t.same(factors, []);
  core.dispose();
  t.same(Array.from(x.dataSync()).length, 24, 'x lives on after the core is disposed');
  x.dispose();
});

t.test('fold(unfold(X, i), i) = X', async (t) => {
  const x = randn([5, 4, 3, 2], { seed: 1, dtype: 'float64' });
  for (let i = 0; i < 4; i++) {
    const m = unfold(x, i);
    t.same(m.shape, [x.shape[i], x.size / x.shape[i]]);
    const back = fold(m, i, x.shape);
    t.same(back.dataSync(), x.dataSync(), `mode ${i}`);
    dispose([m, back]);
  }
  x.dispose();
});

t.test('unfold(C ×_j U_j, i) = U_i · unfold(C, i) · (⊗_{j≠i} U_j)ᵀ', async (t) => {
  const rng = new Rng(2);
  for (const [shape, ranks] of [[[5, 4, 3], [2, 3, 2]], [[4, 3, 3, 2], [2, 2, 3, 1]]]) {
    const c = randn(ranks, { rng, dtype: 'float64' });
    const us = shape.map((n, i) => randn([n, ranks[i]], { rng, dtype: 'float64' }));
    const full = tidy(() => us.reduce((acc, u, i) => modeProduct(acc, u, i), c));
    for (let i = 0; i < shape.length; i++) {
      const others = us.filter((_, j) => j !== i);
      const k = others.slice(1).reduce((acc, u) => kron(acc, u), others[0]);
      const rhs = unfold(c, i);
      const want = tidy(() => us[i].matmul(rhs).matmul(k, { transposeB: true }));
      const got = unfold(full, i);
      t.ok(relErr(got, want) < 1e-12, `d = ${shape.length}, mode ${i}`);
      dispose([k, rhs, want, got]);
    }
    dispose([c, us, full]);
  }
});

t.test('HOSVD is exact at the true ranks, which it measures', async (t) => {
  const X = randomTucker(new Rng(3), [8, 6, 3, 3], [3, 2, 2, 2]);
  const x = X.toDense();
  for (let i = 0; i < 4; i++) {
    const m = unfold(x, i);
    t.equal(linalg.matrixRank(m, { rtol: 1e-9 }), X.ranks[i], `mode ${i} rank`);
    m.dispose();
  }
  for (const ranks of [[3, 2, 2, 2], [4, 3, 3, 3]]) {
    const H = TuckerTensor.hosvd(x, ranks);
    const y = H.toDense();
    t.ok(relErr(y, x) < 1e-12, `ranks [${ranks}] reconstruct exactly`);
    y.dispose();
    H.dispose();
  }
  x.dispose();
  X.dispose();
});

t.test('truncated HOSVD error obeys Σ tail² and is reasonably tight', async (t) => {
  const x = randn([6, 5, 4], { seed: 4, dtype: 'float64' });
  const ranks = [3, 3, 2];
  let bound = 0;
  for (let i = 0; i < 3; i++) {
    const m = unfold(x, i);
    const { u, s, v } = linalg.svd(m);
    for (const sv of Array.from(s.dataSync()).slice(ranks[i])) bound += sv * sv;
    dispose([m, u, s, v]);
  }
  const H = TuckerTensor.hosvd(x, ranks);
  const y = H.toDense();
  const err2 = tidy(() => linalg.norm(sub(x, y))) ** 2;
  t.ok(err2 <= bound * (1 + 1e-12), `‖X − HOSVD‖² ${err2.toFixed(4)} ≤ Σ tails² ${bound.toFixed(4)}`);
  t.ok(err2 >= bound / 3, 'and within a factor d = 3 of it');
  dispose([x, y]);
  H.dispose();
});

t.test('Tucker augment leaves the tensor unchanged; truncate error = ‖σ_tail‖', async (t) => {
  const rng = new Rng(5);
  const X = randomTucker(rng, [7, 6, 5], [2, 3, 2]);
  const x = X.toDense();
  const dU = randn([6, 2], { rng, dtype: 'float64' });
  const A = X.augment(1, dU);
  t.same(A.ranks, [2, 5, 2]);
  const a = A.toDense();
  t.ok(relErr(a, x) < 1e-13, 'augment keeps the tensor');
  const B = TuckerTensor.hosvd(tidy(() => x.add(randn([7, 6, 5], { rng, dtype: 'float64' })
    .mul(1e-3))), [5, 5, 5]);
  const b = B.toDense();
  const { tensor: C, error, rank } = B.truncate(2, { kind: 'relative', theta: 0.01 });
  const c = C.toDense();
  const change = tidy(() => linalg.norm(sub(b, c)));
  t.ok(Math.abs(change - error) < 1e-12, `‖ΔX‖ ${change.toExponential(3)} = ‖σ_tail‖`);
  t.ok(rank < 5, `mode-2 rank ${rank}`);
  dispose([x, dU, a, b, c]);
  for (const T of [X, A, B, C]) T.dispose();
});
