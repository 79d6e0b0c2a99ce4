/** Losses. crossEntropy is core's op (fused gradient); mse is composed here. */
import { mean, square, sub, sum, type Tensor } from '@dlrt/core';
import { crossEntropy } from '@dlrt/core';

export { crossEntropy };
export type { CrossEntropyOptions } from '@dlrt/core';

/**
 * Mean squared error: mean((pred − target)²) (or the sum, or per element with 'none').
 * @example mse(model.forward(x), y)
 */
export function mse(pred: Tensor, target: Tensor, o: { reduction?: 'mean' | 'sum' | 'none' } = {}):
  Tensor {
  if (pred.shape.length !== target.shape.length || pred.shape.some((d, i) => d !== target.shape[i])) {
    throw new Error(`mse: pred [${pred.shape}] and target [${target.shape}] must have one shape`);
  }
  const e = square(sub(pred, target));
  const r = o.reduction ?? 'mean';
  return r === 'mean' ? mean(e) : r === 'sum' ? sum(e) : e;
}
