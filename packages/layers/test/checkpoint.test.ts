// Checkpoints. Oracle: the same run without interruption. A run cut after each epoch and
// resumed in fresh objects (another seed's model, a new optimizer and generator) must end with
// the same history and the same weights, bit for bit, through rank changes and momentum.
import { readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { Rng } from '@dlrt/core';
import '@dlrt/backend-cpu';
import {
  decodeSafetensors, encodeModel, encodeSafetensors, type EpochLog, GradientStep,
  type Integrator, mlp, type Module, ParallelBUG, SGD, Trainer,
} from '../src/index.js';
import { checkpointWriter, mnist, readCheckpoint } from '../src/node/index.js';
import { release } from '../src/testing/fixtures.js';

const data = (() => {
  const { train, test } = mnist();
  const cut = (s: typeof train, n: number) => ({ images: s.images.slice(0, n * 784),
    labels: s.labels.slice(0, n), count: n });
  return { train: cut(train, 400), test: cut(test, 200) };
})();

type Make = (model: Module, optimizer: SGD) => Integrator;

/** Trains `epochs` epochs; with a checkpoint path, restarts in fresh objects after each one. */
async function run(make: Make, momentum: number, epochs: number, path: string | null):
  Promise<{ history: EpochLog[]; weights: number[] }> {
  let history: EpochLog[] = [];
  let done = 0;
  let model: Module | null = null;
  while (done < epochs) {
    model?.dispose();
    // A fresh start draws another model: every value must come from the checkpoint.
    const rng = new Rng(done === 0 ? 5 : 99);
    model = mlp({ rng, hidden: [32], lowRank: { rank: 12 } });
    const optimizer = new SGD({ lr: 0.05, momentum });
    const parts = { model, rng, optimizer, meta: { momentum } };
    if (done > 0) history = readCheckpoint(path!, parts);
    const next = path ? done + 1 : epochs;
    const integrator = make(model, optimizer);
    history = await new Trainer({ model, integrator, ...data,
      epochs: next, batchSize: 50, rng, progress: 'none', log: () => {}, resumeFrom: history,
      onEpoch: path ? checkpointWriter(path, parts) : undefined }).fit();
    done = next;
    release(integrator);
    optimizer.dispose();
  }
  const weights = model!.parameters().flatMap((v) => Array.from(v.dataSync()));
  model!.dispose();
  return { history, weights };
}

const strip = (h: EpochLog[]) => h.map(({ seconds: _s, evalSeconds: _e, ...rest }) => rest);

t.test('a run resumed from its checkpoint after every epoch equals the run without breaks',
  async (t) => {
    const dir = t.testdir({});
    const cases: [string, Make, number][] = [
      ['ParallelBUG, plain SGD', (m, optimizer) => new ParallelBUG(m, { optimizer, tol: 0.3 }), 0],
      ['dense, SGD momentum 0.9', (m, optimizer) => new GradientStep(m, { optimizer }), 0.9],
    ];
    for (const [name, make, momentum] of cases) {
      const whole = await run(make, momentum, 3, null);
      const cut = await run(make, momentum, 3, `${dir}/c.json`);
      t.same(strip(cut.history), strip(whole.history), `${name}: the same history`);
      t.ok(cut.weights.length === whole.weights.length &&
        cut.weights.every((w, i) => Object.is(w, whole.weights[i])), `${name}: the same weights`);
      if (name.startsWith('ParallelBUG')) {
        const ranks = whole.history.map((e) => Object.values(e.ranks)[0]);
        t.ok(ranks.some((r) => r !== 12), `the rank moved from 12 (${ranks})`);
      }
    }
  });

t.test('checkpoints refuse other runs, other models, unsaved state and corrupt files',
  async (t) => {
    const dir = t.testdir({});
    const path = `${dir}/c.safetensors`;
    const rng = new Rng(1);
    const model = mlp({ rng, hidden: [16], lowRank: { rank: 4 } });
    const optimizer = new SGD({ lr: 0.1 });
    const parts = { model, rng, optimizer, meta: { lr: 0.1 } };
    await new Trainer({ model, integrator: new ParallelBUG(model, { optimizer, tol: 0.2 }), ...data,
      epochs: 1, batchSize: 100, rng, progress: 'none', log: () => {},
      onEpoch: checkpointWriter(path, parts) }).fit();
    t.throws(() => readCheckpoint(path, { ...parts, meta: { lr: 0.2 } }),
      /^checkpoint: .*c\.safetensors belongs to another run: its \{"lr":0\.1\} is not this run's \{"lr":0\.2\}/);
    const other = mlp({ rng: new Rng(2), hidden: [16, 16] });
    t.throws(() => readCheckpoint(path, { ...parts, model: other }),
      /^loadModel: .*c\.safetensors: tensor '1\.U' is not a parameter of the model/);
    const bytes = readFileSync(path);
    const whole = decodeSafetensors(bytes, path);
    const { 'dlrt.rng': _rng, ...noRng } = whole.metadata;
    writeFileSync(path, encodeSafetensors([...whole.tensors], noRng));
    t.throws(() => readCheckpoint(path, parts),
      /^checkpoint: .*c\.safetensors has no 'dlrt\.rng' metadata; it is not a whole checkpoint/);
    writeFileSync(path, bytes.subarray(0, 100));
    t.throws(() => readCheckpoint(path, parts),
      /^safetensors: .*c\.safetensors: the header length \d+ runs past the file's 100 bytes/);
    writeFileSync(path, encodeModel(model));
    t.throws(() => readCheckpoint(path, parts),
      /^checkpoint: .*c\.safetensors is a model file without training state/);
    t.throws(() => readCheckpoint(`${dir}/none`, parts), /^checkpoint: cannot read .*none/);
    // Momentum on a low-rank model: the integrator's K coefficients carry state.
    const m2 = mlp({ rng: new Rng(3), hidden: [16], lowRank: { rank: 4 } });
    const o2 = new SGD({ lr: 0.1, momentum: 0.9 });
    const rng2 = new Rng(3);
    await t.rejects(new Trainer({ model: m2, integrator: new ParallelBUG(m2, { optimizer: o2,
      tol: 0.2 }), ...data, epochs: 1, batchSize: 100, rng: rng2, progress: 'none',
    log: () => {}, onEpoch: checkpointWriter(`${dir}/d.json`, { model: m2, rng: rng2,
      optimizer: o2 }) }).fit(), /^checkpoint: the optimizer holds state for \d+ variables outside the model/);
    for (const x of [model, other, m2]) x.dispose();
    optimizer.dispose();
    o2.dispose();
  });

t.test('Trainer refuses a resume history that is not epochs 1…k', async (t) => {
  const rng = new Rng(1);
  const model = mlp({ rng, hidden: [8] });
  const fake = { epoch: 2 } as EpochLog;
  await t.rejects(new Trainer({ model, integrator: new GradientStep(model,
    { optimizer: new SGD({ lr: 0.1 }) }), ...data, epochs: 3, batchSize: 100, rng,
  progress: 'none', resumeFrom: [fake] }).fit(),
  /^Trainer: resumeFrom must hold epochs 1…k with k ≤ 3, got \[2\]/);
  model.dispose();
});
