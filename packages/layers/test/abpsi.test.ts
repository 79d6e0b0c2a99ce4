// ABPSI's sides (the integrator suite runs the default output side everywhere). Oracle: the
// closed form of one step with nothing truncated, W₁ = W₀ − λ ÛÛᵀG (output side) or
// W₀ − λ G V̂V̂ᵀ (input side), where Û (V̂) is the layer's basis after the step; G from the
// least-squares loss in closed form.
import t from 'tap';
import {
  dispose, eye, matmul, memory, randn, square, sub, sum, type Tensor, tidy,
} from '@dlrt/core';
import '@dlrt/backend-cpu';
import { ABPSI, LowRankDense, SGD } from '../src/index.js';

const dtype = 'float64';

function maxDiff(a: Tensor, b: Tensor): number {
  return tidy(() => Math.max(...Array.from(sub(a, b).abs().dataSync())));
}

/** ‖I − QᵀQ‖_max for a basis Q. */
function orthogonality(Q: Tensor): number {
  const r = Q.shape[1];
  return tidy(() => maxDiff(matmul(Q, Q, { transposeA: true }), eye(r, r, dtype)));
}

for (const side of ['output', 'input'] as const) {
  t.test(`ABPSI side '${side}': W₁ = W₀ − λ ${side === 'output' ? 'ÛÛᵀG' : 'G V̂V̂ᵀ'}`,
    async (t) => {
      const before = memory().numTensors;
      // 9 inputs, 7 outputs, rank 3: the augmented rank 6 fits either side.
      const l = new LowRankDense(9, 7, { rank: 3, seed: 4, dtype, init: 'he' });
      const X = randn([25, 9], { seed: 5, dtype }), Y = randn([25, 7], { seed: 6, dtype });
      const W0 = l.weightMatrix();
      // ℓ = ½‖X W₀ᵀ + b − Y‖²/N: G = Rᵀ X / N with R the residual.
      const G = tidy(() => matmul(sub(l.forward(X), Y), X, { transposeA: true }).mul(1 / 25));
      const lr = 0.2;
      const abpsi = new ABPSI(l, { optimizer: new SGD({ lr }), tol: 0, side });
      const loss = () => tidy(() => sum(square(sub(l.forward(X), Y))).mul(0.5 / 25));
      const r = await abpsi.step(loss);
      const ranks = Object.values(r.ranks)[0];
      t.same(ranks, 6, 'nothing truncated at θ = 0: rank 2r');
      const grown = side === 'output' ? l.U : l.V, kept = side === 'output' ? l.V : l.U;
      t.same(grown.shape[1], 6, `the ${side} basis has 2r columns`);
      t.ok(orthogonality(grown) < 1e-13 && orthogonality(kept) < 1e-13, 'bases orthonormal');
      const P = tidy(() => matmul(grown, grown, { transposeB: true }));
      const want = tidy(() => sub(W0, (side === 'output' ? matmul(P, G) : matmul(G, P)).mul(lr)));
      const W1 = l.weightMatrix();
      t.ok(maxDiff(W1, want) < 1e-13, `max diff ${maxDiff(W1, want)}`);
      t.ok(maxDiff(W1, W0) > 1e-3, 'the step moved W');
      dispose([X, Y, W0, G, P, want, W1]);
      abpsi.dispose();
      l.dispose();
      t.equal(memory().numTensors, before, 'no tensor left behind');
    });
}

t.test('ABPSI: an unknown side is an error that names it', async (t) => {
  const l = new LowRankDense(4, 4, { rank: 2, seed: 1, dtype });
  t.throws(() => new ABPSI(l, { optimizer: new SGD({ lr: 0.1 }), tol: 0.1,
    side: 'left' as 'input' }), /^ABPSI: side must be 'output' or 'input', got 'left'/);
  l.dispose();
});
