/** Parameter-free layers: activations, pooling and Flatten. */
import {
  avgPool2d, gelu, maxPool2d, type Pool2dOptions, relu, reshape, sigmoid, tanh, type Tensor,
} from '@dlrt/core';
import { Module } from './module.js';

export class ReLU extends Module {
  forward(x: Tensor): Tensor { return relu(x); }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor { return tanh(x); }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor { return sigmoid(x); }
}

/** Exact GELU, x·Φ(x). */
export class GELU extends Module {
  forward(x: Tensor): Tensor { return gelu(x); }
}

/** @example new MaxPool2d({ kernelSize: 2 }) */
export class MaxPool2d extends Module {
  constructor(readonly options: Pool2dOptions) { super(); }
  forward(x: Tensor): Tensor { return maxPool2d(x, this.options); }
}

export class AvgPool2d extends Module {
  constructor(readonly options: Pool2dOptions) { super(); }
  forward(x: Tensor): Tensor { return avgPool2d(x, this.options); }
}

/** Keeps the first dim and flattens the rest: [N, C, H, W] → [N, C·H·W]. */
export class Flatten extends Module {
  forward(x: Tensor): Tensor { return reshape(x, [x.shape[0], -1]); }
}
