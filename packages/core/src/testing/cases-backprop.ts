/**
 * Gradients of matmul and conv2d at sizes too large for finite differences (large enough for
 * blocked GEMM and a backend's threads: over 128³ multiply-adds per product), in every dtype,
 * against the reference adjoint loops.
 * The upstream gradient dy is random, passed to valueAndGrads as the seed.
 */
import { valueAndGrads } from '../autodiff.js';
import type { MatmulOptions } from '../backend.js';
import { conv2d, type Conv2dOptions } from '../ops/conv.js';
import { matmul } from '../ops/matmul.js';
import { type ForwardCase, fmtShape, type Inputs } from './check.js';
import { pair } from './cases-nn.js';
import { conv2dGradsRef, matmulGradsRef } from './reference-nn.js';
import type { Ref } from './reference.js';
import type { Tensor } from '../tensor.js';

/** Computes `f` on the first call only: both gradients of a case come from one reference run. */
function once<A, R>(f: (a: A) => R): (a: A) => R {
  let result: R | undefined;
  return (a) => (result ??= f(a));
}

const FLAGS: MatmulOptions[] = [{}, { transposeA: true }, { transposeB: true },
  { transposeA: true, transposeB: true }];

function matmulBackprop(g: Inputs): ForwardCase[] {
  const cases: ForwardCase[] = [];
  const [m, k, n] = [150, 120, 130];            // 2.3·10⁶ multiply-adds per product
  for (const f of FLAGS) {
    const sa = f.transposeA ? [k, m] : [m, k];
    const sb = f.transposeB ? [n, k] : [k, n];
    const inputs = [g.normal(sa), g.normal(sb), g.normal([m, n])];
    const name = `${f.transposeA ? 'Aᵀ' : 'A'}·${f.transposeB ? 'Bᵀ' : 'B'} ` +
      `${fmtShape(sa)} · ${fmtShape(sb)}`;
    const grads = ([a, b, dy]: Tensor[]) =>
      valueAndGrads((p, q) => matmul(p, q, f))([a, b], dy).grads;
    const ref = once(([a, b, dy]: Ref[]) => matmulGradsRef(a, b, dy, f));
    cases.push(
      { op: 'matmul dA', name, inputs, run: (xs) => grads(xs)[0], ref: (rs) => ref(rs).da,
        scale: Math.sqrt(n) },
      { op: 'matmul dB', name, inputs, run: (xs) => grads(xs)[1], ref: (rs) => ref(rs).db,
        scale: Math.sqrt(m) },
    );
  }
  return cases;
}

const CONV_BACKPROP_PLANS: [number[], number[], Conv2dOptions][] = [
  [[2, 16, 24, 24], [32, 16, 3, 3], { padding: 1 }],   // each GEMM 2.7·10⁶ multiply-adds
  [[2, 8, 15, 13], [12, 8, 3, 2], { stride: 2, padding: [1, 0], dilation: [2, 1] }],
];

function convBackprop(g: Inputs): ForwardCase[] {
  const cases: ForwardCase[] = [];
  for (const [sx, sw, o] of CONV_BACKPROP_PLANS) {
    const attrs = { stride: pair(o.stride, 1), padding: pair(o.padding, 0),
      dilation: pair(o.dilation, 1) };
    const out = (d: number) => Math.floor((sx[d + 2] + 2 * attrs.padding[d] -
      attrs.dilation[d] * (sw[d + 2] - 1) - 1) / attrs.stride[d]) + 1;
    const dyShape = [sx[0], sw[0], out(0), out(1)];
    const inputs = [g.normal(sx), g.normal(sw), g.normal(dyShape)];
    const name = `x ${fmtShape(sx)} w ${fmtShape(sw)} ${JSON.stringify(o)}`;
    const grads = ([x, w, dy]: Tensor[]) =>
      valueAndGrads((p, q) => conv2d(p, q, o))([x, w], dy).grads;
    const ref = once(([x, w, dy]: Ref[]) => conv2dGradsRef(x, w, dy, attrs));
    cases.push(
      { op: 'conv2d dx', name, inputs, run: (xs) => grads(xs)[0], ref: (rs) => ref(rs).dx,
        scale: Math.sqrt(sw[0] * sw[2] * sw[3]) },
      { op: 'conv2d dw', name, inputs, run: (xs) => grads(xs)[1], ref: (rs) => ref(rs).dw,
        scale: Math.sqrt(dyShape[0] * dyShape[2] * dyShape[3]) },
    );
  }
  return cases;
}

/** Large gradients of matmul and conv2d against reference adjoints, for any float dtype. */
export function backpropCases(g: Inputs): ForwardCase[] {
  return [...matmulBackprop(g), ...convBackprop(g)];
}
