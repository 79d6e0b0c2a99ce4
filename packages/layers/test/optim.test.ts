// Optimizers against float64 re-derivations of PyTorch's update rules, iterated by hand.
import t from 'tap';
import { tensor, Variable } from '@dlrt/core';
import '@dlrt/backend-cpu';
import { Adam, AdamW, type Optimizer, SGD } from '../src/index.js';

const p0 = [0.5, -1.25, 2.0];
const grads = [[0.1, -0.2, 0.3], [-0.4, 0.5, 0.05], [0.2, 0.2, -0.7]];

function run(opt: Optimizer): number[] {
  const v = new Variable(tensor(p0, [3], 'float64'));
  for (const g of grads) {
    const gt = tensor(g, [3], 'float64');
    opt.step(new Map([[v, gt]]));
    gt.dispose();
  }
  const out = Array.from(v.dataSync());
  opt.dispose();
  v.dispose();
  return out;
}

function close(t: { ok(v: boolean, m: string): void }, got: number[], want: number[],
  msg: string): void {
  const err = Math.max(...got.map((g, i) => Math.abs(g - want[i])));
  t.ok(err < 1e-12, `${msg}: max error ${err}`);
}

t.test('SGD with momentum, dampening, Nesterov and weight decay', async (t) => {
  for (const o of [{ lr: 0.1 }, { lr: 0.1, momentum: 0.9 }, { lr: 0.05, momentum: 0.8, nesterov: true },
    { lr: 0.1, momentum: 0.5, dampening: 0.3, weightDecay: 0.01 }]) {
    const p = [...p0];
    const buf: number[] = [];
    grads.forEach((g, step) => {
      for (let i = 0; i < 3; i++) {
        let d = g[i] + (o.weightDecay ?? 0) * p[i];
        const mu = o.momentum ?? 0;
        if (mu) {
          buf[i] = step === 0 ? d : mu * buf[i] + (1 - (o.dampening ?? 0)) * d;
          d = o.nesterov ? d + mu * buf[i] : buf[i];
        }
        p[i] -= o.lr * d;
      }
    });
    close(t, run(new SGD(o)), p, `SGD ${JSON.stringify(o)}`);
  }
});

function adamRef(lr: number, wd: number, decoupled: boolean): number[] {
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  const p = [...p0];
  const m = [0, 0, 0];
  const v = [0, 0, 0];
  grads.forEach((g, s) => {
    const step = s + 1;
    for (let i = 0; i < 3; i++) {
      const gi = decoupled ? g[i] : g[i] + wd * p[i];
      if (decoupled) p[i] *= 1 - lr * wd;
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      const mh = m[i] / (1 - b1 ** step);
      const vh = v[i] / (1 - b2 ** step);
      p[i] -= (lr * mh) / (Math.sqrt(vh) + eps);
    }
  });
  return p;
}

t.test('Adam and AdamW', async (t) => {
  close(t, run(new Adam({ lr: 0.01 })), adamRef(0.01, 0, false), 'Adam');
  close(t, run(new Adam({ lr: 0.01, weightDecay: 0.1 })), adamRef(0.01, 0.1, false), 'Adam L2');
  close(t, run(new AdamW({ lr: 0.01 })), adamRef(0.01, 0.01, true), 'AdamW default decay');
  close(t, run(new AdamW({ lr: 0.01, weightDecay: 0.2 })), adamRef(0.01, 0.2, true), 'AdamW');
});

t.test('state can be read and replaced (for basis changes)', async (t) => {
  const opt = new SGD({ lr: 0.1, momentum: 0.9 });
  const v = new Variable(tensor([1, 2], [2], 'float64'));
  const g = tensor([1, 1], [2], 'float64');
  opt.step(new Map([[v, g]]));
  t.same(Array.from(opt.state(v)![0].dataSync()), [1, 1], 'momentum buffer = first gradient');
  g.dispose();
  t.same(Array.from(opt.state(v)![0].dataSync()), [1, 1], 'buffer survives the gradient');
  opt.setState(v, [tensor([0, 0], [2], 'float64')]);
  const g2 = tensor([1, 1], [2], 'float64');
  opt.step(new Map([[v, g2]]));
  // buf = 0.9·0 + 1 = 1; p = (1 − 0.1, 2 − 0.1) − 0.1
  t.same(Array.from(v.dataSync()).map((x) => +x.toFixed(12)), [0.8, 1.8]);
  opt.resetState(v);
  t.equal(opt.state(v), undefined);
  opt.dispose();
  g2.dispose();
  v.dispose();
});

t.test('bad hyperparameters are errors naming the optimizer', async (t) => {
  t.throws(() => new SGD({ lr: -1 }), /SGD: lr must be a positive number, got -1/);
  t.throws(() => new SGD({ lr: 0.1, momentum: 1.5 }), /SGD: momentum must be in \[0, 1\)/);
  t.throws(() => new SGD({ lr: 0.1, nesterov: true }), /nesterov needs momentum/);
  t.throws(() => new Adam({ beta1: 1 }), /Adam: beta1 must be in \[0, 1\), got 1/);
});

t.test('hyper-parameters out of range are errors naming the optimizer and the value', async (t) => {
  t.throws(() => new SGD({ lr: 0.1, momentum: 0.5, dampening: 2 }),
    /SGD: dampening must be in \[0, 1\], got 2/);
  t.throws(() => new SGD({ lr: 0.1, momentum: 1 }), /SGD: momentum must be in \[0, 1\), got 1/);
  t.throws(() => new Adam({ eps: 0 }), /Adam: eps must be a positive number, got 0/);
  t.throws(() => new AdamW({ eps: -1 }), /AdamW: eps must be a positive number, got -1/);
  t.throws(() => new Adam({ beta1: '0.9' as unknown as number }),
    /Adam: beta1 must be in \[0, 1\), got '0.9'/);
  t.doesNotThrow(() => new SGD({ lr: 0.1, momentum: 0.5, dampening: 1 }), 'dampening 1 is fine');
});
