/**
 * Gradient cases (float64, checked by central finite differences): every differentiable
 * elementwise op, broadcasting (gradients reduced to each input's shape), where, reductions
 * with keepDims, and the shape ops. Inputs stay away from kinks (|x| ≥ 0.2 for relu/abs/sign,
 * distinct values for max/min, positive bases for log/sqrt/pow).
 */
import * as A from '../ops/arithmetic.js';
import * as R from '../ops/reduce.js';
import * as S from '../ops/shape-ops.js';
import { cast } from '../ops/unary.js';
import type { Tensor } from '../tensor.js';
import { ARITHMETIC_FNS, UNARY_FNS } from './cases-elementwise.js';
import { fmtShape, type GradCase, type Input, type Inputs } from './check.js';

function unaryGrads(g: Inputs): GradCase[] {
  const ops = Object.keys(UNARY_FNS).filter((op) => op !== 'isnan');
  return ops.map((op) => {
    const x = op === 'log' || op === 'sqrt' ? g.uniform([3, 4], 0.3, 3) : g.awayFromZero([3, 4]);
    return { op, name: '[3,4]', inputs: [x], run: ([a]) => UNARY_FNS[op](a) };
  });
}

/** Binary ops on broadcasting shapes; each operand's gradient has that operand's shape. */
function binaryGrads(g: Inputs): GradCase[] {
  const pairs: [number[], number[]][] = [
    [[2, 3], [2, 3]], [[2, 1, 4], [3, 1]], [[4, 1], [1, 5]], [[], [2, 3]], [[2, 3, 2], [2]],
    [[1, 3], [2, 1, 1]],
  ];
  const cases: GradCase[] = [];
  for (const [op, f] of Object.entries(ARITHMETIC_FNS)) {
    for (const [sa, sb] of pairs) {
      let inputs: Input[] = [g.normal(sa), g.normal(sb)];
      if (op === 'div') inputs = [g.normal(sa), g.awayFromZero(sb, 0.5)];
      if (op === 'pow') inputs = [g.uniform(sa, 0.5, 2), g.uniform(sb, -1.5, 1.5)];
      if (op === 'maximum' || op === 'minimum') {
        // Distinct values drawn together, so no pair of entries is within 0.05 of a tie.
        const both = g.distinct([inputs[0].data.length + inputs[1].data.length], 0.1);
        inputs[0].data.set(both.data.subarray(0, inputs[0].data.length));
        inputs[1].data.set(both.data.subarray(inputs[0].data.length));
      }
      cases.push({ op, name: `${fmtShape(sa)} with ${fmtShape(sb)}`, inputs,
        run: ([a, b]) => f(a, b) });
    }
  }
  cases.push({ op: 'pow', name: 'x ** 3 (number exponent)', inputs: [g.normal([2, 3])],
    run: ([a]) => A.pow(a, 3) });
  cases.push({ op: 'mul', name: 'x · x (same tensor twice)', inputs: [g.normal([2, 3])],
    run: ([a]) => A.mul(a, a) });
  return cases;
}

function whereGrads(g: Inputs): GradCase[] {
  return [
    { op: 'where', name: '[2,3] ? [2,3] : [2,3]',
      inputs: [g.ints([2, 3], 0, 1), g.normal([2, 3]), g.normal([2, 3])],
      run: ([c, a, b]) => A.where(c, a, b) },
    { op: 'where', name: '[3,1] ? [1,4] : []',
      inputs: [g.ints([3, 1], 0, 1), g.normal([1, 4]), g.normal([])],
      run: ([c, a, b]) => A.where(c, a, b) },
    { op: 'broadcastTo', name: '[3,1] to [2,3,4]', inputs: [g.normal([3, 1])],
      run: ([x]) => A.broadcastTo(x, [2, 3, 4]) },
    // float64 → float32 → float64 is the identity up to rounding at 6e-8: a large step
    // keeps that rounding small next to the difference quotient.
    { op: 'cast', name: 'float64→float32→float64', inputs: [g.normal([2, 3])],
      run: ([x]) => cast(cast(x, 'float32'), 'float64'), h: 0.05, tol: 1e-5 },
  ];
}

