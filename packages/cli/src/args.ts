/** Command-line parsing for `dlrt`, with errors that name the flag and the value. */
import { parseArgs } from 'node:util';
import { DEFAULTS, DEMO, type TrainArgs } from './train.js';

export const USAGE = `usage: dlrt train [--model mlp|lenet5] [--epochs N] [--batch B] [--lr X]
                  [--optimizer sgd|adam] [--momentum M] [--hidden 500,500]
                  [--backend cpu] [--threads T] [--seed S] [--json FILE]
                  [--progress auto|bar|none] [--demo]
       dlrt --help`;

export class UsageError extends Error {}

const STRING_FLAGS = ['model', 'epochs', 'batch', 'lr', 'optimizer', 'momentum', 'hidden', 'backend',
  'threads', 'seed', 'json', 'progress'];

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag}: expected a positive integer, got '${v}'`);
  return n;
}

function oneOf<T extends string>(flag: string, v: string, options: readonly T[]): T {
  if (!(options as readonly string[]).includes(v)) {
    throw new UsageError(`--${flag}: expected one of ${options.join('|')}, got '${v}'`);
  }
  return v as T;
}

/** Parses `train` arguments over the defaults (and the demo's, with --demo). */
export function parseTrainArgs(argv: readonly string[]): TrainArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv], allowPositionals: false, strict: true,
      options: {
        ...Object.fromEntries(STRING_FLAGS.map((k) => [k, { type: 'string' as const }])),
        demo: { type: 'boolean' as const },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const a: TrainArgs = { ...DEFAULTS, ...(v.demo ? DEMO : {}) };
  const s = (k: string): string | undefined => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  if (s('model')) a.model = oneOf('model', s('model')!, ['mlp', 'lenet5']);
  if (s('optimizer')) a.optimizer = oneOf('optimizer', s('optimizer')!, ['sgd', 'adam']);
  if (s('progress')) a.progress = oneOf('progress', s('progress')!, ['auto', 'bar', 'none']);
  if (s('epochs')) a.epochs = positiveInt('epochs', s('epochs')!);
  if (s('batch')) a.batch = positiveInt('batch', s('batch')!);
  if (s('threads')) a.threads = positiveInt('threads', s('threads')!);
  if (s('seed')) {
    a.seed = Number(s('seed'));
    if (!Number.isInteger(a.seed)) throw new UsageError(`--seed: expected an integer, got '${s('seed')}'`);
  }
  if (s('lr')) {
    a.lr = Number(s('lr'));
    if (!(a.lr > 0) || !Number.isFinite(a.lr)) throw new UsageError(`--lr: expected a positive number, got '${s('lr')}'`);
  }
  if (s('momentum')) {
    a.momentum = Number(s('momentum'));
    if (!(a.momentum >= 0 && a.momentum < 1)) throw new UsageError(`--momentum: expected a number in [0, 1), got '${s('momentum')}'`);
  }
  if (s('hidden')) a.hidden = s('hidden')!.split(',').map((h) => positiveInt('hidden', h));
  if (s('backend')) a.backend = s('backend')!;
  if (s('json')) a.json = s('json');
  return a;
}
