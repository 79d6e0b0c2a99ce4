// End-to-end training. Oracles: a teacher–student problem whose exact solution is known,
// the bundled MNIST split (accuracy far above chance), and invariants (flat live tensors,
// NaN stops the run with its epoch and step).
import t from 'tap';
import { matmul, memory, mul, randn, Rng, tidy } from '@dlrt/core';
import '@dlrt/backend-cpu';
import {
  Adam, bestValidationEpoch, crossEntropy, Dense, evaluate, GradientStep, holdOut, mlp, mse,
  SGD, Trainer,
} from '../src/index.js';
import { mnist, runRecordWriter } from '../src/node/index.js';

t.test('GradientStep recovers a linear teacher (least squares)', async (t) => {
  const teacher = randn([3, 5], { seed: 1, dtype: 'float64' });
  const x = randn([64, 5], { seed: 2, dtype: 'float64' });
  const y = matmul(x, teacher, { transposeB: true });
  const student = new Dense(5, 3, { seed: 3, dtype: 'float64', bias: false });
  const step = new GradientStep(student, { optimizer: new SGD({ lr: 0.1, momentum: 0.5 }) });
  let first = 0;
  let last = 0;
  for (let i = 0; i < 300; i++) {
    const r = await step.step(() => mse(student.forward(x), y));
    if (i === 0) first = r.loss;
    last = r.loss;
  }
  const w = student.weight.dataSync();
  const want = teacher.dataSync();
  const err = Math.max(...Array.from(w, (v, i) => Math.abs(v - want[i])));
  t.ok(last < 1e-12 * first + 1e-20, `loss ${first} → ${last}`);
  t.ok(err < 1e-6, `weights match the teacher to ${err}`);
  for (const z of [teacher, x, y]) z.dispose();
  student.dispose();
});

t.test('Trainer on MNIST: accuracy well above chance, live tensors flat, JSON written',
  async (t) => {
    const data = mnist();
    const rng = new Rng(0);
    const model = mlp({ rng, hidden: [64] });
    const before = memory().numTensors;
    const lines: string[] = [];
    const dir = t.testdir({});
    const trainer = new Trainer({
      model, integrator: new GradientStep(model, { optimizer: new Adam({ lr: 2e-3 }) }),
      train: data.train, test: data.test, epochs: 2, batchSize: 100, rng, progress: 'none',
      log: (l) => lines.push(l), onEpoch: runRecordWriter(`${dir}/h.json`),
    });
    const h = await trainer.fit();
    t.equal(h.length, 2);
    t.ok(h[1].testAccuracy! > 0.9, `test accuracy ${h[1].testAccuracy}`);
    t.ok(h[1].loss < h[0].loss, 'training loss falls');
    t.equal(h[0].liveTensors, h[1].liveTensors, 'no tensor leaks across epochs');
    t.match(lines[1], /^epoch 2\/2 {2}loss \d\.\d{4} {2}test loss .* test acc \d+\.\d\d% {2}[\d.]+ s$/);
    const json = JSON.parse((await import('node:fs')).readFileSync(`${dir}/h.json`, 'utf8'));
    t.equal(json.epochs.length, 2);
    const again = await trainer.fit();
    t.same(again.map((e) => e.epoch), [1, 2], 'a second fit trains no epoch again');
    t.equal(lines.length, 2, 'and logs nothing');
    model.dispose();
    t.ok(memory().numTensors - before <= 8, 'only optimizer state outlives the model');
  });

t.test('a NaN loss stops training with an error naming the epoch and step', async (t) => {
  const data = mnist();
  const rng = new Rng(0);
  const model = mlp({ rng, hidden: [8] });
  let calls = 0;
  const trainer = new Trainer({
    model, integrator: new GradientStep(model, { optimizer: new SGD({ lr: 0.1 }) }),
    train: data.train, epochs: 1, batchSize: 500, rng, progress: 'none', log: () => {},
    loss: (out, y) => {
      calls++;
      const l = crossEntropy(out, y);
      return calls === 3 ? tidy(() => mul(l, NaN)) : l;
    },
  });
  await t.rejects(trainer.fit(), /loss is NaN at epoch 1, step 3 of 16/);
  const w = model.parameters()[0].dataSync();
  t.ok(w.every(Number.isFinite), 'the NaN step was not applied');
  model.dispose();
});

