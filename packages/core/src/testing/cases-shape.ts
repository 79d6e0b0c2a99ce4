/**
 * Forward cases of reductions (axes, negative axes, keepDims, empty and size-1 dims) and of
 * the shape ops: reshape, transpose, slice, concat, stack, pad, gather.
 */
import type { Tensor } from '../tensor.js';
import * as R from '../ops/reduce.js';
import * as S from '../ops/shape-ops.js';
import { EXACT, type ForwardCase, fmtShape, given, type Inputs } from './check.js';
import {
  concatRef, FOLDS, gatherRef, padRef, reduceRef, reshapeRef, sizeOfShape, sliceRef, stackRef,
  transposeRef,
} from './reference.js';

type Axis = number | number[] | undefined;
type ReduceFn = (x: Tensor, axis?: number | number[], keepDims?: boolean) => Tensor;

const REDUCE_FNS: Record<string, ReduceFn> = {
  sum: R.sum, mean: R.mean, max: R.max, min: R.min, logSumExp: R.logSumExp,
};

/** √(number of values folded into one output): the tolerance scale of a sum. */
function foldScale(shape: number[], axis: Axis): number {
  const rank = shape.length;
  const axes = axis === undefined ? shape.map((_, i) => i)
    : (typeof axis === 'number' ? [axis] : axis).map((a) => (a < 0 ? a + rank : a));
  return Math.sqrt(Math.max(1, sizeOfShape(axes.map((a) => shape[a]))));
}

function reduceCases(g: Inputs): ForwardCase[] {
  const cases: ForwardCase[] = [];
  const plans: [number[], Axis, boolean][] = [
    [[2, 3, 4], undefined, false], [[2, 3, 4], 0, false], [[2, 3, 4], -1, false],
    [[2, 3, 4], [0, 2], false], [[2, 3, 4], 1, true], [[2, 3, 4], [-1, 0], true],
    [[1, 5, 1], [0, 2], false], [[5], 0, true], [[], undefined, false], [[0, 3], 1, false],
    [[60], 0, false],
  ];
  for (const [op, f] of Object.entries(REDUCE_FNS)) {
    for (const [shape, axis, keepDims] of plans) {
      const name = `${fmtShape(shape)} axis ${JSON.stringify(axis) ?? 'all'}` +
        (keepDims ? ' keepDims' : '');
      cases.push({ op, name, inputs: [g.distinct(shape, 0.37)],
        run: ([x]) => f(x, axis, keepDims), ref: ([x]) => reduceRef(x, axis, keepDims, FOLDS[op]),
        scale: foldScale(shape, axis) });
    }
  }
  // Sums over an empty dim are 0; the mean of nothing is NaN.
  cases.push({ op: 'sum', name: '[2,0,3] axis 1', inputs: [g.normal([2, 0, 3])],
    run: ([x]) => R.sum(x, 1), ref: ([x]) => reduceRef(x, 1, false, FOLDS.sum) });
  cases.push({ op: 'mean', name: '[2,0] axis 1', inputs: [g.normal([2, 0])],
    run: ([x]) => R.mean(x, 1), ref: ([x]) => reduceRef(x, 1, false, FOLDS.mean) });
  // logSumExp must not overflow or underflow at large |x|.
  const big = given([2, 3], [1000, 1000, 999, -1000, -1001, -1000]);
  cases.push({ op: 'logSumExp', name: '±1000', inputs: [big], run: ([x]) => R.logSumExp(x, 1),
    ref: ([x]) => reduceRef(x, 1, false, FOLDS.logSumExp) });
  // Masked rows: logΣexp of −∞ entries only is −∞, and −∞ entries add nothing.
  const masked = given([3, 2], [-Infinity, -Infinity, -Infinity, 0.5, 2, -Infinity]);
  cases.push({ op: 'logSumExp', name: 'rows with −∞', inputs: [masked],
    run: ([x]) => R.logSumExp(x, 1), ref: ([x]) => reduceRef(x, 1, false, FOLDS.logSumExp) });
  for (const [op, f] of [['argmax', R.argmax], ['argmin', R.argmin]] as const) {
    for (const [axis, keepDims] of [[0, false], [-1, false], [1, true]] as const) {
      cases.push({ op, name: `[3,4,5] axis ${axis}${keepDims ? ' keepDims' : ''}`,
        inputs: [g.distinct([3, 4, 5])], run: ([x]) => f(x, axis, keepDims),
        ref: ([x]) => reduceRef(x, axis, keepDims, FOLDS[op]), outDtype: 'int32' });
    }
    // Ties resolve to the first index.
    cases.push({ op, name: 'ties [4,6]', inputs: [g.grid([4, 6])], run: ([x]) => f(x, 1),
      ref: ([x]) => reduceRef(x, 1, false, FOLDS[op]), outDtype: 'int32' });
  }
  return cases;
}

