// TuckerBUG with `localSteps` (the augmented-BUG schedule of the authors' later code): each
// cycle of n steps augments once with 𝒲 unchanged, then takes n − 1 plain gradient steps of the
// core and bias in the fixed bases, then truncates within √d·τ‖𝒞‖. float64, least squares.
import t from 'tap';
import {
  linalg, mul, randn, Rng, sub, sum, square, type Tensor, tidy, variableGrads,
} from '@dlrt/core';
import '@dlrt/backend-cpu';
import { maxAbsDiff, orthonormalityError } from '@dlrt/core/testing';
import {
  type FactorizedLayer, Sequential, SGD, TuckerBUG, TuckerConv2d,
} from '../src/index.js';

const f64 = 'float64' as const;
const fro = (a: Tensor): number => tidy(() => linalg.norm(a));

t.test('cycles of n: augment (𝒲 unchanged), n − 1 core steps in fixed bases, truncate', async (t) => {
  const rng = new Rng(8);
  const teacher = new TuckerConv2d(6, 10, 3, { ranks: [3, 2], padding: 1, rng, dtype: f64,
    bias: false });
  const X = randn([16, 6, 5, 5], { rng, dtype: f64 });
  const Y = tidy(() => teacher.forward(X));
  const l = new TuckerConv2d(6, 10, 3, { ranks: [5, 3], padding: 1, rng, dtype: f64 });
  const [n, lr, tau] = [4, 0.3, 0.05];
  const bug = new TuckerBUG(new Sequential([l]), { optimizer: new SGD({ lr }), tol: tau,
    localSteps: n });
  t.equal(bug.name, 'TuckerBUG(cycles of 4)');
  const loss = () => mul(sum(square(sub(l.forward(X), Y))), 0.5 / (16 * 25));
  const worst = { augment: 0, core: 0, truncate: 0, orth: 0 };
  let passes = 0;
  let phase = 0;
  // Each truncation (the rebase at a cycle's last step) moves 𝒲 by at most √2·τ‖𝒞‖.
  const rebase = l.rebase.bind(l);
  (l as { rebase: FactorizedLayer['rebase'] }).rebase = (next, o) => {
    const [before, coreNorm] = [l.kernel(), fro(l.core)];
    rebase(next, o);
    const moved = fro(tidy(() => sub(l.kernel(), before)));
    before.dispose();
    if (phase === n - 1) {
      worst.truncate = Math.max(worst.truncate, moved / (Math.SQRT2 * tau * coreNorm));
    }
  };
  for (let s = 0; s < 48; s++) {
    phase = s % n;
    const W0 = l.kernel();
    const bias0 = l.bias!.dataSync().slice();
    const bases0 = l.bases.map((u) => u.dataSync().slice());
    const ranks0 = l.ranks;
    // The core step's oracle: 𝒞 − λ∇𝒞 and b − λ∇b in the current bases.
    const g = phase === 0 ? null : variableGrads(loss, [l.core, l.bias!]);
    const expected = g && tidy(() => [sub(l.core, mul(g.grads.get(l.core)!, lr)),
      sub(l.bias!, mul(g.grads.get(l.bias!)!, lr))]);
    g?.value.dispose();
    g?.grads.forEach((x) => x.dispose());
    await bug.step(() => {
      passes++;
      return loss();
    });
    const moved = fro(tidy(() => sub(l.kernel(), W0)));
    if (phase === 0) {
      worst.augment = Math.max(worst.augment, moved / fro(W0));
      t.same(l.ranks, ranks0.map((r, i) => Math.min(2 * r, [10, 6][i])), `step ${s}: augmented`);
      t.same(l.bias!.dataSync(), bias0, `step ${s}: the bias does not move`);
    } else if (phase < n - 1) {
      t.same(l.bases.map((u) => u.dataSync()), bases0, `step ${s}: the bases stay`);
      worst.core = Math.max(worst.core, maxAbsDiff(l.core, expected![0]),
        maxAbsDiff(l.bias!, expected![1]));
    } else {
      t.ok(l.ranks.every((r, i) => r <= ranks0[i]), `step ${s}: truncated to [${l.ranks}]`);
    }
    worst.orth = Math.max(worst.orth, ...l.bases.map((u) => orthonormalityError(u)));
    expected?.forEach((x) => x.dispose());
    W0.dispose();
  }
  t.equal(passes, 48, 'one pass per step');
  t.ok(worst.augment < 1e-13, `augmentation: ‖Δ𝒲‖/‖𝒲‖ ≤ ${worst.augment.toExponential(2)}`);
  t.ok(worst.core < 1e-12, `core steps are SGD on 𝒞 and b: ${worst.core.toExponential(2)}`);
  t.ok(worst.truncate <= 1, `truncation: ‖Δ𝒲‖ ≤ ${worst.truncate.toFixed(3)}·√2·τ‖𝒞‖`);
  t.ok(worst.orth < 1e-13, `‖UᵢᵀUᵢ − I‖ ≤ ${worst.orth.toExponential(2)}`);
  t.same(l.ranks, [3, 2], 'ends at the teacher\'s ranks');
  t.ok(loss().dataSync()[0] < 1e-4, 'and fits it');
});

t.test('localSteps: bad values are errors naming the option', (t) => {
  const m = new Sequential([new TuckerConv2d(4, 6, 3, { seed: 1 })]);
  const sgd = new SGD({ lr: 0.1 });
  for (const bad of [1, 0, 2.5, -3, NaN]) {
    t.throws(() => new TuckerBUG(m, { optimizer: sgd, tol: 0.1, localSteps: bad }),
      new RegExp(`TuckerBUG: localSteps must be an integer ≥ 2, got ${bad}`));
  }
  t.throws(() => new TuckerBUG(m, { optimizer: sgd, rank: 'fixed', localSteps: 3 } as never),
    /localSteps needs the rank-adaptive step/);
  t.end();
});
