// Citations resolve in a clone of the repository: no tracked file cites the method notes or design
// note that live outside it (they are cited by paper, see docs/references.md), and every relative
// link of the docs pages and the README points to a file that exists. Oracle: the tracked files.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' })
  .split('\n').filter((f) => /\.(ts|md|json|sh)$/.test(f));

t.test('no file cites notes outside the repository', async (t) => {
  // Spelled in pieces so that this file does not match itself.
  const outside = ['papers/' + 'matrix-methods', 'papers/' + 'tucker-methods', '../' + 'shared/',
    'DESIGN' + '.md'];
  const hits = tracked.filter((f) => !f.startsWith('docs/results/runs/'))
    .flatMap((f) => readFileSync(join(root, f), 'utf8').split('\n')
      .flatMap((line, i) => outside.some((o) => line.includes(o)) ? [`${f}:${i + 1}`] : []));
  t.same(hits, [], `${tracked.length} files read`);
});

t.test('relative links in the docs pages and the README resolve', async (t) => {
  const pages = tracked.filter((f) => f === 'README.md' ||
    /^docs\/(experiments\/)?[^/]+\.md$/.test(f));
  const broken: string[] = [];
  for (const page of pages) {
    for (const [, target] of readFileSync(join(root, page), 'utf8')
      .matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;        // http:, https:, mailto:
      if (!existsSync(join(root, dirname(page), target))) broken.push(`${page} → ${target}`);
    }
  }
  t.same(broken, [], `${pages.length} pages checked`);
});
