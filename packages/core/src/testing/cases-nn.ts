/**
 * Forward cases of matmul (transpose flags, broadcast batch dims, empty dims, and products
 * large enough for a backend's multi-threaded path), softmax, logSoftmax, cross-entropy,
 * conv2d, pooling and attention.
 */
import { attention } from '../ops/attention.js';
import type { Conv2dOptions, Pool2dOptions } from '../ops/conv.js';
import { avgPool2d, conv2d, maxPool2d } from '../ops/conv.js';
import { matmul } from '../ops/matmul.js';
import { crossEntropy, logSoftmax, softmax } from '../ops/softmax.js';
import { type ForwardCase, fmtShape, given, type Input, type Inputs } from './check.js';
import {
  attentionRef, avgPool2dRef, conv2dRef, crossEntropyRef, logSoftmaxRef, matmulRef, maxPool2dRef,
  type PoolRefAttrs, softmaxRef,
} from './reference-nn.js';

/** [a, b, flags] with the product's inner dim k. */
type MatmulPlan = [number[], number[], { transposeA?: boolean; transposeB?: boolean }, number];

export const MATMUL_PLANS: MatmulPlan[] = [
  [[3, 4], [4, 5], {}, 4],
  [[4, 3], [4, 5], { transposeA: true }, 4],
  [[3, 4], [5, 4], { transposeB: true }, 4],
  [[4, 3], [5, 4], { transposeA: true, transposeB: true }, 4],
  [[2, 3, 4], [4, 2], {}, 4],
  [[2, 1, 3, 4], [3, 4, 2], {}, 4],
  [[1, 3, 4], [2, 4, 5], { transposeB: false }, 4],
  [[2, 4, 3], [2, 2, 4], { transposeA: true, transposeB: true }, 4],
  [[1, 5], [5, 1], {}, 5],
  [[3, 0], [0, 2], {}, 0],
  [[0, 4], [4, 2], {}, 4],
  [[0, 2, 3], [3, 2], {}, 3],
  // Blocked GEMM: edge tiles, more than one packed row block (96), a k slice (256) and a
  // column block (512).
  [[96, 80], [80, 72], {}, 80],
  [[130, 70], [90, 70], { transposeB: true }, 70],
  [[2, 64, 48], [2, 40, 64], { transposeA: true, transposeB: true }, 64],
  [[5, 300], [300, 530], {}, 300],
  [[300, 7], [530, 300], { transposeA: true, transposeB: true }, 300],
  // Over 128³ multiply-adds, where a threaded backend splits rows (or columns when wide).
  [[160, 130], [130, 110], {}, 130],
  [[200, 40], [300, 200], { transposeA: true, transposeB: true }, 200],
  [[2, 130, 128], [128, 130], {}, 128],
];

function flagName(o: { transposeA?: boolean; transposeB?: boolean }): string {
  return `${o.transposeA ? 'ᵀ' : ''}·${o.transposeB ? 'ᵀ' : ''}`;
}

function matmulCases(g: Inputs): ForwardCase[] {
  return MATMUL_PLANS.map(([sa, sb, flags, k]) => ({
    op: 'matmul', name: `${fmtShape(sa)}${flagName(flags)}${fmtShape(sb)}`,
    inputs: [g.normal(sa), g.normal(sb)], run: ([a, b]) => matmul(a, b, flags),
    ref: ([a, b]) => matmulRef(a, b, flags), scale: Math.sqrt(Math.max(k, 1)),
  }));
}

function softmaxCases(g: Inputs): ForwardCase[] {
  const cases: ForwardCase[] = [];
  const plans: [Input, number][] = [
    [g.normal([3, 5], 2), -1], [g.normal([3, 5], 2), 0], [g.normal([2, 3, 4], 2), 1],
    [g.normal([4, 1]), 1], [given([2, 3], [1000, 999, 998, -1000, -1003, -1001]), 1],
    [g.normal([0, 3]), 1],
  ];
  for (const [x, axis] of plans) {
    const name = `${fmtShape(x.shape)} axis ${axis}${x.data[0] === 1000 ? ' ±1000' : ''}`;
    cases.push(
      { op: 'softmax', name, inputs: [x], run: ([a]) => softmax(a, axis),
        ref: ([a]) => softmaxRef(a, axis) },
      { op: 'logSoftmax', name, inputs: [x], run: ([a]) => logSoftmax(a, axis),
        ref: ([a]) => logSoftmaxRef(a, axis < 0 ? axis + a.shape.length : axis) },
    );
  }
  return cases;
}

/** Rows of a random probability distribution [n, c]. */
export function softLabels(g: Inputs, n: number, c: number): Input {
  const p = g.uniform([n, c], 0.05, 1);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < c; j++) s += p.data[i * c + j];
    for (let j = 0; j < c; j++) p.data[i * c + j] /= s;
  }
  return p;
}

function crossEntropyCases(g: Inputs): ForwardCase[] {
  const cases: ForwardCase[] = [];
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    for (const [n, c] of [[4, 5], [1, 3], [6, 2]]) {
      const logits = g.normal([n, c], 2);
      cases.push(
        { op: 'crossEntropy', name: `[${n},${c}] int labels ${reduction}`,
          inputs: [logits, g.ints([n], 0, c - 1)],
          run: ([x, y]) => crossEntropy(x, y, { reduction }),
          ref: ([x, y]) => crossEntropyRef(x, y, false, reduction) },
        { op: 'crossEntropy', name: `[${n},${c}] soft labels ${reduction}`,
          inputs: [logits, softLabels(g, n, c)],
          run: ([x, y]) => crossEntropy(x, y, { reduction }),
          ref: ([x, y]) => crossEntropyRef(x, y, true, reduction) },
      );
    }
  }
  return cases;
}

