// The tests run the sources: under the test runner (.taprc: tsx and the `dlrt-source` export
// condition) every package resolves to its sources, so an edit is tested without a build.
// (Here in bench, which depends on every package.)
import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';

const packages = new URL('../../packages/', import.meta.url);

t.test('every package resolves to its sources under the test runner', async (t) => {
  for (const dir of readdirSync(packages)) {
    const { name, exports } = JSON.parse(readFileSync(new URL(`${dir}/package.json`, packages),
      'utf8')) as { name: string; exports: Record<string, Record<string, string>> };
    for (const [sub, entry] of Object.entries(exports)) {
      const spec = sub === '.' ? name : `${name}/${sub.slice(2)}`;
      const want = new URL(`${dir}/${entry['dlrt-source'].slice(2)}`, packages).href;
      t.equal(import.meta.resolve(spec), want, `${spec} → ${entry['dlrt-source']}`);
    }
  }
});
