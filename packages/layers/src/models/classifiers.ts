/**
 * The reference classifiers for 28×28 digits: an MLP, the DLRT papers' LeNet5 and a small VGG,
 * dense or with low-rank layers (matrix, or Tucker convolutions).
 */
import { reshape, type Rng, type Tensor } from '@dlrt/core';
import { Conv2d } from '../nn/conv2d.js';
import type { InitGain, WeightInit } from '../nn/init.js';
import { Dense } from '../nn/dense.js';
import { LowRankConv2d } from '../nn/low-rank-conv2d.js';
import { LowRankDense } from '../nn/low-rank-dense.js';
import { Module, Sequential } from '../nn/module.js';
import { Flatten, MaxPool2d, ReLU } from '../nn/simple.js';
import { TuckerConv2d, type TuckerConv2dOptions } from '../nn/tucker-conv2d.js';
import { TuckerFactorsConv2d } from '../nn/tucker-factors-conv2d.js';

/**
 * Which layers become low-rank and at what rank. Every layer but the classifier does. As in
 * the DLRT reference code (COMPiLELab/DLRT-Net) each layer's cap is
 * ⌊min(n, m)/2⌋ (lowered to `maxRank` if given) and it starts at `rank` (default: its cap).
 * A value above a layer's cap (or a rank above its maxRank) is an error, not clamped; a list
 * gives one value per low-rank layer, in model order.
 */
export interface LowRankSpec {
  /** Starting rank of every low-rank layer (default: its maxRank), or one per layer. */
  rank?: number | readonly number[];
  /** Highest rank of every low-rank layer (default and at most: its cap), or one per layer. */
  maxRank?: number | readonly number[];
}

/** The format of a model's convolutions. */
export type ConvFormat = 'dense' | 'matrix' | 'tucker';
/**
 * Every ConvFormat, for checking a name (an unknown `conv` is an error).
 * @example CONV_FORMATS.includes(name as ConvFormat)
 */
export const CONV_FORMATS: readonly ConvFormat[] = ['dense', 'matrix', 'tucker'];

/**
 * Tucker convolutions (TuckerConv2d on the channel modes of size > 1): `rank` and `maxRank`
 * hold for each of a layer's modes, with the cap ⌊min(nᵢ, Π_{j≠i} nⱼ)/2⌋ per mode; a list
 * gives one value per Tucker convolution, in model order.
 */
export interface TuckerSpec extends LowRankSpec {
  /**
   * 'orthonormal' (default): TuckerConv2d, whose bases an integrator moves; 'free':
   * TuckerFactorsConv2d, every factor an ordinary parameter (direct training).
   */
  factors?: 'orthonormal' | 'free';
  /** How the core is drawn (TuckerConv2dOptions.spectrum; default 'gaussian'). */
  spectrum?: TuckerConv2dOptions['spectrum'];
}

/** What `mlp`, `lenet5` and `vggMini` build: sizes, layer formats and init. */
export interface ClassifierOptions {
  /** The generator every layer draws its initial weights from, in model order. */
  rng: Rng;
  /**
   * Input features (default 784): the MLP's input width, the square of vggMini's image side;
   * lenet5 takes 28×28 only.
   */
  inputSize?: number;
  /** Output classes, the width of the logits (default 10). */
  numClasses?: number;
  /** Build the hidden layers low-rank in the matrix format (default: dense). */
  lowRank?: LowRankSpec;
  /**
   * The convolutions' format (default 'matrix' with `lowRank`, else 'dense'): 'matrix' takes
   * its ranks from `lowRank`, 'tucker' from `tucker`.
   */
  conv?: ConvFormat;
  /** The Tucker convolutions, with conv 'tucker' (default: every rank at its cap). */
  tucker?: TuckerSpec;
  /** Weight init of every layer (default 'uniform', PyTorch's; 'he' for deep ReLU stacks). */
  init?: WeightInit;
  /**
   * Gain of the output layer under 'he' and 'orthogonal': 'relu' (default, the hidden layers'
   * law) or 'linear' (variance 1/fanIn: no ReLU follows the logits).
   */
  outputGain?: InitGain;
}

/** Which low-rank layer `lowRankSize` sizes, for its errors. */
export interface LowRankLayerInfo {
  /** Position among the model's low-rank layers (picks from per-layer lists; default 0). */
  index?: number;
  /** The layer, e.g. 'LowRankConv2d 1→20 5×5, W 20×25' (default 'W n×m'). */
  layer?: string;
  /** The model, as errors start with it (e.g. 'lenet5'). */
  model?: string;
  /** The ClassifierOptions field the sizes come from, as errors name it (default 'lowRank'). */
  spec?: 'lowRank' | 'tucker';
}

