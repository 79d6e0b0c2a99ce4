/** Elementwise kernels: unary, binary with broadcasting, where, cast. */
import type { BinaryOp, DType, Shape, TypedArray, UnaryOp } from '@dlrt/core';
import type { OutAlloc } from './alloc.js';
import { allocArray, sizeOf } from '@dlrt/core';
import { broadcastStrides, forEachRow } from './broadcast.js';
import { erf } from './erf.js';

type Fn1 = (x: number) => number;
type Fn2 = (a: number, b: number) => number;

const UNARY: Record<UnaryOp, Fn1> = {
  neg: (x) => -x,
  abs: Math.abs,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  square: (x) => x * x,
  relu: (x) => (x <= 0 ? 0 : x),   // NaN passes through, as in PyTorch
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  tanh: Math.tanh,
  gelu: (x) => 0.5 * x * (1 + erf(x * Math.SQRT1_2)),
  erf,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x),
  isnan: (x) => (Number.isNaN(x) ? 1 : 0),
};

const floorDiv: Fn2 = (a, b) => (b === 0 ? 0 : Math.floor(a / b));

const BINARY: Record<BinaryOp, Fn2> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a > b ? a : b),
  minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : a < b ? a : b),
  equal: (a, b) => (a === b ? 1 : 0),
  notEqual: (a, b) => (a !== b ? 1 : 0),
  less: (a, b) => (a < b ? 1 : 0),
  lessEqual: (a, b) => (a <= b ? 1 : 0),
  greater: (a, b) => (a > b ? 1 : 0),
  greaterEqual: (a, b) => (a >= b ? 1 : 0),
};

type Row = (out: TypedArray, o: number, a: TypedArray, ia: number, sa: number, b: TypedArray,
  ib: number, sb: number, len: number) => void;

function generalRow(f: Fn2): Row {
  return (out, o, a, ia, sa, b, ib, sb, len) => {
    for (let j = 0; j < len; j++) out[o + j] = f(a[ia + j * sa], b[ib + j * sb]);
  };
}

/** Hot ops get a row loop of their own, so no call per element on broadcast paths. */
const ROWS: Partial<Record<BinaryOp, Row>> = {
  add: (out, o, a, ia, sa, b, ib, sb, len) => {
    for (let j = 0; j < len; j++) out[o + j] = a[ia + j * sa] + b[ib + j * sb];
  },
  sub: (out, o, a, ia, sa, b, ib, sb, len) => {
    for (let j = 0; j < len; j++) out[o + j] = a[ia + j * sa] - b[ib + j * sb];
  },
  mul: (out, o, a, ia, sa, b, ib, sb, len) => {
    for (let j = 0; j < len; j++) out[o + j] = a[ia + j * sa] * b[ib + j * sb];
  },
  div: (out, o, a, ia, sa, b, ib, sb, len) => {
    for (let j = 0; j < len; j++) out[o + j] = a[ia + j * sa] / b[ib + j * sb];
  },
  greater: (out, o, a, ia, sa, b, ib, sb, len) => {
    for (let j = 0; j < len; j++) out[o + j] = a[ia + j * sa] > b[ib + j * sb] ? 1 : 0;
  },
};

export function unary(op: UnaryOp, x: TypedArray, dtype: DType,
  alloc: OutAlloc = allocArray): TypedArray {
  const out = alloc(op === 'isnan' ? 'int32' : dtype, x.length);
  if (op === 'relu') {
    for (let i = 0; i < x.length; i++) out[i] = x[i] <= 0 ? 0 : x[i];
    return out;
  }
  const f = UNARY[op];
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
  return out;
}

/** The four hot arithmetic ops on equal-length operands get loops of their own. */
function sameShape(op: BinaryOp, a: TypedArray, b: TypedArray, out: TypedArray): boolean {
  const n = out.length;
  if (op === 'add') for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
  else if (op === 'sub') for (let i = 0; i < n; i++) out[i] = a[i] - b[i];
  else if (op === 'mul') for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
  else return false;
  return true;
}

export function binary(op: BinaryOp, a: TypedArray, aShape: Shape, b: TypedArray, bShape: Shape,
  outShape: Shape, outDtype: DType, alloc: OutAlloc = allocArray): TypedArray {
  const out = alloc(outDtype, sizeOf(outShape));
  const intDiv = op === 'div' && outDtype === 'int32';
  if (a.length === out.length && b.length === out.length && !intDiv && sameShape(op, a, b, out)) {
    return out;
  }
  const strides = [broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape)];
  const row = (!intDiv && ROWS[op]) || generalRow(intDiv ? floorDiv : BINARY[op]);
  forEachRow(outShape, strides, (o, [ia, ib], len, [sa, sb]) => {
    row(out, o, a, ia, sa, b, ib, sb, len);
  });
  return out;
}

export function where(cond: TypedArray, cShape: Shape, a: TypedArray, aShape: Shape,
  b: TypedArray, bShape: Shape, outShape: Shape, dtype: DType,
  alloc: OutAlloc = allocArray): TypedArray {
  const out = alloc(dtype, sizeOf(outShape));
  const strides = [cShape, aShape, bShape].map((s) => broadcastStrides(s, outShape));
  forEachRow(outShape, strides, (o, [ic, ia, ib], len, [sc, sa, sb]) => {
    if (sb === 0) {
      // where(mask, x, constant): the common gradient form.
      const bv = b[ib];
      for (let j = 0; j < len; j++) out[o + j] = cond[ic + j * sc] !== 0 ? a[ia + j * sa] : bv;
      return;
    }
    for (let j = 0; j < len; j++) {
      out[o + j] = cond[ic + j * sc] !== 0 ? a[ia + j * sa] : b[ib + j * sb];
    }
  });
  return out;
}

export function cast(x: TypedArray, dtype: DType, alloc: OutAlloc = allocArray): TypedArray {
  const out = alloc(dtype, x.length);
  if (dtype === 'int32') for (let i = 0; i < x.length; i++) out[i] = Math.trunc(x[i]);
  else out.set(x);
  return out;
}
