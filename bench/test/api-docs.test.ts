// The API reference: typedoc (api/, with its own TypeScript 5.9) builds the model of every
// package's public exports with its validation on, and api/check.mjs finds no export without
// documentation, no function, class or variable without an @example, and no typedoc warning.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';

t.test('every public export is documented, with an example', async (t) => {
  const api = fileURLToPath(new URL('../../api/', import.meta.url));
  // Without the loaders the test runner puts in NODE_OPTIONS: check.mjs is plain JavaScript.
  const r = spawnSync('sh', ['-c', 'unset NODE_OPTIONS; exec node check.mjs'],
    { cwd: api, encoding: 'utf8', timeout: 300_000 });
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  t.equal(r.status, 0, `api/check.mjs: ${last}\n${r.stdout.slice(0, 3000)}${r.stderr}`);
  t.match(last, /^0 problem\(s\), 0 typedoc warning\(s\)$/);
});
