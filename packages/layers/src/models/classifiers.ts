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
 * the DLRT reference code (papers/matrix-methods.md §3.1) each layer's cap is
 * ⌊min(n, m)/2⌋ (lowered to `maxRank` if given) and it starts at `rank`, capped by that.
 * A list gives one value per low-rank layer, in model order.
 */
export interface LowRankSpec {
  /** Starting rank of every low-rank layer (default: its cap), or one per layer. */
  rank?: number | readonly number[];
  /** Upper bound on every low-rank layer's cap, or one per layer. */
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

/** maxRank and rank of the `index`-th low-rank layer (n×m) under `spec` (§3.1's caps). */
export function lowRankSize(n: number, m: number, spec: LowRankSpec, index = 0):
  { rank: number; maxRank: number } {
  const pick = (v: number | readonly number[] | undefined) =>
    typeof v === 'number' ? v : v?.[index];
  const cap = Math.floor(Math.min(n, m) / 2);
  const maxRank = Math.max(1, Math.min(pick(spec.maxRank) ?? Infinity, cap));
  return { rank: Math.min(pick(spec.rank) ?? maxRank, maxRank), maxRank };
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

function dense(inF: number, outF: number, d: Draw, spec?: LowRankSpec, index = 0): Module {
  return spec ? new LowRankDense(inF, outF, { ...d, ...lowRankSize(outF, inF, spec, index) })
    : new Dense(inF, outF, d);
}

function conv(inC: number, outC: number, k: number, d: Draw, spec: LowRankSpec | undefined,
  index: number): Module {
  return spec
    ? new LowRankConv2d(inC, outC, k, { ...d, ...lowRankSize(outC, inC * k * k, spec, index) })
    : new Conv2d(inC, outC, k, d);
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
      last ? undefined : o.lowRank, i));
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
 * LeNet5 as in the DLRT papers' code (papers/matrix-methods.md §3.1): conv 1→20 (5×5), ReLU,
 * maxpool 2, conv 20→50 (5×5), ReLU, maxpool 2, flatten 800, dense 800→500, ReLU, dense 500→10.
 * 430,500 weights without biases. Input [N, 784] or [N, 1, 28, 28]. With `lowRank`, the two
 * convolutions and the 800→500 layer are low-rank (caps 10, 25, 250).
 */
export function lenet5(o: ClassifierOptions): Sequential {
  const d: Draw = { rng: o.rng, init: o.init };
  checkLists('lenet5', o.lowRank, 3);
  return new Sequential([
    new ToImage(1, 28, 28),
    conv(1, 20, 5, d, o.lowRank, 0), new ReLU(), new MaxPool2d({ kernelSize: 2 }),
    conv(20, 50, 5, d, o.lowRank, 1), new ReLU(), new MaxPool2d({ kernelSize: 2 }),
    new Flatten(),
    dense(800, 500, d, o.lowRank, 2), new ReLU(),
    new Dense(500, o.numClasses ?? 10, { ...d, gain: o.outputGain }),
  ]);
}