/**
 * A rank or maxRank above what its low-rank layer allows: its cap, or the maxRank given.
 * @example lowRankSize(20, 25, { rank: 12 })   // throws: lowRank.rank 12 is above the cap 10 …
 */
export class LowRankSizeError extends RangeError {
  /**
   * @param key The LowRankSpec field at fault.
   * @param value Its value for this layer.
   * @param limit What it may not exceed, e.g. 'the cap 10 = ⌊min(20, 25)/2⌋ of low-rank layer 0
   *   (LowRankConv2d 1→20 5×5, W 20×25)'.
   */
  constructor(readonly key: 'rank' | 'maxRank', readonly value: number, readonly limit: string,
    model?: string, spec: 'lowRank' | 'tucker' = 'lowRank') {
    super(`${model ? `${model}: ` : ''}${spec}.${key} ${value} is above ${limit}`);
    this.name = 'LowRankSizeError';
  }
}

/**
 * maxRank and rank of a low-rank layer whose weight is n×m, under `spec` (the reference code's
 * caps): the cap is ⌊min(n, m)/2⌋ (at least 1), so that the augmented rank 2r fits; maxRank
 * defaults to the cap and rank to maxRank.
 * @throws LowRankSizeError when `spec` asks for a maxRank above the cap, or a rank above the
 *   maxRank (naming the layer, the value and the limit).
 * @example lowRankSize(500, 784, { rank: 32 }) // { rank: 32, maxRank: 250 }
 */
export function lowRankSize(n: number, m: number, spec: LowRankSpec, at: LowRankLayerInfo = {}): {
  /** The initial rank: `spec.rank` for this layer, else maxRank. */
  rank: number;
  /** The rank cap: `spec.maxRank` for this layer, else ⌊min(n, m)/2⌋ (at least 1). */
  maxRank: number;
} {
  const index = at.index ?? 0;
  const pick = (v: number | readonly number[] | undefined) =>
    typeof v === 'number' ? v : v?.[index];
  const cap = Math.max(1, Math.floor(Math.min(n, m) / 2));
  const where = `${at.spec === 'tucker' ? 'Tucker' : 'low-rank'} layer ${index} ` +
    `(${at.layer ?? `W ${n}×${m}`})`;
  const givenMax = pick(spec.maxRank);
  if (givenMax !== undefined && givenMax > cap) {
    throw new LowRankSizeError('maxRank', givenMax,
      `the cap ${cap} = ⌊min(${n}, ${m})/2⌋ of ${where}`, at.model, at.spec);
  }
  const maxRank = givenMax ?? cap;
  const rank = pick(spec.rank) ?? maxRank;
  if (rank > maxRank) {
    const limit = givenMax === undefined ? `the cap ${cap} = ⌊min(${n}, ${m})/2⌋ of ${where}`
      : `${at.spec ?? 'lowRank'}.maxRank ${maxRank} of ${where}`;
    throw new LowRankSizeError('rank', rank, limit, at.model, at.spec);
  }
  return { rank, maxRank };
}

/** Checks that per-layer lists in `spec` have one entry per layer of its kind in `model`. */
function checkLists(model: string, spec: LowRankSpec | undefined, layers: number,
  kind = 'low-rank'): void {
  for (const key of ['rank', 'maxRank'] as const) {
    const v = spec?.[key];
    if (Array.isArray(v) && v.length !== layers) {
      const prefix = kind === 'low-rank' ? 'lowRank' : 'tucker';
      throw new Error(`${model}: ${prefix}.${key} lists ${v.length} values [${v.join(', ')}] for ` +
        `${layers} ${kind} layers`);
    }
  }
}

type Draw = { rng: Rng; init?: WeightInit; gain?: InitGain };

/** The low-rank layer being built: the model's name and its index among low-rank layers. */
type At = { model: string; index: number };

function dense(inF: number, outF: number, d: Draw, spec?: LowRankSpec, at?: At): Module {
  if (!spec) return new Dense(inF, outF, d);
  const layer = `LowRankDense ${inF}→${outF}, W ${outF}×${inF}`;
  return new LowRankDense(inF, outF, { ...d, ...lowRankSize(outF, inF, spec, { ...at, layer }) });
}

