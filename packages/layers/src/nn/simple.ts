/** Parameter-free layers: activations, pooling and Flatten. */
import {
  avgPool2d, gelu, maxPool2d, type Pool2dOptions, relu, reshape, sigmoid, tanh, type Tensor,
} from '@dlrt/core';
import { Module } from './module.js';

/**
 * max(x, 0), elementwise.
 * @example new ReLU().forward(x)
 */
export class ReLU extends Module {
  forward(x: Tensor): Tensor { return relu(x); }
}

/**
 * tanh(x), elementwise.
 * @example new Tanh().forward(x)
 */
export class Tanh extends Module {
  forward(x: Tensor): Tensor { return tanh(x); }
}

/**
 * 1 / (1 + e⁻ˣ), elementwise.
 * @example new Sigmoid().forward(x)
 */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor { return sigmoid(x); }
}

/**
 * Exact GELU, x·Φ(x), Φ the standard normal CDF (not the tanh approximation).
 * @example new GELU().forward(x)
 */
export class GELU extends Module {
  forward(x: Tensor): Tensor { return gelu(x); }
}

/**
 * The maximum over each window of x [N, C, H, W], as core's maxPool2d (stride defaults to the
 * window).
 * @example new MaxPool2d({ kernelSize: 2 })   // [N, 20, 24, 24] → [N, 20, 12, 12]
 */
export class MaxPool2d extends Module {
  /** @param options window, stride and padding, as core's maxPool2d takes them. */
  constructor(readonly options: Pool2dOptions) { super(); }
  forward(x: Tensor): Tensor { return maxPool2d(x, this.options); }
}

/**
 * The mean over each window of x [N, C, H, W], as core's avgPool2d (padding is not counted).
 * @example new AvgPool2d({ kernelSize: 2 })   // [N, C, 8, 8] → [N, C, 4, 4]
 */
export class AvgPool2d extends Module {
  /** @param options window, stride and padding, as core's avgPool2d takes them. */
  constructor(readonly options: Pool2dOptions) { super(); }
  forward(x: Tensor): Tensor { return avgPool2d(x, this.options); }
}

/**
 * Keeps the first dim and flattens the rest: [N, C, H, W] → [N, C·H·W].
 * @example new Flatten().forward(x)   // x [N, 50, 4, 4] → [N, 800]
 */
export class Flatten extends Module {
  forward(x: Tensor): Tensor { return reshape(x, [x.shape[0], -1]); }
}
