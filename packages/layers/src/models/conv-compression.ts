/** The parameters of a model's convolution kernels, as the TDLRT paper's compression rate counts. */
import { Conv2d } from '../nn/conv2d.js';
import type { ParameterCounts } from '../nn/factorized-layer.js';
import { LowRankConv2d } from '../nn/low-rank-conv2d.js';
import type { Module } from '../nn/module.js';
import { TuckerConv2d } from '../nn/tucker-conv2d.js';
import { TuckerFactorsConv2d } from '../nn/tucker-factors-conv2d.js';

/**
 * Kernel scalars of every convolution in `model`, stored and dense (biases left out), and
 * c.r. = 1 − stored/dense, the compression rate of Zangrando et al. (NeurIPS 2024, §5):
 * a Tucker kernel stores Π rᵢ + Σ nᵢrᵢ (the core and its bases), a matrix one r(n + m) + r².
 * Counts Conv2d, LowRankConv2d, TuckerConv2d and TuckerFactorsConv2d; throws if there are none.
 * @example convCompression(lenet5({ rng: new Rng(1), conv: 'tucker' })).compression
 */
export function convCompression(model: Module): ParameterCounts {
  let parameters = 0;
  let dense = 0;
  for (const m of model.modules()) {
    if (m instanceof Conv2d) {
      parameters += m.weight.size;
      dense += m.weight.size;
    } else if (m instanceof LowRankConv2d) {
      parameters += m.U.size + m.S.size + m.V.size;
      dense += m.n * m.m;
    } else if (m instanceof TuckerConv2d || m instanceof TuckerFactorsConv2d) {
      const factors = m instanceof TuckerConv2d ? m.bases : m.factors;
      parameters += m.core.size + factors.reduce((a, u) => a + u.size, 0);
      dense += m.outChannels * m.inChannels * m.kernelSize[0] * m.kernelSize[1];
    }
  }
  if (dense === 0) throw new Error('convCompression: the model has no convolution');
  return { parameters, dense, compression: 1 - parameters / dense };
}
