/**
 * The import graph of the workspace's built JavaScript (dist/): from an entry, every file its
 * `import`/`export … from` statements (and, if asked, literal `import('…')` calls) reach,
 * following relative paths and `@dlrt/*` packages through their exports' `default` entries.
 * Other packages are leaves. Reading tsc's output with patterns is enough here: tsc writes one
 * import statement per line start, and comments in it are JSDoc (` * …`) or `//` lines.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

/** One import: the importing file, its specifier, the file it resolves to (none for a leaf). */
export interface Edge {
  from: string;
  spec: string;
  to?: string;
}

export interface ImportGraph {
  entry: string;
  /** Every file reached, with the file that first imported it (breadth first: shortest chains). */
  parents: Map<string, string | null>;
  edges: Edge[];
}

interface Workspace {
  dir: string;
  exports: Record<string, { default: string }>;
}

/** The workspace's packages by name (packages/* and bench). */
function workspace(): Map<string, Workspace> {
  const dirs = [...readdirSync(join(ROOT, 'packages')).map((d) => join(ROOT, 'packages', d)),
    join(ROOT, 'bench')];
  const out = new Map<string, Workspace>();
  for (const dir of dirs) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    out.set(pkg.name, { dir, exports: pkg.exports ?? {} });
  }
  return out;
}

/** Whether `spec` names a Node built-in (`node:fs`, `fs`, `fs/promises`, …). */
export function isNodeBuiltin(spec: string): boolean {
  return spec.startsWith('node:') || builtinModules.includes(spec);
}

const STATIC = /^\s*(?:import|export)\s+(?:[\w$*{},\s]+?\s+from\s+)?['"]([^'"\n]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g;

/** The specifiers `file` imports; comment lines are skipped for `import('…')`. */
function specifiers(file: string, dynamic: boolean): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(STATIC)].map((m) => m[1]);
  if (dynamic) {
    const code = text.split('\n').filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l)).join('\n');
    specs.push(...[...code.matchAll(DYNAMIC)].map((m) => m[1]));
  }
  return specs;
}

/** Newest modification time of a file under `dir`, with that file. */
function newest(dir: string): { file: string; mtime: number } {
  let best = { file: dir, mtime: 0 };
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const s = statSync(join(dir, name));
    if (s.isFile() && s.mtimeMs > best.mtime) best = { file: join(dir, name), mtime: s.mtimeMs };
  }
  return best;
}

/**
 * Throws when `dir`'s build is missing or older than its sources: the newest file under src/
 * must be no newer than tsconfig.tsbuildinfo, which `tsc -b` rewrites on every build (it does
 * not rewrite the JS of unchanged files, so their own times say nothing).
 */
export function checkBuilt(dir: string, entry: string): void {
  const info = statSync(join(dir, 'tsconfig.tsbuildinfo'), { throwIfNoEntry: false });
  const built = statSync(entry, { throwIfNoEntry: false });
  const name = relative(ROOT, dir);
  if (!info || !built) {
    throw new Error(`${name}: no build (${relative(ROOT, entry)} is missing); ` +
      'run `pnpm exec tsc -b` (npm test does)');
  }
  const src = newest(join(dir, 'src'));
  if (src.mtime > info.mtimeMs) {
    throw new Error(`${name}: dist is older than src (${relative(ROOT, src.file)} changed after ` +
      'the last build); run `pnpm exec tsc -b` (npm test does)');
  }
}

/** The file `spec` names from `from`, or undefined for a package outside the workspace. */
function resolveSpec(spec: string, from: string, ws: Map<string, Workspace>): string | undefined {
  if (spec.startsWith('.')) return resolve(dirname(from), spec);
  const m = /^(@dlrt\/[^/]+)(\/.*)?$/.exec(spec);
  const pkg = m && ws.get(m[1]);
  if (!pkg) return undefined;
  const sub = m[2] ? `.${m[2]}` : '.';
  const target = pkg.exports[sub]?.default;
  if (!target) throw new Error(`${relative(ROOT, from)}: '${spec}' is not exported`);
  return join(pkg.dir, target);
}

/** The graph from `entry` (a built file); `dynamic` also follows literal `import('…')`. */
export function importGraph(entry: string, o: { dynamic: boolean }): ImportGraph {
  const ws = workspace();
  const checked = new Set<string>();
  const check = (file: string) => {
    const pkg = [...ws.values()].find((p) => file.startsWith(`${p.dir}/`));
    if (pkg && !checked.has(pkg.dir)) {
      checked.add(pkg.dir);
      checkBuilt(pkg.dir, file);
    }
  };
  check(entry);
  const parents = new Map<string, string | null>([[entry, null]]);
  const edges: Edge[] = [];
  const queue = [entry];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    for (const spec of specifiers(file, o.dynamic)) {
      const to = isNodeBuiltin(spec) ? undefined : resolveSpec(spec, file, ws);
      edges.push({ from: file, spec, to });
      if (to === undefined || parents.has(to)) continue;
      check(to);
      if (!statSync(to, { throwIfNoEntry: false })?.isFile()) {
        throw new Error(`${relative(ROOT, file)}: '${spec}' resolves to no file (${to})`);
      }
      parents.set(to, file);
      queue.push(to);
    }
  }
  return { entry, parents, edges };
}

/** The first edge that `bad` picks, as its chain `a.js → b.js → spec`; null when none. */
export function chainTo(g: ImportGraph, bad: (e: Edge) => boolean): string | null {
  const e = g.edges.find(bad);
  if (!e) return null;
  const files: string[] = [];
  for (let f: string | null | undefined = e.from; f; f = g.parents.get(f)) files.unshift(f);
  return [...files.map((f) => relative(ROOT, f)), e.spec].join(' → ');
}
