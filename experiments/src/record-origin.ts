/**
 * Where a committed run record came from: the last commit that changed its file, and the
 * source files that changed between that commit and the working tree. When a replay differs,
 * this tells a changed kernel or integrator (replay the record at its commit to confirm) from
 * a different runtime or machine (nothing changed). Records themselves name no commit; git
 * history is the one place that knows it, for every record ever committed.
 */
import { spawnSync } from 'node:child_process';
import { basename, dirname } from 'node:path';

/** A committed record's commit and the source files changed since. */
export interface RecordOrigin {
  /** Abbreviated hash of the last commit that changed the record's file. */
  commit: string;
  /** That commit's date, YYYY-MM-DD. */
  date: string;
  /** Source files (packages/*, experiments/src) changed since then, repository-relative. */
  changed: string[];
}

/** Source code whose change can change a run's numbers: TypeScript and AssemblyScript. */
const SOURCE = /^(packages\/[^/]+\/(src|assembly)|experiments\/src)\/.*\.ts$/;

/** `git -C dir args…`, its trimmed stdout, or null when git fails or is missing. */
function git(dir: string, ...args: string[]): string | null {
  const r = spawnSync('git', ['-C', dir, ...args], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * The origin of the record at `file`, or null when it has none to tell: no git, a file
 * outside a repository, never committed, or edited since its last commit (then the file is
 * not what that commit holds).
 */
export function recordOrigin(file: string): RecordOrigin | null {
  const dir = dirname(file), name = basename(file);
  const top = git(dir, 'rev-parse', '--show-toplevel');
  if (top === null) return null;
  const last = git(dir, 'log', '-1', '--format=%h %cs', '--', name);
  if (!last) return null;
  if (git(dir, 'status', '--porcelain', '--', name) !== '') return null;
  const [commit, date] = last.split(' ');
  const names = git(top, 'diff', '--name-only', commit, '--', 'packages', 'experiments/src');
  if (names === null) return null;
  const changed = names.split('\n').filter((p) => SOURCE.test(p));
  return { commit, date, changed };
}

/** What a replay that differs says about the record's origin (empty when it has none). */
export function originNote(origin: RecordOrigin | null): string[] {
  if (origin === null) return [];
  const { commit, date, changed } = origin;
  if (changed.length === 0) {
    return [`no source file changed since the record was committed (${commit}, ${date}): `
      + 'the difference comes from the runtime or the machine'];
  }
  const shown = changed.slice(0, 5).join(', ') + (changed.length > 5 ? ', …' : '');
  return [`the record was committed at ${commit} (${date}); ${changed.length} source `
    + `file${changed.length > 1 ? 's' : ''} changed since (${shown})`,
  `to check the record itself, replay it in a checkout of that commit (git worktree add `
    + `/tmp/dlrt-${commit} ${commit})`];
}
