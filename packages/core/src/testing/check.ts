/**
 * The conformance suite's machinery: seeded inputs, tolerances, and the two kinds of check
 * (forward values against a float64 reference; gradients against central finite differences).
 */
import { valueAndGrads } from '../autodiff.js';
import type { DType } from '../dtype.js';
import { mul } from '../ops/arithmetic.js';
import { tensor } from '../ops/creation.js';
import { sum } from '../ops/reduce.js';
import type { Rng } from '../rng.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { makeRef, type Ref, sizeOfShape } from './reference.js';

/**
 * The subset of tap's `Test` the suite uses, so that core needs no test-framework dependency.
 * Any object with these methods works (tap's `t` does).
 */
export interface TestLike {
  /** Runs `fn` as a named subtest. */
  test(name: string, fn: (t: TestLike) => unknown): PromiseLike<unknown>;
  /** Records a passing assertion when `value` is truthy, a failing one otherwise. */
  ok(value: unknown, message: string): unknown;
  /** Prints a diagnostic line. */
  comment(...args: unknown[]): unknown;
}

/** A test input: reference values, in the case's dtype unless `dtype` says otherwise. */
export interface Input extends Ref {
  /** The tensor's dtype, when it is not the case's (e.g. int32 indices in a float case). */
  dtype?: DType;
}

/**
 * Random inputs from one seeded generator, so every run sees the same values. Each method
 * returns an `Input` of `shape` (float64 reference values).
 * @example const g = new Inputs(new Rng(1)); g.normal([4, 3]); g.ints([5], 0, 9);
 */
export class Inputs {
  /** @param rng The generator every draw advances. */
  constructor(readonly rng: Rng) {}

  private fill(shape: readonly number[], f: (i: number) => number, dtype?: DType): Input {
    const r: Input = makeRef(shape);
    for (let i = 0; i < r.data.length; i++) r.data[i] = f(i);
    if (dtype) r.dtype = dtype;
    return r;
  }

  /** Normal draws with standard deviation `std`. */
  normal(shape: readonly number[], std = 1): Input {
    return this.fill(shape, () => std * this.rng.normal());
  }

  /** Uniform draws in [lo, hi). */
  uniform(shape: readonly number[], lo: number, hi: number): Input {
    return this.fill(shape, () => lo + (hi - lo) * this.rng.uniform());
  }

  /** Values of either sign with |x| in [min, min + 2): away from kinks at 0. */
  awayFromZero(shape: readonly number[], min = 0.2): Input {
    return this.fill(shape, () => {
      const sign = this.rng.uniform() < 0.5 ? -1 : 1;
      return sign * (min + 2 * this.rng.uniform());
    });
  }

  /** Pairwise distinct values at least `gap` apart (ties would make max/argmax ambiguous). */
  distinct(shape: readonly number[], gap = 0.1): Input {
    const n = sizeOfShape(shape);
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    return this.fill(shape, (i) => (order[i] - n / 2) * gap + 0.3 * gap * this.rng.uniform());
  }

  /** Values from a small grid (−1, −½, 0, ½, 1), so that comparisons meet ties. */
  grid(shape: readonly number[]): Input {
    return this.fill(shape, () => (this.rng.int(5) - 2) / 2);
  }

  /** Integers in [lo, hi], as int32 unless `dtype` is given. */
  ints(shape: readonly number[], lo: number, hi: number, dtype: DType = 'int32'): Input {
    return this.fill(shape, () => lo + this.rng.int(hi - lo + 1), dtype);
  }
}

/** Fixed values (e.g. hand-picked edge cases), in the case's dtype unless given. */
export function given(shape: readonly number[], values: readonly number[], dtype?: DType): Input {
  const r: Input = makeRef(shape, values);
  if (dtype) r.dtype = dtype;
  return r;
}

/** A tolerance: |got − want| ≤ atol·scale + rtol·|want| passes (see `tolFor`). */
export interface Tol {
  /** Relative part, times |want|. */
  rtol: number;
  /** Absolute part, times the case's scale. */
  atol: number;
}

/**
 * The tolerance of a float dtype: |got − want| ≤ atol·scale + rtol·|want|, where a case's
 * `scale` grows with the number of terms summed into one output (√k for a length-k sum).
 * float32: 1e-5 and 1e-5; float64: 1e-12 and 1e-12; int32: exact.
 * @example compare(y, want, 'float32', tolFor('float32'), Math.sqrt(k))
 */