t.test('Trainer rejects bad settings', async (t) => {
  const model = mlp({ rng: new Rng(0), hidden: [4] });
  const base = { model, integrator: new GradientStep(model, { optimizer: new SGD({ lr: 1 }) }),
    train: { images: new Float32Array(784 * 2), labels: [0, 1], count: 2 }, rng: new Rng(0) };
  t.throws(() => new Trainer({ ...base, epochs: 0, batchSize: 1 }), /epochs must be a positive integer/);
  t.throws(() => new Trainer({ ...base, epochs: 1, batchSize: 1.5 }), /batchSize must be/);
  model.dispose();
});

t.test('Trainer with a validation hold-out: logs its loss and accuracy, selects an epoch',
  async (t) => {
    const { train: all } = mnist();
    const { train, validation } = holdOut(all, 1000);
    const rng = new Rng(1);
    const model = mlp({ rng, hidden: [32] });
    const lines: string[] = [];
    const h = await new Trainer({
      model, integrator: new GradientStep(model, { optimizer: new Adam({ lr: 2e-3 }) }),
      train, validation, epochs: 2, batchSize: 100, rng, progress: 'none',
      log: (l) => lines.push(l),
    }).fit();
    const now = evaluate(model, validation);
    t.equal(h[1].validationLoss, now.loss, 'the last validation loss is the model\'s');
    t.equal(h[1].validationAccuracy, now.accuracy);
    t.ok(now.accuracy > 0.85, `validation accuracy ${now.accuracy}`);
    t.equal(h[1].testAccuracy, null, 'no test split, no test numbers');
    t.match(lines[1], /val loss \d\.\d{4} {2}val acc \d+\.\d\d%/);
    t.equal(bestValidationEpoch(h).validationLoss,
      Math.min(h[0].validationLoss!, h[1].validationLoss!));
    model.dispose();
  });

t.test('bestValidationEpoch: lowest validation loss, first of equals; errors without one',
  async (t) => {
    const e = (epoch: number, validationLoss: number | null) => ({
      epoch, loss: 1, testLoss: null, testAccuracy: 0.9 + epoch / 100, validationLoss,
      validationAccuracy: null, seconds: 1, evalSeconds: 0, ranks: {}, parameters: 1,
      compression: 0, liveTensors: 0,
    });
    t.equal(bestValidationEpoch([e(1, 0.5), e(2, 0.3), e(3, 0.3), e(4, 0.4)]).epoch, 2);
    t.equal(bestValidationEpoch([e(1, 0.2)]).epoch, 1);
    t.throws(() => bestValidationEpoch([]), /bestValidationEpoch: the history is empty/);
    t.throws(() => bestValidationEpoch([e(1, 0.2), e(2, null)]),
      /bestValidationEpoch: epoch 2 has no validation loss/);
  });

t.test('Trainer rejects rows and labels that do not fit', async (t) => {
  const model = mlp({ rng: new Rng(0), hidden: [4] });
  const base = { model, integrator: new GradientStep(model, { optimizer: new SGD({ lr: 1 }) }),
    train: { images: new Float32Array(784 * 2), labels: [0, 1], count: 2 }, rng: new Rng(0),
    epochs: 1, batchSize: 1 };
  const bad = { images: new Float32Array(783 * 2), labels: [0, 1], count: 2 };
  t.throws(() => new Trainer({ ...base, validation: bad }),
    /Trainer: validation has 1566 values for 2 rows; expected rows of 784 values/);
  t.throws(() => new Trainer({ ...base, test: bad }), /Trainer: test has 1566 values/);
  const images = new Float32Array(784 * 2);
  t.throws(() => new Trainer({ ...base, train: { images, labels: [0, 1.5], count: 2 } }),
    /Trainer: train label 1.5 at row 1 is not a class index/);
  t.throws(() => new Trainer({ ...base, test: { images, labels: [-1, 0], count: 2 } }),
    /Trainer: test label -1 at row 0 is not a class index/);
  t.throws(() => new Trainer({ ...base, train: { images, labels: [0], count: 2 } }),
    /Trainer: train has 1 labels for 2 rows/);
  model.dispose();
});
