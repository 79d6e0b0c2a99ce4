/** Command-line parsing for `dlrt`, with errors that name the flag and the value. */
import { parseArgs } from 'node:util';
import { INIT_GAINS, METHODS, WEIGHT_INITS } from '@dlrt/layers';
import { DEFAULTS, DEMO, type TrainArgs } from './train.js';

export const USAGE = `usage: dlrt train [--model mlp|lenet5] [--epochs N] [--batch B] [--lr X]
                  [--optimizer sgd|adam] [--momentum M] [--hidden 500,500]
                  [--method dense|bug|bug-fixed|bug-2pass|parallel|abpsi]
                  [--tol θ] [--rank r] [--max-rank R] [--truncation std|2022]
                  [--init uniform|he|orthogonal|dlrt-net] [--output-gain relu|linear]
                  [--standardize] [--validation N]
                  [--backend cpu|gpu] [--threads T] [--gpu-mode MODE] [--seed S] [--json FILE]
                  [--progress auto|bar|none] [--demo]
       dlrt --help`;

export class UsageError extends Error {}

const STRING_FLAGS = ['model', 'epochs', 'batch', 'lr', 'optimizer', 'momentum', 'hidden',
  'backend', 'threads', 'seed', 'json', 'progress', 'gpu-mode', 'method', 'tol', 'rank', 'max-rank',
  'truncation', 'init', 'output-gain', 'validation'];

/** gpu.js modes for --gpu-mode (the gpu backend says which of them work on the machine). */
const GPU_MODES = ['auto', 'webgpu', 'webgl2', 'webgl', 'headlessgl', 'webasm', 'cpu'] as const;

/** `v` as a number that passes `ok`, else `--flag: expected <what>, got 'v'`. */
function number(flag: string, v: string, what: string, ok: (x: number) => boolean): number {
  const n = Number(v);
  if (v.trim() === '' || !ok(n)) throw new UsageError(`--${flag}: expected ${what}, got '${v}'`);
  return n;
}

function positiveInt(flag: string, v: string): number {
  return number(flag, v, 'a positive integer', (x) => Number.isInteger(x) && x >= 1);
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
        standardize: { type: 'boolean' as const },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const a: TrainArgs = { ...DEFAULTS, ...(v.demo ? DEMO : {}) };
  const s = (k: string): string | undefined => {
    const x = v[k];
    return typeof x === 'string' ? x : undefined;
  };
  if (s('model')) a.model = oneOf('model', s('model')!, ['mlp', 'lenet5']);
  if (s('optimizer')) a.optimizer = oneOf('optimizer', s('optimizer')!, ['sgd', 'adam']);
  if (s('progress')) a.progress = oneOf('progress', s('progress')!, ['auto', 'bar', 'none']);
  if (s('epochs')) a.epochs = positiveInt('epochs', s('epochs')!);
  if (s('batch')) a.batch = positiveInt('batch', s('batch')!);
  if (s('threads')) a.threads = positiveInt('threads', s('threads')!);
  if (s('seed')) a.seed = number('seed', s('seed')!, 'an integer', Number.isInteger);
  if (s('lr')) a.lr = number('lr', s('lr')!, 'a positive number', (x) => x > 0 && x < Infinity);
  if (s('momentum')) {
    a.momentum = number('momentum', s('momentum')!, 'a number in [0, 1)', (x) => x >= 0 && x < 1);
  }
  if (s('method')) a.method = oneOf('method', s('method')!, METHODS);
  if (s('truncation')) a.truncation = oneOf('truncation', s('truncation')!, ['std', '2022']);
  if (s('init')) a.init = oneOf('init', s('init')!, WEIGHT_INITS);
  if (s('output-gain')) a.outputGain = oneOf('output-gain', s('output-gain')!, INIT_GAINS);
  if (v.standardize) a.standardize = true;
  if (s('validation')) {
    // holdOut checks the upper bound against the train split's size
    a.validation = number('validation', s('validation')!,
      'an integer ≥ 0 (train rows to hold out)', (x) => Number.isInteger(x) && x >= 0);
  }
  if (s('tol')) a.tol = number('tol', s('tol')!, 'a number ≥ 0', (x) => x >= 0 && x < Infinity);
  if (s('rank')) a.rank = positiveInt('rank', s('rank')!);
  if (s('max-rank')) a.maxRank = positiveInt('max-rank', s('max-rank')!);
  if (a.rank !== undefined && a.maxRank !== undefined && a.maxRank < a.rank) {
    throw new UsageError(`--max-rank ${a.maxRank} is below --rank ${a.rank}`);
  }
  if (s('hidden')) a.hidden = s('hidden')!.split(',').map((h) => positiveInt('hidden', h));
  if (s('backend')) a.backend = s('backend')!;
  if (s('json')) a.json = s('json');
  if (s('gpu-mode')) {
    a.gpuMode = oneOf('gpu-mode', s('gpu-mode')!, GPU_MODES);
    if (a.backend !== 'gpu') throw new UsageError('--gpu-mode: needs --backend gpu');
  }
  return a;
}
