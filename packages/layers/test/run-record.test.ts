// runRecordWriter (@dlrt/layers/node): a path that cannot be written fails when the writer is
// made; each record replaces the file by a rename. Oracles: the file system itself (a rename
// gives the file a new inode; an in-place write keeps it), and the JSON read back.
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import t from 'tap';
import type { EpochLog } from '../src/index.js';
import { runRecordWriter } from '../src/node/index.js';

const epoch = (n: number) => ({ epoch: n, loss: 1 / n }) as unknown as EpochLog;

t.test('a path that cannot be written is an error at once, naming the option and the path',
  async (t) => {
    const dir = t.testdir({ sub: {}, file: 'x' });
    t.throws(() => runRecordWriter(`${dir}/none/r.json`, { name: '--json' }),
      { message: `--json: cannot write '${dir}/none/r.json': directory '${dir}/none' ` +
        'does not exist' });
    t.throws(() => runRecordWriter(`${dir}/sub`),
      { message: `runRecordWriter: cannot write '${dir}/sub': it is a directory` });
    t.throws(() => runRecordWriter(`${dir}/file/r.json`),
      { message: `runRecordWriter: cannot write '${dir}/file/r.json': '${dir}/file' is not a ` +
        'directory' });
    // Root ignores file modes, but sysfs refuses new files even to root.
    let denied = '/sys/dlrt-run.json';
    if (process.getuid?.() !== 0) {
      mkdirSync(`${dir}/ro`);
      chmodSync(`${dir}/ro`, 0o555);
      t.teardown(() => chmodSync(`${dir}/ro`, 0o755));
      denied = `${dir}/ro/r.json`;
    }
    t.throws(() => runRecordWriter(denied), /cannot create a file in .* \(EACCES\)/);
    t.same(readdirSync(`${dir}/sub`), [], 'nothing left behind');
  });

t.test('each record is written whole, by a rename over the path', async (t) => {
  const dir = t.testdir({});
  const path = `${dir}/run.json`;
  const write = runRecordWriter(path, { meta: { command: 'dlrt train', args: { seed: 1 } } });
  t.same(readdirSync(dir), [], 'making the writer creates no file');
  write([epoch(1)]);
  const first = statSync(path).ino;
  t.same(JSON.parse(readFileSync(path, 'utf8')),
    { command: 'dlrt train', args: { seed: 1 }, epochs: [{ epoch: 1, loss: 1 }] });
  write([epoch(1), epoch(2)]);
  t.not(statSync(path).ino, first, 'a new file took the old one\'s name');
  t.equal(JSON.parse(readFileSync(path, 'utf8')).epochs.length, 2);
  t.same(readdirSync(dir), ['run.json'], 'no temporary file left');
  writeFileSync(path, 'old');
  t.throws(() => write([{ bad: 1n } as unknown as EpochLog]), /runRecordWriter: cannot write/,
    'a history JSON cannot hold is an error naming the writer');
  t.equal(readFileSync(path, 'utf8'), 'old', 'the last record stays');
  t.same(readdirSync(dir), ['run.json'], 'and no temporary file');
});
