// Replaying a run record. Oracle: a record this test writes with `train` itself, replayed
// exactly, and the same record with one value altered, which the replay must name.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { train } from '@dlrt/cli';
import { replay, replayArgs } from '../src/replay-record.js';

t.test('a replay of a fresh record matches; an altered value is named', async (t) => {
  const dir = t.testdir({});
  const args = { model: 'mlp', hidden: [16], epochs: 2, batch: 500, lr: 0.05,
    optimizer: 'sgd', momentum: 0.9, method: 'bug', tol: 0.1, rank: 8, truncation: 'std',
    side: 'output',
    init: 'uniform', outputGain: 'relu', data: 'mnist', standardize: false, validation: 0,
    backend: 'cpu', threads: 1, gpuMode: 'auto', seed: 3, progress: 'none',
    json: `${dir}/run.json` } as const;
  await train({ ...args, hidden: [16] }, () => {});
  const record = JSON.parse(readFileSync(`${dir}/run.json`, 'utf8'));
  t.same(await replay(record, 1), [], 'the first epoch replays exactly');
  record.epochs[0].loss += 1e-12;
  record.epochs[0].ranks = { 1: 99 };
  const diff = await replay(record, 1);
  t.same(diff.map((d) => d.field), ['loss', 'ranks'], 'the altered loss and ranks are named');
  t.equal(diff[0].epoch, 1);
  await t.rejects(replay(record, 3), /replay: epochs must be an integer in \[1, 2\]/);
});

t.test('replayArgs: a wasm record reruns on the kernel build it ran on', async (t) => {
  const args = { backend: 'auto', threads: 1, method: 'bug' as const, seed: 4 };
  const on = (backend?: { name: string; flavor?: string }) =>
    replayArgs({ args, epochs: [], ...(backend ? { backend } : {}) }, 2);
  t.match(on({ name: 'wasm', flavor: 'simd' }), { backend: 'auto', wasmBuild: 'simd',
    epochs: 2, method: 'bug', seed: 4, progress: 'none', json: undefined });
  t.equal(on({ name: 'wasm', flavor: 'relaxed' }).wasmBuild, 'relaxed');
  t.equal(on({ name: 'cpu' }).wasmBuild, 'auto', 'a cpu record keeps the default');
  t.equal(on().wasmBuild, 'auto', 'a record without a backend (older) too');
  t.equal(replayArgs({ args: { ...args, wasmBuild: 'relaxed' }, epochs: [],
    backend: { name: 'wasm', flavor: 'simd' } }, 1).wasmBuild, 'simd',
  'the build that ran wins over the one asked for (auto resolved on that runtime)');
});