/** conv2d plans: x shape, w shape, options. */
export const CONV_PLANS: [number[], number[], Conv2dOptions][] = [
  [[2, 3, 7, 6], [4, 3, 3, 3], {}],
  [[2, 3, 7, 6], [4, 3, 3, 3], { stride: 2, padding: 1 }],
  [[1, 2, 9, 8], [3, 2, 3, 2], { padding: 2, dilation: 2 }],
  [[2, 3, 8, 7], [2, 3, 2, 3], { stride: [2, 1], padding: [1, 0], dilation: [1, 2] }],
  [[2, 4, 5, 5], [3, 4, 1, 1], {}],
  [[1, 1, 4, 4], [1, 1, 4, 4], { padding: 1 }],
  [[0, 2, 5, 5], [3, 2, 3, 3], { padding: 1 }],
  // Per-image GEMM over 128³ multiply-adds (a threaded backend splits it).
  [[1, 16, 24, 24], [32, 16, 3, 3], { padding: 1 }],
];

export function pair(v: number | readonly [number, number] | undefined, d: number):
  [number, number] {
  if (v === undefined) return [d, d];
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

function convCases(g: Inputs): ForwardCase[] {
  return CONV_PLANS.map(([sx, sw, o]) => {
    const attrs = { stride: pair(o.stride, 1), padding: pair(o.padding, 0),
      dilation: pair(o.dilation, 1) };
    return {
      op: 'conv2d', name: `x ${fmtShape(sx)} w ${fmtShape(sw)} ${JSON.stringify(o)}`,
      inputs: [g.normal(sx), g.normal(sw)], run: ([x, w]) => conv2d(x, w, o),
      ref: ([x, w]) => conv2dRef(x, w, attrs), scale: Math.sqrt(sw[1] * sw[2] * sw[3]),
    };
  });
}

/** Pooling plans: x shape and options (partial windows at the padded borders). */
export const POOL_PLANS: [number[], Pool2dOptions][] = [
  [[2, 3, 6, 6], { kernelSize: 2 }],
  [[2, 2, 7, 6], { kernelSize: 3, stride: 2, padding: 1 }],
  [[1, 3, 5, 7], { kernelSize: [2, 3], stride: [1, 2], padding: [1, 1] }],
  [[1, 2, 5, 5], { kernelSize: 3, stride: 1, padding: 1 }],
  [[1, 1, 3, 3], { kernelSize: 3 }],
];

export function poolAttrs(o: Pool2dOptions): PoolRefAttrs {
  const kernel = pair(o.kernelSize, 1);
  return { kernel, stride: o.stride === undefined ? kernel : pair(o.stride, 1),
    padding: pair(o.padding, 0) };
}

function poolCases(g: Inputs): ForwardCase[] {
  const cases: ForwardCase[] = [];
  for (const [sx, o] of POOL_PLANS) {
    const a = poolAttrs(o);
    const name = `x ${fmtShape(sx)} ${JSON.stringify(o)}`;
    // Negative values make sure padding never wins the max or counts in the mean.
    const x = g.uniform(sx, -3, -0.5);
    cases.push(
      { op: 'maxPool2d', name, inputs: [x], run: ([v]) => maxPool2d(v, o),
        ref: ([v]) => maxPool2dRef(v, a) },
      { op: 'avgPool2d', name, inputs: [x], run: ([v]) => avgPool2d(v, o),
        ref: ([v]) => avgPool2dRef(v, a) },
    );
  }
  return cases;
}

/** Attention plans: q shape, k/v shape ([B, Hkv, Nk, dv]), options (the mask drawn here). */
export const ATTENTION_PLANS: [number[], number[], { causal?: boolean; scale?: number;
  mask?: boolean }][] = [
  [[2, 2, 5, 4], [2, 2, 7, 3], {}],
  [[1, 4, 6, 4], [1, 2, 6, 5], { causal: true }],
  [[1, 2, 3, 4], [1, 1, 9, 4], { causal: true, scale: 0.3 }],
  [[1, 2, 20, 8], [1, 2, 20, 8], { causal: true }],
  [[2, 3, 4, 2], [2, 1, 5, 3], { mask: true }],
];

/** An additive mask [Nq, Nk]: normal entries with every third one blocked, never column 0. */
export function attentionMask(g: Inputs, nq: number, nk: number): Input {
  return given([nq, nk], Array.from({ length: nq * nk }, (_, i) =>
    (i % 3 === 1 && i % nk !== 0 ? -Infinity : g.rng.normal())));
}

function attentionCases(g: Inputs): ForwardCase[] {
  return ATTENTION_PLANS.map(([sq, skv, o]) => {
    const sk = [...skv.slice(0, 3), sq[3]];
    const scale = o.scale ?? 1 / Math.sqrt(sq[3]);
    const inputs = [g.normal(sq), g.normal(sk), g.normal(skv),
      ...(o.mask ? [attentionMask(g, sq[2], skv[2])] : [])];
    return {
      op: 'attention', name: `q ${fmtShape(sq)} kv ${fmtShape(skv)} ${JSON.stringify(o)}`, inputs,
      run: ([q, k, v, mask]) => attention(q, k, v, { causal: o.causal, scale: o.scale, mask }),
      ref: ([q, k, v, mask]) => attentionRef(q, k, v, mask ?? null,
        { scale, causal: o.causal ?? false }),
      scale: Math.sqrt(skv[2] * sq[3]),
    };
  });
}

export function nnCases(g: Inputs): ForwardCase[] {
  return [...matmulCases(g), ...softmaxCases(g), ...crossEntropyCases(g), ...convCases(g),
    ...poolCases(g), ...attentionCases(g)];
}
