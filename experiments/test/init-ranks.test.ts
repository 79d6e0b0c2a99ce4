// init-ranks: the settled rank is where repeated truncation stops, and it is where real
// RankAdaptiveBUG steps with a zero gradient take a freshly drawn net.
import t from 'tap';
import '@dlrt/backend-cpu';
import { mul, randn, Rng, sum, truncationRank, type TruncationRule } from '@dlrt/core';
import { factorizedParts, type LowRankLayer, mlp, RankAdaptiveBUG, SGD } from '@dlrt/layers';
import { settle, settledLeNet5, settledRank } from '../src/init-ranks.js';

const relative = (theta: number): TruncationRule => ({ kind: 'relative', theta, rMin: 2 });
const withZeros = (s: number[]) => [...s, ...s.map(() => 0)];

t.test('settledRank: truncates again until nothing more goes', async (t) => {
  const sigma = [1, 0.3, 0.29, 0.28];
  // One truncation keeps 3 (0.28 < 0.3·‖σ‖ = 0.336, but ‖(0.29, 0.28)‖ = 0.403 is not);
  // against the three kept ones 0.29 goes (0.29 < 0.325), then rMin stops the cascade at 2.
  t.equal(truncationRank(withZeros(sigma), relative(0.3)), 3);
  t.equal(truncationRank(withZeros(sigma.slice(0, 3)), relative(0.3)), 2);
  t.equal(settledRank(sigma, relative(0.3)), 2);
  t.equal(settledRank([5, 4, 3], relative(0.1)), 3, 'nothing small: all stay');
  t.equal(settledRank(sigma, relative(0)), 4, 'θ = 0 drops nothing');
});

t.test('settle: the ranks a zero-gradient RankAdaptiveBUG reaches, and stable', async (t) => {
  const draw = () => mlp({ rng: new Rng(3), hidden: [60, 40], lowRank: {}, init: 'dlrt-net' });
  const tol = 0.25;
  const settled = draw();
  const ranks = settle(settled, { tol });
  t.same(ranks.length, 2);
  // Stable: each layer's kept values, truncated once more, lose nothing.
  for (const [i, layer] of (factorizedParts(settled).layers as LowRankLayer[]).entries()) {
    t.equal(layer.rank, ranks[i]);
    t.ok(ranks[i] < layer.maxRank, `layer ${i} lost values: ${ranks[i]} < ${layer.maxRank}`);
    const s = layer.S.dataSync();
    const sigma = Array.from({ length: layer.rank }, (_, j) => s[j * layer.rank + j]);
    t.equal(truncationRank(withZeros(sigma), { kind: 'relative', theta: tol, rMin: 2 }),
      layer.rank);
  }
  // The same draw stepped by the integrator with a loss whose gradient is zero.
  const model = draw();
  const x = randn([8, 784], { rng: new Rng(1) });
  const bug = new RankAdaptiveBUG(model, { optimizer: new SGD({ lr: 0.05 }), tol });
  const before = model.forward(x).dataSync().slice();
  let steps = 0;
  let last = '';
  for (; steps < 40; steps++) {
    const { ranks: r } = await bug.step(() => mul(sum(model.forward(x)), 0));
    if (JSON.stringify(Object.values(r)) === last) break;
    last = JSON.stringify(Object.values(r));
  }
  t.ok(steps < 40, `ranks settled after ${steps} steps`);
  t.same(factorizedParts(model).layers.map((l) => l.rank), ranks);
  // And both nets compute the same function (up to float32 roundoff).
  const a = settled.forward(x).dataSync();
  const b = model.forward(x).dataSync();
  const scale = Math.max(...before.map(Math.abs));
  t.ok(a.every((v, i) => Math.abs(v - b[i]) < 1e-4 * scale), 'settled and stepped nets agree');
});

t.test('settledLeNet5: ranks within the caps, falling as θ grows', async (t) => {
  const lo = settledLeNet5('dlrt-net', 0, 0.11);
  const hi = settledLeNet5('dlrt-net', 0, 0.2);
  [10, 25, 250].forEach((cap, i) => {
    t.ok(lo.ranks[i] >= 2 && lo.ranks[i] <= cap);
    t.ok(hi.ranks[i] <= lo.ranks[i], `layer ${i}: ${hi.ranks[i]} ≤ ${lo.ranks[i]}`);
  });
  t.ok(hi.compression > lo.compression && lo.compression > 0 && hi.compression < 1);
});
