/**
 * Gradient cases (float64, central finite differences) of matmul (all four transpose
 * combinations, broadcast batch dims), softmax, logSoftmax, cross-entropy (int and soft
 * labels, each reduction), conv2d (stride, padding, dilation), pooling and attention.
 */
import { attention } from '../ops/attention.js';
import type { MatmulOptions } from '../backend.js';
import { avgPool2d, conv2d, maxPool2d } from '../ops/conv.js';
import { matmul } from '../ops/matmul.js';
import { crossEntropy, logSoftmax, softmax } from '../ops/softmax.js';
import { ATTENTION_PLANS, attentionMask, softLabels } from './cases-nn.js';
import { fmtShape, type GradCase, type Inputs } from './check.js';

const FLAGS: MatmulOptions[] = [{}, { transposeA: true }, { transposeB: true },
  { transposeA: true, transposeB: true }];

/** a's and b's shapes for C [..., m, n] = op(A)·op(B) with the given flags and batch dims. */
function operandShapes(batchA: number[], batchB: number[], m: number, k: number, n: number,
  f: MatmulOptions): [number[], number[]] {
  return [[...batchA, ...(f.transposeA ? [k, m] : [m, k])],
    [...batchB, ...(f.transposeB ? [n, k] : [k, n])]];
}

function matmulGrads(g: Inputs): GradCase[] {
  const cases: GradCase[] = [];
  const batches: [number[], number[]][] = [[[], []], [[2, 1], [3]], [[2], []], [[], [1, 2]]];
  for (const f of FLAGS) {
    for (const [ba, bb] of batches) {
      const [sa, sb] = operandShapes(ba, bb, 3, 4, 2, f);
      const flags = `${f.transposeA ? 'Aᵀ' : 'A'}·${f.transposeB ? 'Bᵀ' : 'B'}`;
      cases.push({ op: 'matmul', name: `${flags} ${fmtShape(sa)} · ${fmtShape(sb)}`,
        inputs: [g.normal(sa), g.normal(sb)], run: ([a, b]) => matmul(a, b, f) });
    }
  }
  cases.push({ op: 'matmul', name: 'A·A (same tensor twice)', inputs: [g.normal([3, 3])],
    run: ([a]) => matmul(a, a, { transposeB: true }) });
  return cases;
}

function softmaxGrads(g: Inputs): GradCase[] {
  const cases: GradCase[] = [];
  for (const [shape, axis] of [[[3, 4], -1], [[3, 4], 0], [[2, 3, 2], 1]] as const) {
    const name = `${fmtShape([...shape])} axis ${axis}`;
    cases.push(
      { op: 'softmax', name, inputs: [g.normal([...shape])], run: ([x]) => softmax(x, axis) },
      { op: 'logSoftmax', name, inputs: [g.normal([...shape])],
        run: ([x]) => logSoftmax(x, axis) },
    );
  }
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    cases.push(
      { op: 'crossEntropy', name: `int labels ${reduction}`,
        inputs: [g.normal([4, 3], 2), g.ints([4], 0, 2)],
        run: ([x, y]) => crossEntropy(x, y, { reduction }) },
      // Soft labels are an input too: d/dlabels = −log softmax(logits).
      { op: 'crossEntropy', name: `soft labels ${reduction}`,
        inputs: [g.normal([4, 3], 2), softLabels(g, 4, 3)],
        run: ([x, y]) => crossEntropy(x, y, { reduction }) },
    );
  }
  return cases;
}

function convGrads(g: Inputs): GradCase[] {
  const plans: [number[], number[], Parameters<typeof conv2d>[2]][] = [
    [[2, 2, 5, 5], [3, 2, 3, 3], {}],
    [[1, 2, 6, 5], [2, 2, 3, 3], { stride: 2, padding: 1 }],
    [[1, 2, 7, 7], [2, 2, 2, 3], { padding: [2, 1], dilation: 2 }],
    [[2, 1, 6, 6], [2, 1, 3, 2], { stride: [1, 2], padding: 1, dilation: [2, 1] }],
    // 1×1 kernels: the pointwise path (a batch of 2), and a strided one that is not.
    [[2, 3, 4, 3], [2, 3, 1, 1], {}],
    [[2, 2, 5, 5], [3, 2, 1, 1], { stride: 2 }],
  ];
  return plans.map(([sx, sw, o]) => ({
    op: 'conv2d', name: `x ${fmtShape(sx)} w ${fmtShape(sw)} ${JSON.stringify(o)}`,
    inputs: [g.normal(sx), g.normal(sw)], run: ([x, w]) => conv2d(x, w, o),
  }));
}

function poolGrads(g: Inputs): GradCase[] {
  const plans: [number[], Parameters<typeof maxPool2d>[1]][] = [
    [[1, 2, 4, 4], { kernelSize: 2 }],
    [[1, 2, 5, 5], { kernelSize: 3, stride: 2, padding: 1 }],
    [[2, 1, 5, 4], { kernelSize: [2, 3], stride: 1, padding: [1, 1] }],
  ];
  const cases: GradCase[] = [];
  for (const [sx, o] of plans) {
    const name = `x ${fmtShape(sx)} ${JSON.stringify(o)}`;
    cases.push(
      // Distinct values: the max of each window is unique, so the max is differentiable.
      { op: 'maxPool2d', name, inputs: [g.distinct(sx, 0.1)], run: ([x]) => maxPool2d(x, o) },
      { op: 'avgPool2d', name, inputs: [g.normal(sx)], run: ([x]) => avgPool2d(x, o) },
    );
  }
  return cases;
}

function attentionGrads(g: Inputs): GradCase[] {
  return ATTENTION_PLANS.map(([sq, skv, o]) => ({
    op: 'attention', name: `q ${fmtShape(sq)} kv ${fmtShape(skv)} ${JSON.stringify(o)}`,
    inputs: [g.normal(sq), g.normal([...skv.slice(0, 3), sq[3]]), g.normal(skv),
      ...(o.mask ? [attentionMask(g, sq[2], skv[2])] : [])],
    wrt: [0, 1, 2],
    run: ([q, k, v, mask]) => attention(q, k, v, { causal: o.causal, scale: o.scale, mask }),
  }));
}

export function nnGrads(g: Inputs): GradCase[] {
  return [...matmulGrads(g), ...softmaxGrads(g), ...convGrads(g), ...poolGrads(g),
    ...attentionGrads(g)];
}
