// Every TypeScript snippet in the READMEs and in docs/ type-checks and runs. Each ```ts block is a
// module; a block opened with ```ts continued joins the module before it (it uses what that one
// made, as a reader would). tsc checks the modules against the sources, then each runs in a
// child process from the sources, as the tests do (.taprc), and must exit 0.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = new URL('../../../', import.meta.url);
// Inside @dlrt/cli, which depends on every package, so the snippets' imports resolve.
const scratch = new URL('../.snippets/', import.meta.url);

/** README.md, every package's README and every page under docs/ (run records aside). */
function pages(): string[] {
  const walk = (dir: string): string[] => readdirSync(new URL(dir, root), { withFileTypes: true })
    .flatMap((e) => e.isDirectory() ? (e.name === 'results' ? [] : walk(`${dir}${e.name}/`))
      : e.name.endsWith('.md') ? [`${dir}${e.name}`] : []);
  const packages = readdirSync(new URL('packages/', root)).map((p) => `packages/${p}/README.md`);
  return ['README.md', ...packages, ...walk('docs/')];
}

/** The page's snippets: each ```ts block, or run of ```ts + ```ts continued blocks, as lines. */
function modules(markdown: string): { line: number; code: string }[][] {
  const mods: { line: number; code: string }[][] = [];
  const lines = markdown.split('\n');
  let start = -1;                                    // the open block's first line, or −1
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript)( continued)?\s*$/.exec(lines[i]);
    if (start < 0 && open) {
      if (open[2] && mods.length === 0) {
        throw new Error(`the \`\`\`ts continued block on line ${i + 1} follows no block`);
      }
      if (!open[2]) mods.push([]);
      start = i + 1;
    } else if (start >= 0 && /^```\s*$/.test(lines[i])) {
      mods.at(-1)!.push({ line: start, code: lines.slice(start, i).join('\n') });
      start = -1;
    }
  }
  if (start >= 0) throw new Error(`a \`\`\`ts block opened on line ${start} is never closed`);
  return mods;
}

t.test('modules: blocks, continued blocks, other languages', async (t) => {
  const md = ['text', '```ts', 'const a = 1;', '```', '```bash', 'ls', '```', '```ts continued',
    'const b = a;', '```', '```ts', 'const c = 2;', '```'].join('\n');
  t.same(modules(md), [[{ line: 2, code: 'const a = 1;' }, { line: 8, code: 'const b = a;' }],
    [{ line: 11, code: 'const c = 2;' }]]);
  t.throws(() => modules('```ts\nconst a = 1;'), /opened on line 1 is never closed/);
  t.throws(() => modules('```ts continued\nx\n```'), /line 1 follows no block/);
});

rmSync(scratch, { recursive: true, force: true });
mkdirSync(scratch, { recursive: true });
const found = pages().flatMap((page) => modules(readFileSync(new URL(page, root), 'utf8'))
  .map((blocks, i, all) => ({ page: all.length > 1 ? `${page}#${i + 1}` : page, blocks })));

const moduleOf = (page: string) => new URL(`${page.replace(/[/.#]/g, '-')}.mts`, scratch);
for (const { page, blocks } of found) {
  // Each block starts where the page has it, so an error's line number points into the page.
  const lines: string[] = [];
  for (const b of blocks) {
    while (lines.length < b.line) lines.push('');
    lines.push(...b.code.split('\n'));
  }
  writeFileSync(moduleOf(page), `${lines.join('\n')}\n`);
}

t.test('the README and the docs have snippets, and they type-check', async (t) => {
  t.ok(found.some((p) => p.page === 'README.md'), 'the README has its tour');
  t.ok(found.length >= 14, `${found.length} snippet modules`);
  writeFileSync(new URL('tsconfig.json', scratch), JSON.stringify({
    extends: '../../../tsconfig.base.json', include: ['*.mts'],
    compilerOptions: { composite: false, declaration: false, declarationMap: false,
      noEmit: true, customConditions: ['dlrt-source'] },
  }));
  const tsc = fileURLToPath(new URL('node_modules/.bin/tsc', root));
  // Without the loaders the test runner puts in NODE_OPTIONS, which tsc's launcher cannot take.
  const r = spawnSync('sh', ['-c', 'unset NODE_OPTIONS; exec "$0" -p "$1"', tsc,
    fileURLToPath(new URL('tsconfig.json', scratch))], { encoding: 'utf8' });
  t.equal(r.status, 0, `tsc on the snippets: exit ${r.status}\n${r.stdout}${r.stderr}`);
});

for (const { page, blocks } of found) {
  const what = blocks.length === 1 ? 'its block runs' : `its ${blocks.length} blocks run`;
  t.test(`${page}: ${what}`, async (t) => {
    const r = spawnSync(process.execPath, ['--import=tsx', '--conditions=dlrt-source',
      fileURLToPath(moduleOf(page))], { encoding: 'utf8', timeout: 180_000,
      cwd: fileURLToPath(root) });
    t.equal(r.status, 0, `node ${page}: exit ${r.status}${r.signal ? ` (${r.signal})` : ''}` +
      (r.status === 0 ? '' : `\n${r.stderr.split('\n').slice(0, 12).join('\n')}`));
  });
}
