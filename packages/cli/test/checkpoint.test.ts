// dlrt train --checkpoint: a run stopped and resumed equals the same run straight through, and
// a checkpoint refuses another run's arguments.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { train } from '../src/train.js';

t.test('--checkpoint: a run stopped after 2 epochs and resumed for a 3rd equals 3 epochs straight',
  async (t) => {
    const dir = t.testdir({});
    const args = { model: 'mlp', hidden: [16], epochs: 3, batch: 500, lr: 0.05,
      optimizer: 'sgd', momentum: 0, method: 'bug', tol: 0.1, rank: 8, truncation: 'std',
      side: 'output', init: 'uniform', outputGain: 'relu', data: 'mnist', standardize: false,
      validation: 0,
      backend: 'cpu', threads: 1, gpuMode: 'auto', seed: 3, progress: 'none' } as const;
    const straight = await train({ ...args, hidden: [16] }, () => {});
    const checkpoint = `${dir}/run.ckpt`;
    await train({ ...args, hidden: [16], epochs: 2, checkpoint }, () => {});
    const lines: string[] = [];
    const resumed = await train({ ...args, hidden: [16], checkpoint, json: `${dir}/run.json` },
      (l) => lines.push(l));
    t.ok(lines.some((l) => l.startsWith(`resuming from ${checkpoint} after epoch 2`)),
      'it says it resumed');
    const strip = (h: typeof straight) => h.map(({ seconds: _s, evalSeconds: _e, ...r }) => r);
    t.same(strip(resumed), strip(straight), 'the same three epochs');
    const record = JSON.parse(readFileSync(`${dir}/run.json`, 'utf8'));
    t.equal(record.epochs.length, 3, 'the record holds all three');
    t.notOk('checkpoint' in record.args, 'the record holds no checkpoint path');
    await t.rejects(train({ ...args, hidden: [16], lr: 0.1, checkpoint }, () => {}),
      /^checkpoint: .*run\.ckpt belongs to another run/);
    await t.rejects(train({ ...args, hidden: [16], momentum: 0.9, checkpoint }, () => {}),
      /^--checkpoint: a low-rank run under momentum or Adam keeps optimizer state/);
  });
