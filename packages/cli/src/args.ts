/** Command-line parsing for `dlrt`, with errors that name the flag and the value. */
import { parseArgs } from 'node:util';
import {
  digitList, number, oneOf, type OptionSpec, OPTIONS, optionOf, positive, positiveInt, showValue,
  UsageError,
} from './options.js';
import type { EvalArgs } from './eval.js';
import {
  ADAPTERS, checkFinetune, FINETUNE_DEFAULTS, type FinetuneArgs,
} from './finetune.js';
import { parsePlotArgs, type PlotArgs } from './plot.js';
import { convFormat, DEFAULTS, DEMO, type TrainArgs } from './train.js';

/** What a `dlrt` command line asks for. */
export type Command = { kind: 'help' } | { kind: 'version' } | { kind: 'train'; args: TrainArgs }
  | { kind: 'eval'; args: EvalArgs } | { kind: 'finetune'; args: FinetuneArgs }
  | { kind: 'plot'; args: PlotArgs };

/**
 * The number of low-rank layers the model of `a` has (the classifier is dense): with --conv
 * tucker its Tucker convolutions, else its matrix layers.
 */
function lowRankLayers(a: TrainArgs): { count: number; model: string } {
  const conv = convFormat(a);
  if (a.model === 'lenet5') return { count: conv === 'matrix' ? 3 : 1, model: 'lenet5' };
  if (a.model === 'vgg-mini') return { count: conv === 'dense' ? 0 : 5, model: 'vgg-mini' };
  if (a.model === 'vit') return { count: 0, model: 'vit' };
  return { count: a.hidden.length, model: `mlp 784-${a.hidden.join('-')}-10` };
}

/** The convolutions' format against the method: only low-rank training has factorized ones. */
function checkConv(a: TrainArgs): void {
  const conv = convFormat(a);
  if (a.method === 'direct' && (a.model === 'mlp' || conv !== 'tucker')) {
    throw new UsageError(`--method direct: trains the factors of Tucker convolutions; ` +
      (a.model === 'mlp' ? 'an MLP has none (--model lenet5 or vgg-mini)' :
        `--conv ${conv} has none (--conv tucker)`));
  }
  if (a.model === 'vit' && a.method !== 'dense') {
    throw new UsageError(`--method ${a.method}: the ViT trains with --method dense (its ` +
      "attention's cores and factors are ordinary parameters, as the Tucker Attention paper " +
      'trains them)');
  }
  if (a.method === 'dense' && conv !== 'dense') {
    throw new UsageError(`--conv ${conv}: dense training keeps every layer dense (a low-rank ` +
      '--method such as tdlrt, or direct, trains factorized convolutions)');
  }
}

/** Per-layer lists of --rank and --max-rank: one value per low-rank layer, max-rank ≥ rank. */
function checkRanks(a: TrainArgs): void {
  const { count, model } = lowRankLayers(a);
  for (const [flag, v] of [['rank', a.rank], ['max-rank', a.maxRank]] as const) {
    if (Array.isArray(v) && v.length !== count) {
      throw new UsageError(`--${flag} ${v.join(',')}: lists ${v.length} values for the ` +
        `${count} low-rank layer${count === 1 ? '' : 's'} of ${model}`);
    }
  }
  if (a.rank === undefined || a.maxRank === undefined) return;
  const at = (v: number | number[], i: number) => typeof v === 'number' ? v : v[i];
  for (let i = 0; i < count; i++) {
    const [r, m] = [at(a.rank, i), at(a.maxRank, i)];
    if (m >= r) continue;
    const scalar = typeof a.rank === 'number' && typeof a.maxRank === 'number';
    throw new UsageError(scalar ? `--max-rank ${m} is below --rank ${r}`
      : `--max-rank ${showValue(a.maxRank)}: ${m} is below --rank ${r} at low-rank layer ${i}`);
  }
}

/** Rejects a given option that would do nothing under `a` (defaults are not given). */
function checkIdle(a: TrainArgs, given: ReadonlyMap<OptionSpec, string>): void {
  for (const [o, raw] of given) {
    const idle = o.idle?.(a);
    if (!idle) continue;
    const by = optionOf(idle.by);
    const byGiven = given.has(by) ? '' : ' (the default)';
    const shown = o.value ? `--${o.flag} ${raw}` : `--${o.flag}`;
    if (a[by.key] === undefined) {
      throw new UsageError(`${shown}: does nothing without --${by.flag}: ${idle.why}`);
    }
    throw new UsageError(`${shown}: does nothing with --${by.flag} ` +
      `${showValue(a[by.key])}${byGiven}: ${idle.why}`);
  }
}

/** Parses `train` arguments over the defaults (and the demo's, with --demo). */
export function parseTrainArgs(argv: readonly string[]): TrainArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv], allowPositionals: false, strict: true,
      options: {
        ...Object.fromEntries(OPTIONS.map((o) =>
          [o.flag, { type: o.value ? 'string' as const : 'boolean' as const }])),
        demo: { type: 'boolean' as const },
      },
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const a: TrainArgs = { ...DEFAULTS, ...(values.demo ? DEMO : {}) };
  const given = new Map<OptionSpec, string>();
  for (const o of OPTIONS) {
    const v = values[o.flag];
    if (v === undefined) continue;
    if (typeof v === 'string' && v.trim() === '') {
      throw new UsageError(`--${o.flag}: empty value (expected ${o.value})`);
    }
    Object.assign(a, { [o.key]: typeof v === 'boolean' ? v : o.parse!(v, o.flag) });
    given.set(o, typeof v === 'boolean' ? '' : v);
  }
  checkIdle(a, given);
  checkConv(a);
  checkRanks(a);
  if (a.from !== undefined && a.checkpoint !== undefined) {
    throw new UsageError(`--from ${a.from}: conflicts with --checkpoint ${a.checkpoint}, which ` +
      'resumes from its own file');
  }
  return a;
}

