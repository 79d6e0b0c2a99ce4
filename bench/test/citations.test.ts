// Citations resolve in a clone of the repository: no tracked file cites the method notes or design
// note that live outside it (they are cited by paper, see docs/references.md), and every relative
// link of the docs pages and the README points to a file that exists. Oracle: the tracked files.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' })
  .split('\n').filter((f) => /\.(ts|md|json|sh)$/.test(f));

t.test('no file cites notes outside the repository', async (t) => {
  // Spelled in pieces so that this file does not match itself.
  const outside = ['matrix' + '-methods', 'tucker' + '-methods', '../' + 'shared/',
    'DESIGN' + '.md'];
  const hits = tracked.filter((f) => !f.startsWith('docs/results/runs/'))
    .flatMap((f) => readFileSync(join(root, f), 'utf8').split('\n')
      .flatMap((line, i) => outside.some((o) => line.includes(o)) ? [`${f}:${i + 1}`] : []));
  t.same(hits, [], `${tracked.length} files read`);
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
const slug = (heading: string) => heading.trim().toLowerCase()
  .replace(/[^\p{L}\p{N}\p{M}_\- ]/gu, '').replace(/ /g, '-');
const anchors = (file: string) => new Set(readFileSync(file, 'utf8').split('\n')
  .flatMap((line) => /^#{1,6} /.test(line) ? [slug(line.replace(/^#+ /, ''))] : []));

t.test('relative links in the docs pages and the README resolve, anchors included', async (t) => {
  const pages = tracked.filter((f) => f === 'README.md' ||
    /^docs\/(experiments\/)?[^/]+\.md$/.test(f));
  const broken: string[] = [];
  let fragments = 0;
  for (const page of pages) {
    for (const [, target, fragment] of readFileSync(join(root, page), 'utf8')
      .matchAll(/\]\(([^)\s#]*)(?:#([^)\s]*))?\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;        // http:, https:, mailto:
      const file = join(root, dirname(page), target || basename(page));   // '#x': this page
      if (!existsSync(file)) broken.push(`${page} → ${target}`);
      else if (fragment !== undefined && file.endsWith('.md')) {
        fragments++;
        if (!anchors(file).has(fragment)) broken.push(`${page} → ${target}#${fragment}`);
      }
    }
  }
  t.same(broken, [], `${pages.length} pages checked, ${fragments} anchors among them`);
  t.equal(slug("## The DLRT paper's table (`lenet5-full`), 8,000 digits".slice(3)),
    'the-dlrt-papers-table-lenet5-full-8000-digits', 'the anchor of a heading, as GitHub makes it');
});