type ReduceFn = (x: Tensor, axis?: number | number[], keepDims?: boolean) => Tensor;

function reduceGrads(g: Inputs): GradCase[] {
  const fns: Record<string, ReduceFn> = {
    sum: R.sum, mean: R.mean, max: R.max, min: R.min, logSumExp: R.logSumExp,
  };
  const plans: [number | number[] | undefined, boolean][] = [
    [undefined, false], [1, false], [-1, true], [[0, 2], false], [[0, 1], true],
  ];
  const cases: GradCase[] = [];
  for (const [op, f] of Object.entries(fns)) {
    for (const [axis, keepDims] of plans) {
      cases.push({ op, name: `[2,3,4] axis ${JSON.stringify(axis) ?? 'all'}` +
        (keepDims ? ' keepDims' : ''), inputs: [g.distinct([2, 3, 4], 0.15)],
      run: ([x]) => f(x, axis, keepDims) });
    }
  }
  return cases;
}

function shapeGrads(g: Inputs): GradCase[] {
  const x = (): Input => g.normal([2, 3, 4]);
  return [
    { op: 'reshape', name: '[2,3,4] to [4,-1]', inputs: [x()],
      run: ([a]) => S.reshape(a, [4, -1]) },
    { op: 'expandDims', name: 'at -1', inputs: [x()], run: ([a]) => S.expandDims(a, -1) },
    { op: 'squeeze', name: '[1,3,1]', inputs: [g.normal([1, 3, 1])], run: ([a]) => S.squeeze(a) },
    { op: 'transpose', name: 'reversed', inputs: [x()], run: ([a]) => S.transpose(a) },
    { op: 'transpose', name: 'perm [1,2,0]', inputs: [x()],
      run: ([a]) => S.transpose(a, [1, 2, 0]) },
    { op: 'slice', name: 'at [1,0,1] size [1,-1,2]', inputs: [x()],
      run: ([a]) => S.slice(a, [1, 0, 1], [1, -1, 2]) },
    { op: 'pad', name: '[[1,0],[0,2],[1,1]] with 0.5', inputs: [x()],
      run: ([a]) => S.pad(a, [[1, 0], [0, 2], [1, 1]], 0.5) },
    { op: 'concat', name: '[2,3,4]+[2,1,4]+[2,2,4] axis 1',
      inputs: [x(), g.normal([2, 1, 4]), g.normal([2, 2, 4])], run: (ts) => S.concat(ts, 1) },
    { op: 'concat', name: '[2,3]+[2,3] axis -1', inputs: [g.normal([2, 3]), g.normal([2, 3])],
      run: (ts) => S.concat(ts, -1) },
    { op: 'stack', name: '3×[2,3] axis 1', inputs: [0, 1, 2].map(() => g.normal([2, 3])),
      run: (ts) => S.stack(ts, 1) },
    { op: 'gather', name: '[4,3] at [2,3] axis 0 (repeats)',
      inputs: [g.normal([4, 3]), g.ints([2, 3], 0, 3)], run: ([a, i]) => S.gather(a, i, 0) },
    { op: 'gather', name: '[2,5] at [6] axis 1 (repeats)',
      inputs: [g.normal([2, 5]), { shape: [6], data: Float64Array.from([4, 0, 4, 2, 0, 4]),
        dtype: 'int32' }], run: ([a, i]) => S.gather(a, i, 1) },
  ];
}

export function elementwiseAndShapeGrads(g: Inputs): GradCase[] {
  return [...unaryGrads(g), ...binaryGrads(g), ...whereGrads(g), ...reduceGrads(g),
    ...shapeGrads(g)];
}
