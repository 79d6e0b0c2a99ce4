/**
 * The reference classifiers for 28×28 digits: an MLP and the DLRT papers' LeNet5, dense or
 * with low-rank layers.
 */
import { reshape, type Rng, type Tensor } from '@dlrt/core';
import { Conv2d } from '../nn/conv2d.js';
import type { InitGain, WeightInit } from '../nn/init.js';
import { Dense } from '../nn/dense.js';
import { LowRankConv2d } from '../nn/low-rank-conv2d.js';
import { LowRankDense } from '../nn/low-rank-dense.js';
import { Module, Sequential } from '../nn/module.js';
import { Flatten, MaxPool2d, ReLU } from '../nn/simple.js';

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

export interface ClassifierOptions {
  rng: Rng;
  inputSize?: number;
  numClasses?: number;
  /** Build the hidden layers low-rank (default: dense). */
  lowRank?: LowRankSpec;
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
}

/** A rank or maxRank above what its low-rank layer allows: its cap, or the maxRank given. */
export class LowRankSizeError extends RangeError {
  /**
   * @param key The LowRankSpec field at fault.
   * @param value Its value for this layer.
   * @param limit What it may not exceed, e.g. 'the cap 10 = ⌊min(20, 25)/2⌋ of low-rank layer 0
   *   (LowRankConv2d 1→20 5×5, W 20×25)'.
   */
  constructor(readonly key: 'rank' | 'maxRank', readonly value: number, readonly limit: string,
    model?: string) {
    super(`${model ? `${model}: ` : ''}lowRank.${key} ${value} is above ${limit}`);
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
export function lowRankSize(n: number, m: number, spec: LowRankSpec, at: LowRankLayerInfo = {}):
  { rank: number; maxRank: number } {
  const index = at.index ?? 0;
  const pick = (v: number | readonly number[] | undefined) =>
    typeof v === 'number' ? v : v?.[index];
  const cap = Math.max(1, Math.floor(Math.min(n, m) / 2));
  const where = `low-rank layer ${index} (${at.layer ?? `W ${n}×${m}`})`;
  const givenMax = pick(spec.maxRank);
  if (givenMax !== undefined && givenMax > cap) {
    throw new LowRankSizeError('maxRank', givenMax,
      `the cap ${cap} = ⌊min(${n}, ${m})/2⌋ of ${where}`, at.model);
  }
  const maxRank = givenMax ?? cap;
  const rank = pick(spec.rank) ?? maxRank;
  if (rank > maxRank) {
    const limit = givenMax === undefined ? `the cap ${cap} = ⌊min(${n}, ${m})/2⌋ of ${where}`
      : `lowRank.maxRank ${maxRank} of ${where}`;
    throw new LowRankSizeError('rank', rank, limit, at.model);
  }
  return { rank, maxRank };
}

/** Checks that per-layer lists in `spec` have one entry per low-rank layer of `model`. */
function checkLists(model: string, spec: LowRankSpec | undefined, layers: number): void {
  for (const key of ['rank', 'maxRank'] as const) {
    const v = spec?.[key];
    if (Array.isArray(v) && v.length !== layers) {
      throw new Error(`${model}: lowRank.${key} lists ${v.length} values [${v.join(', ')}] for ` +
        `${layers} low-rank layers`);
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

function conv(inC: number, outC: number, k: number, d: Draw, spec: LowRankSpec | undefined,
  at: At): Module {
  if (!spec) return new Conv2d(inC, outC, k, d);
  const m = inC * k * k;
  const layer = `LowRankConv2d ${inC}→${outC} ${k}×${k}, W ${outC}×${m}`;
  return new LowRankConv2d(inC, outC, k, { ...d, ...lowRankSize(outC, m, spec, { ...at, layer }) });
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

/** Reshapes [N, 784] rows to [N, 1, 28, 28] images. */
export class ToImage extends Module {
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
 * convolutions and the 800→500 layer are low-rank (caps 10, 25, 250).
 */
export function lenet5(o: ClassifierOptions): Sequential {
  const d: Draw = { rng: o.rng, init: o.init };
  checkLists('lenet5', o.lowRank, 3);
  return new Sequential([
    new ToImage(1, 28, 28),
    conv(1, 20, 5, d, o.lowRank, { model: 'lenet5', index: 0 }), new ReLU(),
    new MaxPool2d({ kernelSize: 2 }),
    conv(20, 50, 5, d, o.lowRank, { model: 'lenet5', index: 1 }), new ReLU(),
    new MaxPool2d({ kernelSize: 2 }),
    new Flatten(),
    dense(800, 500, d, o.lowRank, { model: 'lenet5', index: 2 }), new ReLU(),
    new Dense(500, o.numClasses ?? 10, { ...d, gain: o.outputGain }),
  ]);
}
