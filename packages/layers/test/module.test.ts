// Module bookkeeping: names, counts, modes. Oracle: the architecture's own arithmetic
// (LeNet5's 430,500 weights, as in COMPiLELab/DLRT-Net, plus 580 biases), and the
// caps ⌊min(n, m)/2⌋ of the reference code (a value above one is an error, never clamped).
import t from 'tap';
import { randn, Rng, tensor } from '@dlrt/core';
import '@dlrt/backend-cpu';
import {
  Conv2d, convCompression, Dense, lenet5, LowRankLayer, lowRankSize, LowRankSizeError, mlp,
  Module, ReLU, Sequential, TuckerConv2d, TuckerFactorsConv2d, vggMini,
} from '../src/index.js';

t.test('namedParameters uses dotted paths in registration order', async (t) => {
  const m = new Sequential([new Dense(4, 3, { seed: 1 }), new ReLU(), new Dense(3, 2, { seed: 2 })]);
  t.same(m.namedParameters().map(([n, v]) => [n, v.shape]), [
    ['0.weight', [3, 4]], ['0.bias', [3]], ['2.weight', [2, 3]], ['2.bias', [2]],
  ]);
  t.equal(m.numParameters(), 12 + 3 + 6 + 2);
  m.dispose();
});

t.test('freeze marks every parameter below a module untrainable, and only those', async (t) => {
  const m = new Sequential([new Dense(4, 3, { seed: 1 }), new ReLU(),
    new Dense(3, 2, { seed: 2 })]);
  const [first, , second] = m.namedChildren().map(([, c]) => c);
  t.equal(first.freeze(), first, 'returns the module');
  t.same(m.namedParameters().map(([n, v]) => [n, v.trainable]), [
    ['0.weight', false], ['0.bias', false], ['2.weight', true], ['2.bias', true],
  ]);
  m.freeze();
  t.ok(second.parameters().every((v) => !v.trainable), 'the whole model, children included');
  m.dispose();
});

t.test('lenet5 has the papers\' 430,500 weights plus 580 biases', async (t) => {
  const m = lenet5({ rng: new Rng(0) });
  const weights = m.namedParameters().filter(([n]) => n.endsWith('weight'));
  t.equal(weights.reduce((s, [, v]) => s + v.size, 0), 430500);
  t.equal(m.numParameters(), 430500 + 20 + 50 + 500 + 10);
  const y = m.forward(tensor(new Float32Array(2 * 784), [2, 784]));
  t.same(y.shape, [2, 10]);
  y.dispose();
  m.dispose();
});

t.test('lowRank ranks: one number for all layers, or a list per low-rank layer', async (t) => {
  const ranks = (m: Module) => m.modules().filter((x) => x instanceof LowRankLayer)
    .map((x) => [(x as LowRankLayer).rank, (x as LowRankLayer).maxRank]);
  const caps = lenet5({ rng: new Rng(0), lowRank: {} });
  t.same(ranks(caps), [[10, 10], [25, 25], [250, 250]], 'caps ⌊min(n, m)/2⌋');
  const listed = lenet5({ rng: new Rng(0), lowRank: { rank: [7, 12, 36], maxRank: [7, 12, 36] } });
  t.same(ranks(listed), [[7, 7], [12, 12], [36, 36]]);
  const mixed = mlp({ rng: new Rng(0), hidden: [40, 30], lowRank: { rank: [5, 15] } });
  t.same(ranks(mixed), [[5, 20], [15, 15]], 'a listed rank at the cap');
  t.throws(() => lenet5({ rng: new Rng(0), lowRank: { rank: [7, 12] } }),
    /lenet5: lowRank.rank lists 2 values \[7, 12\] for 3 low-rank layers/);
  t.throws(() => mlp({ rng: new Rng(0), hidden: [8], lowRank: { maxRank: [2, 2] } }),
    /mlp: lowRank.maxRank lists 2 values \[2, 2\] for 1 low-rank layers/);
  for (const m of [caps, listed, mixed]) m.dispose();
});

t.test('a rank or maxRank above a layer\'s cap is an error naming the layer, value and cap',
  async (t) => {
    t.throws(() => mlp({ rng: new Rng(0), hidden: [40, 30], lowRank: { rank: [5, 50] } }),
      { name: 'LowRankSizeError', key: 'rank', value: 50, message: 'mlp: lowRank.rank 50 is ' +
        'above the cap 15 = ⌊min(30, 40)/2⌋ of low-rank layer 1 (LowRankDense 40→30, W 30×40)' });
    t.throws(() => lenet5({ rng: new Rng(0), lowRank: { maxRank: 20 } }),
      { key: 'maxRank', value: 20, message: 'lenet5: lowRank.maxRank 20 is above the cap 10 = ' +
        '⌊min(20, 25)/2⌋ of low-rank layer 0 (LowRankConv2d 1→20 5×5, W 20×25)' });
    t.throws(() => lenet5({ rng: new Rng(0), lowRank: { rank: [5, 30, 5] } }),
      /lowRank.rank 30 is above the cap 25 = ⌊min\(50, 500\)\/2⌋ of low-rank layer 1/);
    t.throws(() => lowRankSize(500, 784, { rank: 40, maxRank: 30 }), new LowRankSizeError('rank',
      40, 'lowRank.maxRank 30 of low-rank layer 0 (W 500×784)'));
    t.same(lowRankSize(500, 784, { rank: 32 }), { rank: 32, maxRank: 250 });
    t.same(lowRankSize(500, 784, { maxRank: 250 }), { rank: 250, maxRank: 250 }, 'the cap itself');
    t.same(lowRankSize(1, 9, {}), { rank: 1, maxRank: 1 }, 'a cap of at least 1');
  });