/** A convolution and the format it is built in, with its spec and its index among its kind. */
type ConvPlan = { format: 'dense' } | { format: 'matrix'; spec: LowRankSpec; at: At } |
  { format: 'tucker'; spec: TuckerSpec; at: At };

function conv(inC: number, outC: number, k: number, d: Draw, plan: ConvPlan,
  opts: { padding?: number } = {}): Module {
  if (plan.format === 'dense') return new Conv2d(inC, outC, k, { ...d, ...opts });
  if (plan.format === 'matrix') {
    const m = inC * k * k;
    const layer = `LowRankConv2d ${inC}→${outC} ${k}×${k}, W ${outC}×${m}`;
    return new LowRankConv2d(inC, outC, k, { ...d, ...opts,
      ...lowRankSize(outC, m, plan.spec, { ...plan.at, layer }) });
  }
  // The channel modes that can carry a basis; each is sized like a matrix layer's unfolding.
  const shape = [outC, inC, k, k];
  const modes = [0, 1].filter((m) => shape[m] > 1);
  const layer = `TuckerConv2d ${inC}→${outC} ${k}×${k}`;
  const sizes = modes.map((m) => lowRankSize(shape[m], (outC * inC * k * k) / shape[m],
    plan.spec, { ...plan.at, layer: `${layer}, mode ${m}`, spec: 'tucker' }));
  const o: TuckerConv2dOptions = { ...d, ...opts, modes, ranks: sizes.map((z) => z.rank),
    maxRanks: sizes.map((z) => z.maxRank), spectrum: plan.spec.spectrum };
  return plan.spec.factors === 'free' ? new TuckerFactorsConv2d(inC, outC, k, o)
    : new TuckerConv2d(inC, outC, k, o);
}

/** Plans a model's convolutions: which format each takes, indexed among its kind. */
export class ConvPlanner {
  private matrix = 0;
  private tuckers = 0;

  constructor(readonly model: string, readonly o: ClassifierOptions) {
    if (o.conv !== undefined && !CONV_FORMATS.includes(o.conv)) {
      throw new Error(`${model}: conv '${String(o.conv)}' is not one of ${CONV_FORMATS.join(', ')}`);
    }
    if (o.conv === 'matrix' && !o.lowRank) {
      throw new Error(`${model}: conv 'matrix' takes its ranks from lowRank; pass lowRank ({} ` +
        'for the caps)');
    }
  }

  get format(): ConvFormat {
    return this.o.conv ?? (this.o.lowRank ? 'matrix' : 'dense');
  }

  /** The plan of the next convolution, in `format` (default: the model's). */
  next(format: ConvFormat = this.format): ConvPlan {
    if (format === 'matrix') {
      return { format, spec: this.o.lowRank ?? {}, at: this.nextMatrix() };
    }
    if (format === 'tucker') {
      return { format, spec: this.o.tucker ?? {}, at: { model: this.model, index: this.tuckers++ } };
    }
    return { format };
  }

  /** The index of the next matrix low-rank layer (a dense layer or a matrix convolution). */
  nextMatrix(): At {
    return { model: this.model, index: this.matrix++ };
  }

  /** Checks the per-layer lists against the layers to build, before any is drawn. */
  expect(counts: { matrix: number; tucker: number }): void {
    checkLists(this.model, this.o.lowRank, counts.matrix);
    checkLists(this.model, this.o.tucker, counts.tucker, 'Tucker');
  }
}

/**
 * Dense layers with ReLU between them: inputSize → hidden… → numClasses. Input [N, 784]
 * (or anything that flattens to it).
 * @example mlp({ rng: new Rng(1), hidden: [500, 500] })
 */
export function mlp(o: ClassifierOptions & { hidden?: readonly number[] }): Sequential {
  const sizes = [o.inputSize ?? 784, ...(o.hidden ?? [500]), o.numClasses ?? 10];
  checkLists('mlp', o.lowRank, sizes.length - 2);
  const layers: Module[] = [new Flatten()];
  for (let i = 0; i + 1 < sizes.length; i++) {
    if (i > 0) layers.push(new ReLU());
    const last = i + 2 === sizes.length;
    layers.push(dense(sizes[i], sizes[i + 1],
      { rng: o.rng, init: o.init, gain: last ? o.outputGain : undefined },
      last ? undefined : o.lowRank, { model: 'mlp', index: i }));
  }
  return new Sequential(layers);
}

