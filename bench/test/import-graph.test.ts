// What the built packages import (the main entries of core and layers run in a browser: no Node
// built-in is reachable from them; Node-only parts live under @dlrt/layers/node). Oracle: the import graph of dist/, walked
// from each entry that package.json's exports name, through relative and @dlrt/* imports (and
// literal dynamic imports); a failure prints the chain of files. `npm test` builds first; a
// missing or stale dist is an error saying so.
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { chainTo, checkBuilt, importGraph, isNodeBuiltin, ROOT } from './import-graph.js';

/** The built file that packages/<pkg>'s exports[sub].default names. */
const entry = (pkg: string, sub = '.'): string => {
  const dir = join(ROOT, 'packages', pkg);
  const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  return join(dir, json.exports[sub].default);
};

const builtin = (e: { spec: string }) => isNodeBuiltin(e.spec);

t.test('the main entries of @dlrt/core and @dlrt/layers reach no Node built-in', async (t) => {
  for (const pkg of ['core', 'layers']) {
    const g = importGraph(entry(pkg), { dynamic: true });
    t.ok(g.parents.size > 10, `@dlrt/${pkg}: ${g.parents.size} files walked`);
    t.equal(chainTo(g, builtin), null, `@dlrt/${pkg} reaches a Node built-in`);
  }
});

t.test('@dlrt/layers/node does reach one (so the walk can fail)', async (t) => {
  const g = importGraph(entry('layers', './node'), { dynamic: true });
  t.match(chainTo(g, builtin),
    /^packages\/layers\/dist\/node\/index\.js → packages\/layers\/dist\/node\/\S+\.js → node:/);
});

t.test('the dlrt command loads no gpu.js code unless asked (no static import of it)',
  async (t) => {
    const gpu = join(ROOT, 'packages/backend-gpu/dist/');
    const heavy = (e: { to?: string; spec: string }) => e.spec === 'gpu.js' ||
      (e.to?.startsWith(gpu) === true && !e.to.endsWith('/mode-names.js'));
    const cli = importGraph(join(ROOT, 'packages/cli/dist/main.js'), { dynamic: false });
    t.ok([...cli.parents.keys()].some((f) => f.endsWith('backend-gpu/dist/mode-names.js')),
      'it reads the mode names from @dlrt/backend-gpu/modes');
    t.equal(chainTo(cli, heavy), null);
    const withDynamic = importGraph(join(ROOT, 'packages/cli/dist/main.js'), { dynamic: true });
    t.match(chainTo(withDynamic, heavy), /packages\/cli\/dist\/train\.js → @dlrt\/backend-gpu$/,
      'the one way in is train\'s import() for --backend gpu');
    const modes = importGraph(entry('backend-gpu', './modes'), { dynamic: true });
    t.equal(modes.edges.length, 0, '@dlrt/backend-gpu/modes imports nothing');
  });

t.test('a missing or stale build is an error that says so', async (t) => {
  const dir = t.testdir({ src: { 'a.ts': '' }, dist: { 'a.js': '' } });
  t.throws(() => checkBuilt(dir, join(dir, 'dist/a.js')), /no build .* run `pnpm exec tsc -b`/);
  writeFileSync(join(dir, 'tsconfig.tsbuildinfo'), '');
  const [old, now] = [new Date(Date.now() - 60_000), new Date()];
  utimesSync(join(dir, 'tsconfig.tsbuildinfo'), now, now);
  utimesSync(join(dir, 'src/a.ts'), old, old);
  t.doesNotThrow(() => checkBuilt(dir, join(dir, 'dist/a.js')), 'built after the last edit');
  mkdirSync(join(dir, 'src/sub'));
  writeFileSync(join(dir, 'src/sub/b.ts'), '');
  utimesSync(join(dir, 'tsconfig.tsbuildinfo'), old, old);
  t.throws(() => checkBuilt(dir, join(dir, 'dist/a.js')),
    /dist is older than src \(.*src\/sub\/b\.ts changed after the last build\)/);
});
