/** softmax, logSoftmax and cross-entropy, with closed-form gradients. */
import { assertFloat, type DType } from '../dtype.js';
import { customOp } from '../run-op.js';
import { fmt, normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { assertIndices } from './value-checks.js';
import { equal, mul, sub } from './arithmetic.js';
import { arange } from './creation.js';
import { logSumExp, sum } from './reduce.js';
import { expandDims } from './shape-ops.js';
import { cast, exp } from './unary.js';

/**
 * log softmax along `axis` (default the last; float dtypes): x − logSumExp(x).
 * Gradient: dy − softmax(x)·Σdy.
 * @example logSoftmax(logits)   // [N, C], each row's exp sums to 1
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  assertFloat('logSoftmax', 'x', x.dtype);
  const a = normAxis('logSoftmax', axis, x.rank);
  return customOp('logSoftmax', [x], () => sub(x, logSumExp(x, a, true)),
    (dy, y) => [sub(dy, mul(exp(y), sum(dy, a, true)))]);
}

/**
 * softmax along `axis` (default the last; float dtypes), computed as exp(x − logSumExp(x)).
 * Gradient: y ⊙ (dy − Σ dy ⊙ y).
 * @example softmax(scores, -1)
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  assertFloat('softmax', 'x', x.dtype);
  const a = normAxis('softmax', axis, x.rank);
  return customOp('softmax', [x], () => exp(sub(x, logSumExp(x, a, true))),
    (dy, y) => [mul(y, sub(dy, sum(mul(dy, y), a, true)))]);
}

/**
 * One-hot rows of int32 class `labels` [N] → [N, numClasses] in `dtype`.
 * Throws when a label is outside [0, numClasses). Labels of any shape work: the classes
 * become a new last axis.
 * @example oneHot(tensor([2, 0], undefined, 'int32'), 3)   // [[0, 0, 1], [1, 0, 0]]
 */
export function oneHot(labels: Tensor, numClasses: number, dtype: DType = 'float32'): Tensor {
  if (labels.dtype !== 'int32') {
    throw new Error(`oneHot: labels must be int32, got ${labels.dtype} ${fmt(labels.shape)}`);
  }
  if (!(Number.isInteger(numClasses) && numClasses >= 0)) {
    // arange(0, 2.5) has 3 entries: a fractional count would add a column silently.
    throw new Error(`oneHot: numClasses must be a non-negative integer, got ${numClasses}`);
  }
  checkLabels('oneHot', labels, numClasses);
  return rawOneHot(labels, numClasses, dtype);
}

function rawOneHot(labels: Tensor, numClasses: number, dtype: DType): Tensor {
  return cast(equal(expandDims(labels, -1), arange(0, numClasses, 1, 'int32')), dtype);
}

/** Class labels must lie in [0, numClasses): a wrong label would silently zero its row. */
function checkLabels(op: string, labels: Tensor, numClasses: number): void {
  assertIndices(op, 'labels', labels, numClasses);
}

/** Options of `crossEntropy`. */
export interface CrossEntropyOptions {
  /** 'mean' over rows (default), 'sum', or 'none' (one loss per row). */
  reduction?: 'mean' | 'sum' | 'none';
}

/**
 * Cross-entropy of `logits` [N, C] against labels: int32 class indices [N], or a float
 * [N, C] distribution (one-hot or soft). Gradient w.r.t. logits: (softmax·Σⱼpⱼ − p) · dy per
 * row, which is (softmax − p) · dy when each label row sums to 1.
 * @example crossEntropy(model.forward(x), labels)
 */
export function crossEntropy(logits: Tensor, labels: Tensor, opts: CrossEntropyOptions = {}):
  Tensor {
  assertFloat('crossEntropy', 'logits', logits.dtype);
  const [n, c] = logits.shape;
  const byIndex = labels.dtype === 'int32';
  if (logits.rank !== 2 || (byIndex ? labels.rank !== 1 || labels.shape[0] !== n
    : labels.rank !== 2 || labels.shape[0] !== n || labels.shape[1] !== c)) {
    throw new Error(`crossEntropy: logits ${fmt(logits.shape)} vs labels ${fmt(labels.shape)} ` +
      `${labels.dtype}: want logits [N,C] with int32 labels [N] or float labels [N,C]`);
  }
  if (!byIndex && labels.dtype !== logits.dtype) {
    throw new Error(`crossEntropy: labels ${labels.dtype} vs logits ${logits.dtype}`);
  }
  const dtype = logits.dtype;
  // Targets as a distribution; rebuilt in the gradient so the tape holds only the op's inputs.
  const target = (): Tensor => (byIndex ? rawOneHot(labels, c, dtype) : labels);
  if (byIndex) checkLabels('crossEntropy', labels, c);
  const reduction = opts.reduction ?? 'mean';
  const scale = reduction === 'mean' ? 1 / Math.max(n, 1) : 1;
  return customOp('crossEntropy', [logits, labels], () => {
    const rows = sum(mul(target(), sub(logSumExp(logits, 1, true), logits)), 1);
    return reduction === 'none' ? rows : mul(sum(rows), scale);
  }, (dy) => {
    const g = reduction === 'none' ? expandDims(dy, 1) : mul(dy, scale);
    const p = target();
    const lsm = sub(logits, logSumExp(logits, 1, true));
    // d/dlogits Σ p·(lse − logits) = softmax·Σp − p  (Σp = 1 for one-hot rows)
    const dLogits = mul(sub(mul(exp(lsm), sum(p, 1, true)), p), g);
    return [dLogits, byIndex ? null : mul(mul(lsm, -1), g)];
  });
}

