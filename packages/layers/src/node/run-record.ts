/** A Trainer hook that keeps a run's JSON record on disk, written atomically (Node only). */
import { closeSync, openSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { EpochLog } from '../train/trainer.js';

/** Options of `runRecordWriter`: what the record holds beside the epochs, and the error name. */
export interface RunRecordOptions {
  /** Fields written before `epochs`: command line, arguments, machine, date, … */
  meta?: Record<string, unknown>;
  /** What errors call the path: the option that gave it (default 'runRecordWriter'). */
  name?: string;
}

/** Why `path` cannot be written, or null when it can: checked by creating a file beside it. */
function unwritable(path: string, tmp: string): string | null {
  const dir = dirname(path);
  const dirStat = statSync(dir, { throwIfNoEntry: false });
  if (!dirStat) return `directory '${dir}' does not exist`;
  if (!dirStat.isDirectory()) return `'${dir}' is not a directory`;
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) return 'it is a directory';
  try {
    closeSync(openSync(tmp, 'w'));
    unlinkSync(tmp);
  } catch (e) {
    return `cannot create a file in '${dir}' (${(e as NodeJS.ErrnoException).code ?? e})`;
  }
  return null;
}

/**
 * A Trainer `onEpoch` hook that writes `{ ...meta, epochs: history }` as JSON to `path` after
 * every epoch. It checks at once that `path` can be written (so a run fails before training,
 * not after its first epoch), and writes each record to a temporary file in the same directory
 * and then renames it over `path`, so `path` always holds a whole record.
 *
 * @throws Error naming `o.name` and the path when the path cannot be written.
 *
 * @example
 * ```ts
 * import { runRecordWriter } from '@dlrt/layers/node';
 * const onEpoch = runRecordWriter('run.json', { meta: { command: 'dlrt train' } });
 * await new Trainer({ model, integrator, train, test, epochs: 3, batchSize: 128, rng,
 *   onEpoch }).fit();
 * ```
 */
export function runRecordWriter(path: string, o: RunRecordOptions = {}):
  (history: readonly EpochLog[]) => void {
  const write = atomicWriter(path, o.name ?? 'runRecordWriter');
  return (history) => write(() => JSON.stringify({ ...o.meta, epochs: history }, null, 2));
}

/**
 * A writer of whole files at `path`: checked at once (the directory exists and takes a new
 * file), then each call writes `content()` (text or bytes) to a temporary file beside `path`
 * and renames it over `path`, so `path` always holds a whole file. Errors, a `content()` that
 * throws included (a value JSON cannot hold), name `name` and the path and leave `path` as it
 * was.
 * @throws Error naming `name` and the path at once when the path cannot be written.
 * @example const write = atomicWriter('out.json', '--out');
 *          write(() => JSON.stringify(result));
 */
export function atomicWriter(path: string, name: string):
  (content: () => string | Uint8Array) => void {
  const full = resolve(path);
  // Unique per process: two runs writing the same file never share a temporary file.
  const tmp = join(dirname(full), `.${basename(full)}.${process.pid}.tmp`);
  const why = unwritable(full, tmp);
  if (why) throw new Error(`${name}: cannot write '${path}': ${why}`);
  return (content) => {
    try {
      writeFileSync(tmp, content());
      renameSync(tmp, full);
    } catch (e) {
      try { unlinkSync(tmp); } catch { /* never created */ }
      throw new Error(`${name}: cannot write '${path}': ${(e as Error).message}`);
    }
  };
}
