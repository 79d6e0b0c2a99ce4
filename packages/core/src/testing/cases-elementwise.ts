/**
 * Forward cases of the elementwise ops: unary, binary with NumPy broadcasting (scalar with
 * matrix, [2,1,4]+[3,1], [4,1]+[1,5], rank differences, empty and size-1 dims), where, cast.
 */
import type { DType, FloatDType } from '../dtype.js';
import * as A from '../ops/arithmetic.js';
import * as U from '../ops/unary.js';
import type { Tensor } from '../tensor.js';
import { EXACT, type ForwardCase, fmtShape, given, type Input, type Inputs } from './check.js';
import {
  binaryRef, broadcastAt, broadcastShape, build, castRef, floorDivRef, makeRef, unaryRef, whereRef,
} from './reference.js';

export const UNARY_FNS: Record<string, (x: Tensor) => Tensor> = {
  neg: U.neg, abs: U.abs, exp: U.exp, log: U.log, sqrt: U.sqrt, square: U.square, relu: U.relu,
  sigmoid: U.sigmoid, tanh: U.tanh, gelu: U.gelu, erf: U.erf, sign: U.sign, isnan: U.isNan,
};

type BinaryFn = (a: Tensor | number, b: Tensor | number) => Tensor;

export const ARITHMETIC_FNS: Record<string, BinaryFn> = {
  add: A.add, sub: A.sub, mul: A.mul, div: A.div, pow: A.pow, maximum: A.maximum,
  minimum: A.minimum,
};

export const COMPARE_FNS: Record<string, BinaryFn> = {
  equal: A.equal, notEqual: A.notEqual, less: A.less, lessEqual: A.lessEqual,
  greater: A.greater, greaterEqual: A.greaterEqual,
};

/** Shape pairs that exercise broadcasting, including empty and size-1 dims. */
export const BROADCAST_PAIRS: [number[], number[]][] = [
  [[3, 4], [3, 4]], [[], [3, 4]], [[3, 4], []], [[2, 1, 4], [3, 1]], [[4, 1], [1, 5]],
  [[2, 3, 4], [4]], [[3], [2, 1, 3]], [[1, 1], [1]], [[2, 0, 3], [3]], [[0], [1]], [[], []],
];

/** Inputs for a unary op: in its domain, with exact zeros where the op has a kink there. */
function unaryInputs(g: Inputs, op: string, shape: number[]): Input {
  if (op === 'log' || op === 'sqrt') return g.uniform(shape, 0.05, 6);
  const x = g.normal(shape, 2);
  if (x.data.length > 2 && ['abs', 'relu', 'sign', 'neg'].includes(op)) x.data[1] = 0;
  if (x.data.length > 2 && op === 'isnan') x.data[2] = NaN;
  return x;
}

function unaryCases(g: Inputs): ForwardCase[] {
  const cases: ForwardCase[] = [];
  for (const [op, f] of Object.entries(UNARY_FNS)) {
    const outDtype: DType | undefined = op === 'isnan' ? 'int32' : undefined;
    for (const shape of [[3, 4], [], [2, 0, 3], [1, 1, 5]]) {
      cases.push({ op, name: fmtShape(shape), inputs: [unaryInputs(g, op, shape)],
        run: ([x]) => f(x), ref: ([x]) => unaryRef(op, x), outDtype });
    }
  }
  // Far tails: overflow-safe sigmoid, saturating tanh/erf, tiny gelu on the negative side.
  const tails = given([8], [-30, -12, -5.5, -2.5, 2.5, 5.5, 12, 30]);
  for (const op of ['sigmoid', 'tanh', 'erf', 'gelu', 'exp']) {
    cases.push({ op, name: 'tails ±30', inputs: [tails], run: ([x]) => UNARY_FNS[op](x),
      ref: ([x]) => unaryRef(op, x) });
  }
  return cases;
}

/** Operands for a binary op: b away from 0 for div, a positive for pow, a grid for compares. */
function binaryInputs(g: Inputs, op: string, sa: number[], sb: number[]): [Input, Input] {
  if (op === 'div') return [g.normal(sa), g.awayFromZero(sb, 0.5)];
  if (op === 'pow') return [g.uniform(sa, 0.1, 3), g.uniform(sb, -2, 2)];
  if (op in COMPARE_FNS || op === 'maximum' || op === 'minimum') return [g.grid(sa), g.grid(sb)];
  return [g.normal(sa), g.normal(sb)];
}

function binaryCases(g: Inputs): ForwardCase[] {
  const cases: ForwardCase[] = [];
  for (const [op, f] of Object.entries({ ...ARITHMETIC_FNS, ...COMPARE_FNS })) {
    const outDtype: DType | undefined = op in COMPARE_FNS ? 'int32' : undefined;
    for (const [sa, sb] of BROADCAST_PAIRS) {
      cases.push({ op, name: `${fmtShape(sa)} with ${fmtShape(sb)}`,
        inputs: binaryInputs(g, op, sa, sb), run: ([a, b]) => f(a, b),
        ref: ([a, b]) => binaryRef(op, a, b), outDtype });
    }
  }
  // A plain number as either operand becomes a scalar of the tensor's dtype.
  const x = g.uniform([2, 3], 0.5, 2);
  const num = (v: number) => makeRef([], [v]);
  cases.push(
    { op: 'sub', name: '2 − x', inputs: [x], run: ([a]) => A.sub(2, a),
      ref: ([a]) => binaryRef('sub', num(2), a) },
    { op: 'pow', name: 'x ** 0.5', inputs: [x], run: ([a]) => A.pow(a, 0.5),
      ref: ([a]) => binaryRef('pow', a, num(0.5)) },
    { op: 'greater', name: 'x > 1', inputs: [x], run: ([a]) => A.greater(a, 1),
      ref: ([a]) => binaryRef('greater', a, num(1)), outDtype: 'int32' },
  );
  return cases;
}