function layoutCases(g: Inputs): ForwardCase[] {
  const x = g.normal([2, 3, 4]);
  const move = (op: string, name: string, inputs: ForwardCase['inputs'],
    run: ForwardCase['run'], ref: ForwardCase['ref']): ForwardCase =>
    ({ op, name, inputs, run, ref, tol: EXACT });
  const cases: ForwardCase[] = [];
  const reshapes: [number[], number[], number[]][] = [
    [[2, 3, 4], [4, -1], [4, 6]], [[2, 3, 4], [24], [24]], [[1], [], []], [[], [1, 1], [1, 1]],
    [[0, 3], [3, 0], [3, 0]], [[2, 3, 4], [2, 3, 4], [2, 3, 4]],
  ];
  for (const [from, to, out] of reshapes) {
    cases.push(move('reshape', `${fmtShape(from)} to ${fmtShape(to)}`, [g.normal(from)],
      ([a]) => S.reshape(a, to), ([a]) => reshapeRef(a, out)));
  }
  const perms: [number[], number[] | undefined][] = [
    [[2, 3, 4], undefined], [[2, 3, 4], [1, 0, 2]], [[2, 3, 4], [0, 2, 1]], [[3, 5], [1, 0]],
    [[2, 1, 3, 2], [3, 1, 0, 2]], [[2, 0, 3], [2, 0, 1]],
  ];
  for (const [shape, perm] of perms) {
    cases.push(move('transpose', `${fmtShape(shape)} perm ${perm ? fmtShape(perm) : 'reversed'}`,
      [g.normal(shape)], ([a]) => S.transpose(a, perm), ([a]) => transposeRef(a, perm)));
  }
  const slices: [number[], number[], number[]][] = [
    [[3, 4, 5], [1, 0, 2], [2, -1, 3]], [[3, 4, 5], [0, 1, 0], [3, 2, 1]],
    [[3, 4], [1, 2], [0, 2]], [[6], [2], [3]], [[1, 4, 1], [0, 1, 0], [1, 2, 1]],
  ];
  for (const [shape, begin, size] of slices) {
    cases.push(move('slice', `${fmtShape(shape)} at ${fmtShape(begin)} size ${fmtShape(size)}`,
      [g.normal(shape)], ([a]) => S.slice(a, begin, size), ([a]) => sliceRef(a, begin, size)));
  }
  const concats: [number[][], number][] = [
    [[[2, 3], [4, 3]], 0], [[[2, 3], [2, 1], [2, 2]], 1], [[[2, 3, 2], [2, 3, 1]], -1],
    [[[2, 0], [2, 3]], 1], [[[0, 3], [2, 3], [0, 3]], 0], [[[2, 2]], 0],
  ];
  for (const [shapes, axis] of concats) {
    cases.push(move('concat', `${shapes.map(fmtShape).join('+')} axis ${axis}`,
      shapes.map((s) => g.normal(s)), (ts) => S.concat(ts, axis), (rs) => concatRef(rs, axis)));
  }
  for (const [shape, axis] of [[[2, 3], 0], [[2, 3], 1], [[2, 3], -1], [[], 0]] as const) {
    const parts = [0, 1, 2].map(() => g.normal([...shape]));
    cases.push(move('stack', `3×${fmtShape([...shape])} axis ${axis}`, parts,
      (ts) => S.stack(ts, axis), (rs) => stackRef(rs, axis)));
  }
  const pads: [number[], [number, number][], number][] = [
    [[2, 3], [[1, 2], [0, 1]], 0], [[2, 3], [[0, 0], [2, 2]], 1.5], [[0, 2], [[1, 1], [0, 0]], -1],
    [[1, 2, 1], [[1, 0], [0, 0], [2, 1]], 0], [[], [], 0],
  ];
  for (const [shape, paddings, value] of pads) {
    cases.push(move('pad', `${fmtShape(shape)} by ${JSON.stringify(paddings)} with ${value}`,
      [g.normal(shape)], ([a]) => S.pad(a, paddings, value),
      ([a]) => padRef(a, paddings, value)));
  }
  const gathers: [number[], number[], number][] = [
    [[5, 3], [4], 0], [[3, 5], [2, 2], 1], [[2, 3, 4], [3], -1], [[3, 5], [], 1], [[4, 3], [0], 0],
  ];
  for (const [shape, ishape, axis] of gathers) {
    const dim = shape[axis < 0 ? axis + shape.length : axis];
    cases.push(move('gather', `${fmtShape(shape)} at ${fmtShape(ishape)} axis ${axis}`,
      [g.normal(shape), g.ints(ishape, 0, dim - 1)], ([a, i]) => S.gather(a, i, axis),
      ([a, i]) => gatherRef(a, i, axis)));
  }
  cases.push(move('expandDims', '[2,3,4] at 1', [x], ([a]) => S.expandDims(a, 1),
    ([a]) => reshapeRef(a, [2, 1, 3, 4])));
  cases.push(move('squeeze', '[1,3,1]', [g.normal([1, 3, 1])], ([a]) => S.squeeze(a),
    ([a]) => reshapeRef(a, [3])));
  return cases;
}

