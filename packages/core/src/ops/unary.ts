/** Elementwise unary ops and cast, each with its gradient. */
import type { UnaryOp } from '../backend.js';
import { assertFloat, type DType, isDType, isFloat } from '../dtype.js';
import { assertInt32Range } from './value-checks.js';
import { runOp } from '../run-op.js';
import type { Tensor } from '../tensor.js';
import { add, greater, mul, sub, div, where } from './arithmetic.js';
import { clone } from './shape-ops.js';

function unary(op: UnaryOp, x: Tensor, grad?: (dy: Tensor, y: Tensor) => Tensor | null): Tensor {
  x.assertLive(op);
  const intOk = op === 'neg' || op === 'abs' || op === 'square' || op === 'sign' || op === 'relu';
  if (!intOk) assertFloat(op, 'x', x.dtype);
  const dtype: DType = op === 'isnan' ? 'int32' : x.dtype;
  return runOp(op, [x], { shape: x.shape, dtype }, (k) => k.unary(op, x),
    grad && isFloat(x.dtype) ? (dy, y) => [grad(dy, y)] : undefined);
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** −x (int32 too). @example neg(x) */
export const neg = (x: Tensor): Tensor => unary('neg', x, (dy) => neg(dy));
/** |x| (int32 too); d/dx = sign(x), 0 at 0. @example abs(sub(a, b)).max() */
export const abs = (x: Tensor): Tensor => unary('abs', x, (dy) => mul(dy, sign(x)));
/** eˣ (float dtypes); d/dx = y. @example exp(logProbs) */
export const exp = (x: Tensor): Tensor => unary('exp', x, (dy, y) => mul(dy, y));
/** Natural logarithm (float dtypes); d/dx = 1/x. @example log(probs) */
export const log = (x: Tensor): Tensor => unary('log', x, (dy) => div(dy, x));
/** √x (float dtypes); d/dx = 1/(2y). @example sqrt(variance) */
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x, (dy, y) => div(dy, mul(y, 2)));
/** x² (int32 too); d/dx = 2x. @example square(sub(pred, target)).mean() */
export const square = (x: Tensor): Tensor => unary('square', x, (dy) => mul(dy, mul(x, 2)));
/** max(x, 0) (int32 too); the gradient passes where x > 0 (0 at x = 0). @example relu(h) */
export const relu = (x: Tensor): Tensor => unary('relu', x, (dy) => where(greater(x, 0), dy, 0));
/** 1 / (1 + e^−x) (float dtypes); d/dx = y(1 − y). @example sigmoid(logits) */
export const sigmoid = (x: Tensor): Tensor =>
  unary('sigmoid', x, (dy, y) => mul(dy, mul(y, sub(1, y))));
/** Hyperbolic tangent (float dtypes); d/dx tanh = 1 − y². @example tanh(h) */
export const tanh = (x: Tensor): Tensor => unary('tanh', x, (dy, y) => mul(dy, sub(1, square(y))));
/** The Gauss error function (float dtypes); d/dx = 2/√π · e^(−x²). @example erf(x) */
export const erf = (x: Tensor): Tensor =>
  unary('erf', x, (dy) => mul(dy, mul(exp(neg(square(x))), 2 / Math.sqrt(Math.PI))));
/**
 * Exact GELU, x·Φ(x) with Φ the standard normal CDF (PyTorch's default, not the tanh form).
 * d/dx = Φ(x) + x·φ(x). Float dtypes.
 * @example gelu(matmul(x, w1))
 */
export const gelu = (x: Tensor): Tensor => unary('gelu', x, (dy) => {
  const cdf = mul(add(erf(mul(x, SQRT1_2)), 1), 0.5);
  const pdf = mul(exp(mul(square(x), -0.5)), INV_SQRT_2PI);
  return mul(dy, add(cdf, mul(x, pdf)));
});
/** −1, 0 or 1 by the sign of x, in x's dtype (int32 too; gradient zero). @example sign(x) */
export const sign = (x: Tensor): Tensor => unary('sign', x);
/** int32 mask: 1 where x is NaN (float x only). @example isNan(loss).sum().item() > 0 */
export const isNan = (x: Tensor): Tensor => unary('isnan', x);

/**
 * x converted to `dtype` (float → int32 truncates toward zero). Float casts pass gradients.
 * @example cast(labels, 'float32')
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  x.assertLive('cast');
  if (!isDType(dtype)) throw new Error(`cast: unknown dtype '${String(dtype)}'`);
  if (dtype === x.dtype) return clone(x);
  if (dtype === 'int32') assertInt32Range('cast', x);
  return runOp('cast', [x], { shape: x.shape, dtype }, (k) => k.cast(x, dtype),
    isFloat(x.dtype) && isFloat(dtype) ? (dy) => [cast(dy, x.dtype)] : undefined);
}