export function tolFor(dtype: DType): Tol {
  if (dtype === 'float32') return { rtol: 1e-5, atol: 1e-5 };
  if (dtype === 'float64') return { rtol: 1e-12, atol: 1e-12 };
  return { rtol: 0, atol: 0 };
}

export const EXACT: Tol = { rtol: 0, atol: 0 };

/** `x` rounded to what a tensor of `dtype` stores. */
export function roundTo(x: Ref, dtype: DType): Ref {
  if (dtype === 'float64') return x;
  const f = dtype === 'float32' ? Math.fround : Math.trunc;
  return makeRef(x.shape, x.data.map((v) => f(v)));
}

export function toTensor(x: Ref, dtype: DType): Tensor {
  const values = dtype === 'float64' ? x.data
    : dtype === 'float32' ? Float32Array.from(x.data) : Int32Array.from(x.data);
  return tensor(values, x.shape, dtype);
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * Compares a tensor to reference values: shape and dtype must match, then every value within
 * `tol` (NaN matches NaN). `detail` names the max error and the worst entry.
 * @example const { ok, detail } = compare(y, makeRef([2], [1, 2]), 'float64', tolFor('float64'));
 */
export function compare(y: Tensor, want: Ref, dtype: DType, tol: Tol, scale = 1): {
  /** Whether shape and dtype match and every value is within `tol`. */
  ok: boolean;
  /** A one-line report: the shape or dtype mismatch, or the max error and the worst entry. */
  detail: string;
} {
  const shapeOk = fmtShape(y.shape) === fmtShape(want.shape);
  if (!shapeOk || y.dtype !== dtype) {
    return { ok: false, detail: `got ${fmtShape(y.shape)} ${y.dtype}, ` +
      `want ${fmtShape(want.shape)} ${dtype}` };
  }
  const got = y.dataSync();
  let maxErr = 0;
  let worst = 0;
  let at = -1;
  for (let i = 0; i < got.length; i++) {
    const [g, w] = [got[i], want.data[i]];
    if (Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w))) continue;
    const err = Math.abs(g - w);
    const bound = tol.atol * scale + tol.rtol * Math.abs(w);
    const ratio = Number.isNaN(err) ? Infinity : err === 0 ? 0 : err / bound;
    if (ratio > worst) [worst, at] = [ratio, i];
    if (Number.isNaN(err) || err > maxErr) maxErr = err;
  }
  const where = at < 0 ? '' : ` at ${at} (got ${got[at]}, want ${want.data[at]})`;
  const bound = `tol ${(tol.atol * scale).toExponential(1)} + ${tol.rtol.toExponential(1)}·|want|`;
  return { ok: worst <= 1, detail: `max error ${maxErr.toExponential(2)}, ${bound}${where}` };
}

/** One forward check: `run` on tensors of `inputs` against `ref` on the same values. */
export interface ForwardCase {
  /** The op under test (first word of the assertion's label). */
  op: string;
  /** What the case covers (in the assertion's label). */
  name: string;
  /** The input values; each is rounded to its dtype before both run and ref see it. */
  inputs: Input[];
  /** The op on tensors made from `inputs`. */
  run: (xs: Tensor[]) => Tensor;
  /** The expected values, from the same (rounded) inputs in float64. */
  ref: (xs: Ref[]) => Ref;
  /** The result's dtype when it differs from the case's (int32 for comparisons, argmax). */
  outDtype?: DType;
  /** Tolerance multiplier: √(terms per output) for sums, matmul and conv. */
  scale?: number;
  /** Overrides the dtype's tolerance (EXACT for data movement and casts). */
  tol?: Tol;
}

/**
 * Runs one forward case in `dtype` inside a tidy and records one assertion on `t`: the
 * comparison's result, or a failure naming the error when the case throws.
 * @example
 * checkForward(t, 'float32', { op: 'exp', name: 'small', inputs: [g.normal([3, 4])],
 *   run: ([x]) => exp(x), ref: ([x]) => unaryRef('exp', x) });
 */
export function checkForward(t: TestLike, dtype: DType, c: ForwardCase): void {
  const label = `${c.op} ${c.name} ${dtype}`;
  try {
    tidy(() => {
      const refs = c.inputs.map((x) => roundTo(x, x.dtype ?? dtype));
      const xs = refs.map((r, i) => toTensor(r, c.inputs[i].dtype ?? dtype));
      const outDtype = c.outDtype ?? dtype;
      const r = compare(c.run(xs), c.ref(refs), outDtype, c.tol ?? tolFor(outDtype), c.scale);
      t.ok(r.ok, `${label}: ${r.detail}`);
    });
  } catch (e) {
    t.ok(false, `${label}: threw ${(e as Error).message}`);
  }
}

