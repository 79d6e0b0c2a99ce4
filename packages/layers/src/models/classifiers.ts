/** The reference classifiers for 28×28 digits: an MLP and the DLRT papers' LeNet5. */
import type { Rng } from '@dlrt/core';
import { Conv2d } from '../nn/conv2d.js';
import { Dense } from '../nn/dense.js';
import { Module, Sequential } from '../nn/module.js';
import { Flatten, MaxPool2d, ReLU } from '../nn/simple.js';
import type { Tensor } from '@dlrt/core';
import { reshape } from '@dlrt/core';

export interface ClassifierOptions {
  rng: Rng;
  inputSize?: number;
  numClasses?: number;
}

/**
 * Dense layers with ReLU between them: inputSize → hidden… → numClasses. Input [N, 784]
 * (or anything that flattens to it).
 * @example mlp({ rng: new Rng(1), hidden: [500, 500] })
 */
export function mlp(o: ClassifierOptions & { hidden?: readonly number[] }): Sequential {
  const sizes = [o.inputSize ?? 784, ...(o.hidden ?? [500]), o.numClasses ?? 10];
  const layers: Module[] = [new Flatten()];
  for (let i = 0; i + 1 < sizes.length; i++) {
    if (i > 0) layers.push(new ReLU());
    layers.push(new Dense(sizes[i], sizes[i + 1], { rng: o.rng }));
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
 * 430,500 weights without biases. Input [N, 784] or [N, 1, 28, 28].
 */
export function lenet5(o: ClassifierOptions): Sequential {
  const rng = o.rng;
  return new Sequential([
    new ToImage(1, 28, 28),
    new Conv2d(1, 20, 5, { rng }), new ReLU(), new MaxPool2d({ kernelSize: 2 }),
    new Conv2d(20, 50, 5, { rng }), new ReLU(), new MaxPool2d({ kernelSize: 2 }),
    new Flatten(),
    new Dense(800, 500, { rng }), new ReLU(),
    new Dense(500, o.numClasses ?? 10, { rng }),
  ]);
}