/**
 * Reshapes rows [N, C·H·W], or any [N, …] of that size, to images [N, C, H, W].
 * @example new ToImage(1, 28, 28).forward(x)   // [N, 784] → [N, 1, 28, 28]
 */
export class ToImage extends Module {
  /**
   * @param channels C.
   * @param height H.
   * @param width W.
   */
  constructor(readonly channels: number, readonly height: number, readonly width: number) {
    super();
  }

  forward(x: Tensor): Tensor {
    return reshape(x, [x.shape[0], this.channels, this.height, this.width]);
  }
}

/**
 * LeNet5 as in the DLRT papers' code (COMPiLELab/DLRT-Net): conv 1→20 (5×5), ReLU,
 * maxpool 2, conv 20→50 (5×5), ReLU, maxpool 2, flatten 800, dense 800→500, ReLU, dense 500→10.
 * 430,500 weights without biases. Input [N, 784] or [N, 1, 28, 28]. With `lowRank`, the two
 * convolutions and the 800→500 layer are low-rank (caps 10, 25, 250). With conv 'tucker',
 * conv2 is a Tucker convolution (TDLRT's LeNet5); conv1, which has one input channel, stays a
 * matrix (with `lowRank`) or dense.
 * @example lenet5({ rng: new Rng(1), lowRank: { rank: [10, 20, 100] } })   // conv1, conv2, fc1
 */
export function lenet5(o: ClassifierOptions): Sequential {
  const d: Draw = { rng: o.rng, init: o.init };
  const plan = new ConvPlanner('lenet5', o);
  const first = plan.format === 'tucker' ? (o.lowRank ? 'matrix' : 'dense') : plan.format;
  const formats = [first, plan.format];
  plan.expect({ matrix: formats.filter((f) => f === 'matrix').length + (o.lowRank ? 1 : 0),
    tucker: formats.filter((f) => f === 'tucker').length });
  const conv1 = conv(1, 20, 5, d, plan.next(first));
  const conv2 = conv(20, 50, 5, d, plan.next());
  const fc1 = dense(800, 500, d, o.lowRank, o.lowRank ? plan.nextMatrix() : undefined);
  return new Sequential([
    new ToImage(1, 28, 28),
    conv1, new ReLU(), new MaxPool2d({ kernelSize: 2 }),
    conv2, new ReLU(), new MaxPool2d({ kernelSize: 2 }),
    new Flatten(),
    fc1, new ReLU(),
    new Dense(500, o.numClasses ?? 10, { ...d, gain: o.outputGain }),
  ]);
}

/**
 * A small VGG-style net for 28×28 digits: blocks of 3×3 convolutions (padding 1) with ReLU,
 * each block ending in a 2×2 max-pool, then one dense classifier. The default blocks
 * [[32, 32], [64, 64], [128]] give 32-32-pool-64-64-pool-128-pool-fc10 (28 → 14 → 7 → 3).
 * Every convolution takes the model's format (the first, with one input channel, is a Tucker
 * convolution on its output mode alone).
 * @example vggMini({ rng: new Rng(1), conv: 'tucker', tucker: { rank: 8 } })
 */
export function vggMini(o: ClassifierOptions & { blocks?: readonly (readonly number[])[] }):
  Sequential {
  const blocks = o.blocks ?? [[32, 32], [64, 64], [128]];
  if (blocks.length === 0 || blocks.some((b) => b.length === 0 ||
    b.some((c) => !Number.isInteger(c) || c < 1))) {
    throw new Error(`vggMini: blocks ${JSON.stringify(blocks)} must be non-empty lists of ` +
      'positive channel counts');
  }
  const d: Draw = { rng: o.rng, init: o.init };
  const plan = new ConvPlanner('vggMini', o);
  const convs = blocks.flat().length;
  plan.expect({ matrix: plan.format === 'matrix' ? convs : 0,
    tucker: plan.format === 'tucker' ? convs : 0 });
  let side = Math.round(Math.sqrt((o.inputSize ?? 784)));
  let channels = 1;
  const layers: Module[] = [new ToImage(1, side, side)];
  for (const block of blocks) {
    for (const c of block) {
      layers.push(conv(channels, c, 3, d, plan.next(), { padding: 1 }), new ReLU());
      channels = c;
    }
    layers.push(new MaxPool2d({ kernelSize: 2 }));
    side = Math.floor(side / 2);
  }
  layers.push(new Flatten(), new Dense(channels * side * side, o.numClasses ?? 10,
    { ...d, gain: o.outputGain }));
  return new Sequential(layers);
}