t.test('train()/eval() reach every submodule', async (t) => {
  const m = mlp({ rng: new Rng(0), hidden: [8, 8] });
  m.eval();
  t.ok(m.modules().every((x) => !x.training));
  m.train();
  t.ok(m.modules().every((x) => x.training));
  m.dispose();
});

t.test('same seed, same weights; shared rng, different weights', async (t) => {
  const a = new Dense(5, 5, { seed: 3 });
  const b = new Dense(5, 5, { seed: 3 });
  t.same(a.weight.dataSync(), b.weight.dataSync());
  const rng = new Rng(3);
  const c = new Dense(5, 5, { rng });
  const d = new Dense(5, 5, { rng });
  t.notSame(c.weight.dataSync(), d.weight.dataSync());
  const bound = 1 / Math.sqrt(5);
  t.ok(c.weight.dataSync().every((x) => Math.abs(x) <= bound), 'U(-1/sqrt(fanIn), 1/sqrt(fanIn))');
  for (const m of [a, b, c, d]) m.dispose();
});

t.test('bad names and bad sizes are errors', async (t) => {
  class Twice extends Module {
    constructor() {
      super();
      this.addModule('a', new ReLU());
      this.addModule('a', new ReLU());
    }
    forward(x: never) { return x; }
  }
  t.throws(() => new Twice(), /name 'a'/);
  t.throws(() => new Dense(0, 3), /Dense: inFeatures must be a positive integer, got 0/);
  const d = new Dense(4, 2, { seed: 0 });
  t.throws(() => d.forward(tensor(new Float32Array(6), [2, 3])), /Dense\(4→2\): input \[2,3\]/);
  d.dispose();
});

t.test('convolution formats: lenet5 with a Tucker conv2, vggMini in every format', async (t) => {
  const kinds = (m: Module) => m.modules().filter((x) => x instanceof Conv2d ||
    x instanceof LowRankLayer || x instanceof TuckerConv2d || x instanceof TuckerFactorsConv2d ||
    x instanceof Dense).map((x) => x.constructor.name);
  const tucker = lenet5({ rng: new Rng(0), conv: 'tucker' });
  t.same(kinds(tucker), ['Conv2d', 'TuckerConv2d', 'Dense', 'Dense'],
    'conv2 Tucker, everything else dense');
  t.same((tucker.layers[4] as TuckerConv2d).ranks, [25, 10], 'caps ⌊nᵢ/2⌋ per channel mode');
  const withLowRank = lenet5({ rng: new Rng(0), conv: 'tucker', lowRank: { rank: [5, 50] },
    tucker: { rank: 4 } });
  t.same(kinds(withLowRank), ['LowRankConv2d', 'TuckerConv2d', 'LowRankDense', 'Dense']);
  t.same((withLowRank.layers[4] as TuckerConv2d).ranks, [4, 4]);
  t.throws(() => lenet5({ rng: new Rng(0), conv: 'tucker', tucker: { rank: 11 } }),
    /lenet5: tucker.rank 11 is above the cap 10 = ⌊min\(20, 1250\)\/2⌋ of Tucker layer 0 \(TuckerConv2d 20→50 5×5, mode 1\)/);
  t.throws(() => lenet5({ rng: new Rng(0), conv: 'matrix' }), /conv 'matrix' takes its ranks from lowRank/);
  t.throws(() => lenet5({ rng: new Rng(0), conv: 'cp' as 'dense' }), /lenet5: conv 'cp' is not one of dense, matrix, tucker/);
  const x = randn([2, 784], { seed: 1 });
  for (const conv of ['dense', 'matrix', 'tucker'] as const) {
    const m = vggMini({ rng: new Rng(1), conv, lowRank: conv === 'matrix' ? {} : undefined,
      blocks: [[4, 4], [8]] });
    t.same(m.forward(x).shape, [2, 10], `vggMini ${conv}`);
    const want = { dense: 'Conv2d', matrix: 'LowRankConv2d', tucker: 'TuckerConv2d' }[conv];
    t.same(kinds(m), [want, want, want, 'Dense'], `${conv}: every convolution`);
    if (conv === 'tucker') {
      t.same(m.modules().filter((l) => l instanceof TuckerConv2d).map((l) =>
        (l as TuckerConv2d).modes), [[0], [0, 1], [0, 1]], 'the first on its output mode');
      const c = convCompression(m);
      const stored = (2 * 9 + 4 * 2) + (2 * 2 * 9 + 4 * 2 + 4 * 2) + (4 * 2 * 9 + 8 * 4 + 4 * 2);
      t.same(c, { parameters: stored, dense: 4 * 9 + 4 * 4 * 9 + 8 * 4 * 9,
        compression: 1 - stored / (4 * 9 + 4 * 4 * 9 + 8 * 4 * 9) }, 'kernel scalars only');
    }
    m.dispose();
  }
  const free = vggMini({ rng: new Rng(1), conv: 'tucker', tucker: { factors: 'free', rank: [1, 2, 2] },
    blocks: [[4, 4], [8]] });
  t.same(kinds(free), ['TuckerFactorsConv2d', 'TuckerFactorsConv2d', 'TuckerFactorsConv2d', 'Dense']);
  t.throws(() => vggMini({ rng: new Rng(1), conv: 'tucker', tucker: { rank: [1, 2] },
    blocks: [[4, 4], [8]] }), /vggMini: tucker.rank lists 2 values \[1, 2\] for 3 Tucker layers/);
  t.throws(() => vggMini({ rng: new Rng(1), blocks: [[4, 0]] }), /vggMini: blocks \[\[4,0\]\] must be/);
  for (const m of [tucker, withLowRank, free]) m.dispose();
});
