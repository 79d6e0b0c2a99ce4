// ABPSI's sides (the integrator suite runs the default output side everywhere). Oracle: the
// closed form of one step with nothing truncated, W₁ = W₀ − λ ÛÛᵀG (output side) or
// W₀ − λ G V̂V̂ᵀ (input side), where Û (V̂) is the layer's basis after the step; G from the
// least-squares loss in closed form.
import t from 'tap';
import {
  clone, dispose, eye, matmul, memory, randn, square, sub, sum, type Tensor, tidy,
} from '@dlrt/core';
import '@dlrt/backend-cpu';
import { ABPSI, Dense, LowRankDense, Sequential, SGD } from '../src/index.js';

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

// A low-rank layer under a dense one, y = (X Wᵀ + b) Dᵀ + c, ℓ = ½‖y − Y‖²/N. With
// denseStep 'first' the dense layer steps from the first pass, and the second pass (the low-rank
// layer's bias and its other basis) sees it stepped: D₁ = D₀ − λ ∇_D ℓ(W₀, D₀), then
// W₁ = W₀ − λ G(W₀, D₁) V̂V̂ᵀ (input side); with 'second' every gradient is taken at (W₀, D₀).
for (const denseStep of ['second', 'first'] as const) {
  t.test(`ABPSI denseStep '${denseStep}': the dense layer steps from the ${denseStep} pass`,
    async (t) => {
      const before = memory().numTensors;
      const low = new LowRankDense(9, 7, { rank: 3, seed: 4, dtype, init: 'abpsi-ref' });
      const dense = new Dense(7, 4, { seed: 7, dtype, init: 'abpsi-ref' });
      const model = new Sequential([low, dense]);
      const X = randn([25, 9], { seed: 5, dtype }), Y = randn([25, 4], { seed: 6, dtype });
      const lr = 0.01, n = 25;
      const W0 = low.weightMatrix(), b0 = clone(low.bias!);
      const D0 = clone(dense.weight), c0 = clone(dense.bias!);
      /** ℓ's gradients at W₀, b₀ and a dense layer (D, c), in closed form. */
      const grads = (D: Tensor, c: Tensor) => tidy(() => {
        const H = matmul(X, W0, { transposeB: true }).add(b0);
        const R = sub(matmul(H, D, { transposeB: true }).add(c), Y).mul(1 / n);
        const dH = matmul(R, D);
        return { D: matmul(R, H, { transposeA: true }), c: sum(R, 0),
          W: matmul(dH, X, { transposeA: true }), b: sum(dH, 0) };
      });
      const g0 = grads(D0, c0);
      const D1 = tidy(() => sub(D0, g0.D.mul(lr))), c1 = tidy(() => sub(c0, g0.c.mul(lr)));
      const g1 = denseStep === 'first' ? grads(D1, c1) : g0;
      const abpsi = new ABPSI(model, { optimizer: new SGD({ lr }), tol: 0, side: 'input',
        denseStep });
      const loss = () => tidy(() => sum(square(sub(model.forward(X), Y))).mul(0.5 / n));
      await abpsi.step(loss);
      const P = tidy(() => matmul(low.V, low.V, { transposeB: true }));
      const want = tidy(() => sub(W0, matmul(g1.W, P).mul(lr)));
      const W1 = low.weightMatrix();
      const wantB = tidy(() => sub(b0, g1.b.mul(lr)));
      t.ok(maxDiff(dense.weight, D1) < 1e-13 && maxDiff(dense.bias!, c1) < 1e-13,
        'D₁, c₁: one step from the gradient at (W₀, D₀)');
      t.ok(maxDiff(W1, want) < 1e-12, `W₁ from G(W₀, D${denseStep === 'first' ? '₁' : '₀'}): ` +
        `max diff ${maxDiff(W1, want)}`);
      t.ok(maxDiff(low.bias!, wantB) < 1e-13, 'b₁ from the second pass, at the same point as W');
      const other = tidy(() => sub(W0, matmul((denseStep === 'first' ? g0 : grads(D1, c1)).W, P)
        .mul(lr)));
      t.ok(maxDiff(W1, other) > 1e-6, `the other order gives another W₁ (${maxDiff(W1, other)})`);
      dispose([X, Y, W0, b0, D0, c0, D1, c1, P, want, W1, wantB, other,
        ...Object.values(g0), ...(g1 === g0 ? [] : Object.values(g1))]);
      abpsi.dispose();
      model.dispose();
      t.equal(memory().numTensors, before, 'no tensor left behind');
    });
}

t.test('ABPSI: an unknown side or dense step is an error that names it', async (t) => {
  const l = new LowRankDense(4, 4, { rank: 2, seed: 1, dtype });
  t.throws(() => new ABPSI(l, { optimizer: new SGD({ lr: 0.1 }), tol: 0.1,
    side: 'left' as 'input' }), /^ABPSI: side must be 'output' or 'input', got 'left'/);
  t.throws(() => new ABPSI(l, { optimizer: new SGD({ lr: 0.1 }), tol: 0.1,
    denseStep: 'third' as 'first' }), /^ABPSI: denseStep must be 'second' or 'first', got 'third'/);
  l.dispose();
});