/** One gradient check, in float64: `run` is differentiated w.r.t. each input in `wrt`. */
export interface GradCase {
  /** The op under test (in the assertion's label). */
  op: string;
  /** What the case covers. */
  name: string;
  /** The input values; float64 unless an input's `dtype` says otherwise. */
  inputs: Input[];
  /** The op on tensors made from `inputs`. */
  run: (xs: Tensor[]) => Tensor;
  /** Inputs to differentiate; default: every float input. */
  wrt?: number[];
  /** Finite-difference step (default 1e-6) and relative tolerance (default 1e-6). */
  h?: number;
  /** Relative tolerance of the check (default 1e-6). */
  tol?: number;
}

/**
 * Central differences of L(xs) = Σ op(xs) ⊙ R, R a fixed random tensor (so dL/dy is not all
 * ones), against the tape's gradients: max |fd − grad| ≤ tol · max(1, max |grad|). One
 * assertion per input in `wrt`; `g` draws R.
 * @example checkGradient(t, g, { op: 'tanh', name: 'x', inputs: [g.normal([3, 4])],
 *   run: ([x]) => tanh(x) });
 */
export function checkGradient(t: TestLike, g: Inputs, c: GradCase): void {
  const label = `grad ${c.op} ${c.name}`;
  const dtypes = c.inputs.map((x) => x.dtype ?? 'float64');
  const wrt = c.wrt ?? dtypes.flatMap((d, i) => (d === 'float64' ? [i] : []));
  const h = c.h ?? 1e-6;
  try {
    tidy(() => {
      const xs = c.inputs.map((x, i) => toTensor(x, dtypes[i]));
      const r = toTensor(g.normal(c.run(xs).shape), 'float64');
      const loss = (ts: Tensor[]): Tensor => sum(mul(c.run(ts), r));
      const withWrt = (ws: Tensor[]): Tensor[] => xs.map((x, i) => {
        const k = wrt.indexOf(i);
        return k < 0 ? x : ws[k];
      });
      const { grads } = valueAndGrads((...ws) => loss(withWrt(ws)))(wrt.map((i) => xs[i]));
      wrt.forEach((i, k) => {
        const an = grads[k].dataSync();
        const x = c.inputs[i];
        let maxErr = 0;
        let maxGrad = 0;
        for (let j = 0; j < x.data.length; j++) {
          const at = (delta: number): number => tidy(() => {
            const v = Float64Array.from(x.data);
            v[j] += delta;
            const ts = [...xs];
            ts[i] = tensor(v, x.shape, 'float64');
            return loss(ts).item();
          });
          const fd = (at(h) - at(-h)) / (2 * h);
          maxErr = Math.max(maxErr, Math.abs(fd - an[j]));
          maxGrad = Math.max(maxGrad, Math.abs(an[j]));
        }
        const rel = maxErr / Math.max(1, maxGrad);
        const okShape = fmtShape(grads[k].shape) === fmtShape(x.shape);
        t.ok(okShape && rel <= (c.tol ?? 1e-6) && an.length === x.data.length,
          `${label} d/dx${i} ${fmtShape(x.shape)}: max error ${maxErr.toExponential(2)} ` +
          `(relative ${rel.toExponential(2)}, max |grad| ${maxGrad.toExponential(2)}` +
          `${okShape ? '' : `, grad shape ${fmtShape(grads[k].shape)}`})`);
      });
    });
  } catch (e) {
    t.ok(false, `${label}: threw ${(e as Error).message}`);
  }
}

/**
 * Asserts that `fn` throws an error whose message matches `pattern` (tensors it makes are
 * freed); one assertion on `t` either way.
 * @example checkThrows(t, 'reshape size', () => reshape(zeros([6]), [4]), /cannot reshape/);
 */
export function checkThrows(t: TestLike, label: string, fn: () => unknown, pattern: RegExp): void {
  try {
    tidy(() => {
      fn();
    });
    t.ok(false, `${label}: did not throw (want ${pattern})`);
  } catch (e) {
    const msg = (e as Error).message;
    const ok = pattern.test(msg);
    t.ok(ok, `${label}: throws '${msg}'${ok ? '' : ` (want ${pattern})`}`);
  }
}