/**
 * `dlrt --help | -h`, `dlrt --version`, or `dlrt train [options]` (where --help and -h anywhere
 * ask for the help: strict parsing never takes them as another option's value).
 */
export function parseCommand(argv: readonly string[]): Command {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError('no command');
  if (command === '--help' || command === '-h' || command === '--version') {
    if (rest.length > 0) throw new UsageError(`${command}: unexpected '${rest.join(' ')}'`);
    return { kind: command === '--version' ? 'version' : 'help' };
  }
  if (command !== 'train' && command !== 'eval' && command !== 'finetune' && command !== 'plot') {
    throw new UsageError(`unknown command '${command}'`);
  }
  if (rest.includes('--help') || rest.includes('-h')) return { kind: 'help' };
  if (command === 'eval') return { kind: 'eval', args: parseEvalArgs(rest) };
  if (command === 'plot') return { kind: 'plot', args: parsePlotArgs(rest) };
  if (command === 'finetune') return { kind: 'finetune', args: parseFinetuneArgs(rest) };
  return { kind: 'train', args: parseTrainArgs(rest) };
}

/** How each `dlrt finetune` option is read: [key, parse]. */
const FINETUNE_OPTIONS: Record<string, [keyof FinetuneArgs, (v: string, flag: string) => unknown]> =
  {
    from: ['from', (v) => v],
    adapter: ['adapter', oneOf(ADAPTERS)],
    targets: ['targets', (v) => v.split(',').map((x) => x.trim())],
    rank: ['rank', positiveInt],
    alpha: ['alpha', positive],
    tol: ['tol', (v, f) => number(f, v, 'a number ≥ 0', (x) => x >= 0 && x < Infinity)],
    budget: ['budget', positiveInt],
    'coefficient-steps': ['coefficientSteps', (v, f) => number(f, v, 'an integer ≥ 0',
      (x) => Number.isInteger(x) && x >= 0)],
    'target-rank': ['targetRank', positiveInt],
    'tucker-ranks': ['tuckerRanks', (v, f) => {
      const r = v.split(',').map((x) => positiveInt(x, f));
      if (r.length !== 3) throw new UsageError(`--${f}: expected R1,R2,R3, got '${v}'`);
      return r;
    }],
    't-init': ['tInit', (v, f) => number(f, v, 'a fraction in [0, 1)', (x) => x >= 0 && x < 1)],
    't-final': ['tFinal', (v, f) => number(f, v, 'a fraction in [0, 1)', (x) => x >= 0 && x < 1)],
    'delta-t': ['deltaT', positiveInt],
    epochs: ['epochs', positiveInt],
    batch: ['batch', positiveInt],
    optimizer: ['optimizer', oneOf(['sgd', 'adam'] as const)],
    lr: ['lr', positive],
    momentum: ['momentum', (v, f) => number(f, v, 'a number in [0, 1)', (x) => x >= 0 && x < 1)],
    seed: ['seed', (v, f) => number(f, v, 'an integer in [0, 2^32)', (x) => Number.isInteger(x) &&
      x >= 0 && x < 2 ** 32)],
    digits: ['digits', digitList],
    rotate: ['rotate', (v, f) => number(f, v, 'a multiple of 90', (x) => Number.isInteger(x) &&
      x % 90 === 0)],
    validation: ['validation', (v, f) => number(f, v, 'an integer ≥ 0 (train rows to hold out)',
      (x) => Number.isInteger(x) && x >= 0)],
    json: ['json', (v) => v],
    backend: ['backend', (v) => v],
    threads: ['threads', positiveInt],
    progress: ['progress', oneOf(['auto', 'bar', 'none'] as const)],
  };

/** `dlrt finetune --from FILE [options]` over FINETUNE_DEFAULTS. */
export function parseFinetuneArgs(argv: readonly string[]): FinetuneArgs {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({ args: [...argv], allowPositionals: false, strict: true,
      options: Object.fromEntries(Object.keys(FINETUNE_OPTIONS).map((k) =>
        [k, { type: 'string' as const }])) }).values as Record<string, string | undefined>;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const f = { ...FINETUNE_DEFAULTS } as FinetuneArgs;
  for (const [flag, v] of Object.entries(values)) {
    if (v === undefined) continue;
    if (v.trim() === '') throw new UsageError(`--${flag}: empty value`);
    const [key, parse] = FINETUNE_OPTIONS[flag];
    Object.assign(f, { [key]: parse(v, flag) });
  }
  if (f.from === undefined) throw new UsageError('dlrt finetune: --from FILE is required');
  checkFinetune(f);
  return f;
}

/** `dlrt eval --from FILE [--json F] [--backend B] [--threads T]`. */
export function parseEvalArgs(argv: readonly string[]): EvalArgs {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({ args: [...argv], allowPositionals: false, strict: true, options: {
      from: { type: 'string' }, json: { type: 'string' }, backend: { type: 'string' },
      threads: { type: 'string' } } }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  for (const [k, v] of Object.entries(values)) {
    if (v !== undefined && v.trim() === '') throw new UsageError(`--${k}: empty value`);
  }
  if (values.from === undefined) throw new UsageError('dlrt eval: --from FILE is required');
  return { from: values.from, json: values.json, backend: values.backend ?? DEFAULTS.backend,
    threads: values.threads === undefined ? DEFAULTS.threads
      : optionOf('threads').parse!(values.threads, 'threads') as number };
}