export function shapeCases(g: Inputs): ForwardCase[] {
  return [...reduceCases(g), ...layoutCases(g)];
}

/** int32 paths of reductions and data movement: sum, max/min, argmax/argmin, gather. */
export function int32ShapeCases(g: Inputs): ForwardCase[] {
  const x = g.ints([3, 4], -9, 9);
  const cases: ForwardCase[] = [];
  for (const op of ['sum', 'max', 'min'] as const) {
    for (const axis of [undefined, 0, -1]) {
      cases.push({ op, name: `[3,4] axis ${axis ?? 'all'}`, inputs: [x],
        run: ([a]) => REDUCE_FNS[op](a, axis), ref: ([a]) => reduceRef(a, axis, false, FOLDS[op]),
        outDtype: 'int32' });
    }
  }
  for (const [op, f] of [['argmax', R.argmax], ['argmin', R.argmin]] as const) {
    cases.push({ op, name: '[3,4] axis 1', inputs: [x], run: ([a]) => f(a, 1),
      ref: ([a]) => reduceRef(a, 1, false, FOLDS[op]), outDtype: 'int32' });
  }
  cases.push({ op: 'gather', name: '[3,4] at [5] axis 1', inputs: [x, g.ints([5], 0, 3)],
    run: ([a, i]) => S.gather(a, i, 1), ref: ([a, i]) => gatherRef(a, i, 1), outDtype: 'int32' });
  cases.push({ op: 'transpose', name: '[3,4]', inputs: [x], run: ([a]) => S.transpose(a),
    ref: ([a]) => transposeRef(a), outDtype: 'int32' });
  cases.push({ op: 'concat', name: '[3,4]+[3,4] axis 1', inputs: [x, x],
    run: (ts) => S.concat(ts, 1), ref: (rs) => concatRef(rs, 1), outDtype: 'int32' });
  return cases;
}
