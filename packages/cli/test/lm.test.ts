// The character-LM trainer: a short run on the Brown text lowers the validation loss, writes
// a complete record, and generates text from the corpus's characters; bad arguments are named.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import t from 'tap';
import { trainLM, type LMArgs } from '../src/lm.js';

const base: LMArgs = { attention: { kind: 'tucker', ranks: [2, 8, 8] }, dim: 16, depth: 1,
  heads: 2, context: 16, batch: 8, steps: 30, lr: 1e-2, seed: 1, evalEvery: 15, evalWindows: 16,
  backend: 'cpu', threads: 1 };

t.test('a short run learns, and its record is complete', async (t) => {
  const dir = mkdtempSync(`${os.tmpdir()}/dlrt-lm-`);
  try {
    const rec = await trainLM(base, () => {}, `${dir}/run.json`);
    t.equal(rec.stepLosses.length, 30);
    t.same(rec.validation.map((v) => v.step), [15, 30]);
    t.ok(rec.validation[0].loss < Math.log(rec.vocab.length), `below chance after 15 steps ` +
      `(${rec.validation[0].loss.toFixed(3)} < ln ${rec.vocab.length})`);
    t.ok(rec.validation[1].loss < rec.validation[0].loss, 'and lower after 30');
    t.equal(rec.attentionParameters, 2 * 8 * 8 + 2 * 2 + 16 * 8 + 16 * 8 + 2 * 8 * 8 + 2 * 2 +
      16 * 8 + 16 * 8, 'both Tucker tensors of the one block');
    t.equal(rec.kvCachePerToken, 16);
    t.ok(rec.sample.text.startsWith('The jury said') && rec.sample.text.length === 13 + 120);
    t.ok([...rec.sample.text].every((c) => rec.vocab.includes(c)));
    t.same(JSON.parse(readFileSync(`${dir}/run.json`, 'utf8')).validation, rec.validation);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.test('a run stopped after a validation resumes from its checkpoint to the same record',
  async (t) => {
    const dir = mkdtempSync(`${os.tmpdir()}/dlrt-lm-`);
    try {
      const a = { ...base, attention: { kind: 'mha' } as const, steps: 20, evalEvery: 10 };
      const whole = await trainLM(a, () => {});
      const checkpoint = `${dir}/run.ckpt`;
      const stop = (line: string) => {
        if (line.startsWith('step 10:')) throw new Error('stopped');
      };
      await t.rejects(trainLM(a, stop, `${dir}/run.json`, { checkpoint }), /stopped/);
      const lines: string[] = [];
      const resumed = await trainLM(a, (l) => lines.push(l), `${dir}/run.json`, { checkpoint });
      t.match(lines[0], /resumed from .*run\.ckpt at step 10/);
      t.same(resumed.stepLosses, whole.stepLosses, 'every step loss, bit for bit');
      t.same(resumed.validation, whole.validation);
      t.equal(resumed.sample.text, whole.sample.text);
      await t.rejects(trainLM({ ...a, lr: 0.02 }, () => {}, undefined, { checkpoint }),
        /checkpoint: .*run\.ckpt belongs to another run/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

t.test('bad arguments name the field', async (t) => {
  await t.rejects(trainLM({ ...base, steps: 0 }, () => {}), /trainLM: steps must be a positive integer, got 0/);
  await t.rejects(trainLM({ ...base, lr: -1 }, () => {}), /trainLM: lr must be positive, got -1/);
});