function whereCases(g: Inputs): ForwardCase[] {
  const shapes: [number[], number[], number[]][] = [
    [[3, 4], [3, 4], [3, 4]], [[3, 1], [1, 4], []], [[2, 3, 4], [3, 4], [4]],
    [[4], [2, 1, 4], [2, 3, 1]], [[0, 3], [3], [1, 3]],
  ];
  const cases: ForwardCase[] = shapes.map(([sc, sa, sb]) => ({
    op: 'where', name: `${fmtShape(sc)} ? ${fmtShape(sa)} : ${fmtShape(sb)}`,
    inputs: [g.ints(sc, 0, 1), g.normal(sa), g.normal(sb)],
    run: ([c, a, b]) => A.where(c, a, b), ref: ([c, a, b]) => whereRef(c, a, b), tol: EXACT,
  }));
  // A float condition selects where it is non-zero; numbers broadcast as scalars.
  cases.push({ op: 'where', name: 'float cond, number b',
    inputs: [g.grid([3, 4]), g.normal([3, 4])],
    run: ([c, a]) => A.where(c, a, 0), ref: ([c, a]) => whereRef(c, a, makeRef([], [0])),
    tol: EXACT });
  cases.push({ op: 'broadcastTo', name: '[3,1] to [2,3,4]', inputs: [g.normal([3, 1])],
    run: ([x]) => A.broadcastTo(x, [2, 3, 4]),
    ref: ([x]) => build([2, 3, 4], (i) => broadcastAt(x, i)), tol: EXACT });
  return cases;
}

function castCases(g: Inputs, dtype: FloatDType, float64: boolean): ForwardCase[] {
  const other: FloatDType = dtype === 'float32' ? 'float64' : 'float32';
  const x = g.normal([3, 5], 3);
  x.data[0] = -2.75;                            // truncation toward zero: −2, not −3
  // A float32-only backend has no float64 to cast to (the refusal is checked in contract.ts).
  const toOther: ForwardCase[] = float64 ? [{ op: 'cast', name: `to ${other}`, inputs: [x],
    run: ([a]) => U.cast(a, other), ref: ([a]) => castRef(a, other), outDtype: other,
    tol: EXACT }] : [];
  return [
    ...toOther,
    { op: 'cast', name: 'to int32', inputs: [x], run: ([a]) => U.cast(a, 'int32'),
      ref: ([a]) => castRef(a, 'int32'), outDtype: 'int32' },
    { op: 'cast', name: 'from int32', inputs: [g.ints([2, 3], -50, 50)],
      run: ([a]) => U.cast(a, dtype), ref: ([a]) => a, tol: EXACT },
    { op: 'cast', name: 'to own dtype', inputs: [x], run: ([a]) => U.cast(a, dtype),
      ref: ([a]) => a, tol: EXACT },
  ];
}

/** Every elementwise forward case for float `dtype`. */
export function elementwiseCases(g: Inputs, dtype: FloatDType, float64 = true): ForwardCase[] {
  return [...unaryCases(g), ...binaryCases(g), ...whereCases(g), ...castCases(g, dtype, float64)];
}

/** int32 paths: arithmetic (div rounds down), comparisons, neg/abs, with broadcasting. */
export function int32ElementwiseCases(g: Inputs): ForwardCase[] {
  const cases: ForwardCase[] = [];
  const ops = ['add', 'sub', 'mul', 'maximum', 'minimum', ...Object.keys(COMPARE_FNS)];
  for (const op of ops) {
    const f = ARITHMETIC_FNS[op] ?? COMPARE_FNS[op];
    for (const [sa, sb] of [[[3, 4], [3, 4]], [[2, 1, 4], [3, 1]], [[], [2, 3]]]) {
      cases.push({ op, name: `${fmtShape(sa)} with ${fmtShape(sb)}`,
        inputs: [g.ints(sa, -3, 3), g.ints(sb, -3, 3)], run: ([a, b]) => f(a, b),
        ref: ([a, b]) => binaryRef(op, a, b), outDtype: 'int32' });
    }
  }
  const num = g.ints([3, 4], -20, 20);
  const den = given([4], [3, -3, 7, -2], 'int32');
  cases.push({ op: 'div', name: 'rounds down', inputs: [num, den],
    run: ([a, b]) => A.div(a, b), ref: ([a, b]) => floorDivRef(a, b), outDtype: 'int32' });
  for (const op of ['neg', 'abs', 'square', 'relu', 'sign']) {
    cases.push({ op, name: '[3,4]', inputs: [g.ints([3, 4], -9, 9)],
      run: ([x]) => UNARY_FNS[op](x), ref: ([x]) => unaryRef(op, x), outDtype: 'int32' });
  }
  return cases;
}
