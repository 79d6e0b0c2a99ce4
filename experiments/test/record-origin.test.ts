// Where a record came from. Oracle: a throw-away git repository built here, whose commits
// put a record and source files where the answer is known.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { originNote, recordOrigin } from '../src/record-origin.js';

function git(dir: string, ...args: string[]): string {
  const r = spawnSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t',
    '-c', 'commit.gpgsign=false', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

t.test('the commit of a record and the sources changed since', async (t) => {
  const dir = t.testdir({
    packages: { core: { src: { 'ops.ts': 'a', 'notes.md': 'x' }, test: { 'ops.test.ts': 'a' } } },
    experiments: { src: { 'run.ts': 'a' } },
    docs: { results: { 'run.json': '{}' } },
  });
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'record and sources');
  const record = `${dir}/docs/results/run.json`;
  const made = git(dir, 'log', '-1', '--format=%h');
  t.same(recordOrigin(record)?.changed, [], 'nothing changed yet');
  t.equal(recordOrigin(record)?.commit, made);
  t.match(originNote(recordOrigin(record))[0],
    /no source file changed since .*: the difference comes from the runtime/);

  writeFileSync(`${dir}/packages/core/src/ops.ts`, 'b');          // committed below
  writeFileSync(`${dir}/packages/core/src/notes.md`, 'y');        // not source code
  writeFileSync(`${dir}/packages/core/test/ops.test.ts`, 'b');    // a test, not the source
  git(dir, 'commit', '-qam', 'later');
  writeFileSync(`${dir}/experiments/src/run.ts`, 'b');            // uncommitted still counts
  const o = recordOrigin(record);
  t.equal(o?.commit, made, 'the record\'s own commit, not HEAD');
  t.same(o?.changed, ['experiments/src/run.ts', 'packages/core/src/ops.ts']);
  const note = originNote(o);
  t.match(note[0], new RegExp(`committed at ${made} .* 2 source files changed since`));
  t.match(note[1], new RegExp(`git worktree add /tmp/dlrt-${made} ${made}`));

  writeFileSync(record, '{"edited": true}');
  t.equal(recordOrigin(record), null, 'an edited record is not what its commit holds');
  writeFileSync(`${dir}/docs/results/new.json`, '{}');
  t.equal(recordOrigin(`${dir}/docs/results/new.json`), null, 'nor is an uncommitted one');
  t.same(originNote(null), []);
});

t.test('outside a repository there is no origin', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dlrt-origin-'));   // tap's testdirs sit in this repo
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(`${dir}/run.json`, '{}');
  t.not(spawnSync('git', ['-C', dir, 'rev-parse']).status, 0,
    'the folder is outside every repository');
  t.equal(recordOrigin(`${dir}/run.json`), null);
});
