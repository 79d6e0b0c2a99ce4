/**
 * The gpu.js kernel sources (over 500 lines: the 15 kernels of the backend sit together, since
 * each must be self-contained JS for gpu.js to transpile and they share one index scheme). gpu.js transpiles each function to WGSL (webgpu), GLSL (webgl,
 * headlessgl), WebAssembly (webasm) or JavaScript (cpu), so the bodies keep to the subset all
 * of them accept: numbers, flat array reads, `if`, `for` and `Math.*`; no helper functions.
 *
 * Every kernel writes a flat output of `n` values, one per thread, and every buffer is flat.
 * Shapes and attributes travel in a small metadata array `m` (float32; integers are exact below
 * 2^24, which `gpu-backend.ts` checks), so one compiled kernel serves every shape: the shapes
 * are arguments, not constants, and nothing recompiles when they change.
 *
 * Index decomposition divides in float32 and then corrects the quotient by one either way, so
 * that GPU division (WGSL and GLSL allow a few ulps of error) is exact for every index below
 * 2^24, the limit of exact integers in float32.
 */
import {
  attnDkvKernel, attnDqKernel, attnLseKernel, attnOutKernel, attnStatsKernel,
} from './attention-kernels.js';

/** The part of gpu.js's `this` that kernels use. */
export interface KernelThis {
  thread: { x: number };
}
type F = Float32Array;

/** Tensors pass as padded to this rank: shape entries of 1 and strides of 0 lead. */
export const MAX_RANK = 6;

/** Unary op codes (shared by the host side in gpu-backend.ts). */
export const UNARY_CODES = {
  neg: 0, abs: 1, exp: 2, log: 3, sqrt: 4, square: 5, relu: 6, sigmoid: 7, tanh: 8, gelu: 9,
  erf: 10, sign: 11, isnan: 12, copy: 13, trunc: 14,
} as const;

/** Binary op codes. */
export const BINARY_CODES = {
  add: 0, sub: 1, mul: 2, div: 3, pow: 4, maximum: 5, minimum: 6, equal: 7, notEqual: 8,
  less: 9, lessEqual: 10, greater: 11, greaterEqual: 12,
} as const;

export const REDUCE_CODES = { sum: 0, max: 1, min: 2, argmax: 3, argmin: 4 } as const;

/**
 * y = f(x). m = [op]. erf is Abramowitz–Stegun 7.1.26 refined by one Newton-free correction
 * (max error ≈ 1.5e-7, below float32's half-ulp at 1); tanh and sigmoid go through exp with
 * the sign folded so that neither overflows.
 */
export function unaryKernel(this: KernelThis, x: F, m: F): number {
  const v = x[this.thread.x];
  const op = m[0];
  if (op === 0) return -v;
  if (op === 1) return Math.abs(v);
  if (op === 2) return Math.exp(v);
  if (op === 3) return Math.log(v);
  if (op === 4) return Math.sqrt(v);
  if (op === 5) return v * v;
  if (op === 6) {
    if (v <= 0) return 0;
    return v;
  }
  if (op === 7) {
    if (v >= 0) return 1 / (1 + Math.exp(-v));
    const e = Math.exp(v);
    return e / (1 + e);
  }
  if (op === 8) {
    if (v !== v) return v;
    const e = Math.exp(-2 * Math.abs(v));
    const t = (1 - e) / (1 + e);
    if (v < 0) return -t;
    return t;
  }
  if (op === 9 || op === 10) {
    if (v !== v) return v;
    let z = v;
    if (op === 9) z = v * 0.7071067811865476;
    const a = Math.abs(z);
    const t = 1 / (1 + 0.3275911 * a);
    const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 +
      t * (-1.453152027 + t * 1.061405429))));
    let r = 1 - poly * Math.exp(-a * a);
    if (z < 0) r = -r;
    if (op === 9) return 0.5 * v * (1 + r);
    return r;
  }
  if (op === 11) {
    if (v > 0) return 1;
    if (v < 0) return -1;
    return v;
  }
  if (op === 12) {
    if (v !== v) return 1;
    return 0;
  }
  if (op === 14) {
    if (v >= 0) return Math.floor(v);
    return -Math.floor(-v);
  }
  return v;
}

/**
 * out = a ∘ b with broadcasting. m = [op, intDiv, outShape(6), aStrides(6), bStrides(6)].
 * pow handles the cases a GPU's exp2(y·log2 x) gets wrong: negative bases with integer
 * exponents, zero bases, and y = 0.
 */
export function binaryKernel(this: KernelThis, a: F, b: F, m: F): number {
  let rem = this.thread.x + 0.5 - 0.5;
  let ia = 0.5 - 0.5;
  let ib = 0.5 - 0.5;
  for (let j = 0; j < 6; j++) {
    const d = 5 - j;
    const size = m[2 + d];
    let q = Math.floor(rem / size);
    if (rem - q * size < 0) q -= 1;
    if (rem - q * size >= size) q += 1;
    const c = rem - q * size;
    ia += c * m[8 + d];
    ib += c * m[14 + d];
    rem = q;
  }
  const x = a[ia];
  const y = b[ib];
  const op = m[0];
  if (op === 0) return x + y;
  if (op === 1) return x - y;
  if (op === 2) return x * y;
  if (op === 3) {
    if (m[1] > 0) {
      if (y === 0) return 0;
      return Math.floor(x / y);
    }
    return x / y;
  }
  if (op === 4) {
    if (y === 0) return 1;
    if (x !== x || y !== y) return x + y;
    if (x === 0) {
      if (y > 0) return 0;
      return 1 / x;
    }
    const p = Math.pow(Math.abs(x), y);
    if (x > 0) return p;
    if (Math.floor(y) !== y) return (x - x) / (x - x);
    const half = y * 0.5;
    if (Math.floor(half) === half) return p;
    return -p;
  }
  if (op === 5 || op === 6) {
    if (x !== x || y !== y) return x + y;
    if (op === 5) return Math.max(x, y);
    return Math.min(x, y);
  }
  if (op === 7) {
    if (x === y) return 1;
    return 0;
  }
  if (op === 8) {
    if (x === y) return 0;
    return 1;
  }
  if (op === 9) {
    if (x < y) return 1;
    return 0;
  }
  if (op === 10) {
    if (x <= y) return 1;
    return 0;
  }
  if (op === 11) {
    if (x > y) return 1;
    return 0;
  }
  if (x >= y) return 1;
  return 0;
}

/**
 * out = c ≠ 0 ? a : b, broadcast.
 * m = [_, _, outShape(6), cStrides(6), aStrides(6), bStrides(6)].
 */
export function whereKernel(this: KernelThis, c: F, a: F, b: F, m: F): number {
  let rem = this.thread.x + 0.5 - 0.5;
  let ic = 0.5 - 0.5;
  let ia = 0.5 - 0.5;
  let ib = 0.5 - 0.5;
  for (let j = 0; j < 6; j++) {
    const d = 5 - j;
    const size = m[2 + d];
    let q = Math.floor(rem / size);
    if (rem - q * size < 0) q -= 1;
    if (rem - q * size >= size) q += 1;
    const k = rem - q * size;
    ic += k * m[8 + d];
    ia += k * m[14 + d];
    ib += k * m[20 + d];
    rem = q;
  }
  if (c[ic] !== 0) return a[ia];
  return b[ib];
}

/**
 * A strided view copied out: transpose, slice, and uploads.
 * m = [offset, _, outShape(6), strides(6)].
 */
export function stridedKernel(this: KernelThis, x: F, m: F): number {
  let rem = this.thread.x + 0.5 - 0.5;
  let ix = m[0];
  for (let j = 0; j < 6; j++) {
    const d = 5 - j;
    const size = m[2 + d];
    let q = Math.floor(rem / size);
    if (rem - q * size < 0) q -= 1;
    if (rem - q * size >= size) q += 1;
    ix += (rem - q * size) * m[8 + d];
    rem = q;
  }
  return x[ix];
}

/** Constant padding. m = [value, _, outShape(6), inShape(6), before(6), inStrides(6)]. */
export function padKernel(this: KernelThis, x: F, m: F): number {
  let rem = this.thread.x + 0.5 - 0.5;
  let ix = 0.5 - 0.5;
  let inside = 1;
  for (let j = 0; j < 6; j++) {
    const d = 5 - j;
    const size = m[2 + d];
    let q = Math.floor(rem / size);
    if (rem - q * size < 0) q -= 1;
    if (rem - q * size >= size) q += 1;
    const c = rem - q * size - m[14 + d];
    if (c < 0 || c >= m[8 + d]) inside = 0;
    ix += c * m[20 + d];
    rem = q;
  }
  if (inside === 0) return m[0];
  return x[ix];
}

/** Two inputs joined on one axis, viewed as [outer, A + B, inner]. m = [A, B, inner]. */
export function concatKernel(this: KernelThis, a: F, b: F, m: F): number {
  const i = this.thread.x + 0.5 - 0.5;
  const na = m[0];
  const nb = m[1];
  const inner = m[2];
  let q = Math.floor(i / inner);
  if (i - q * inner < 0) q -= 1;
  if (i - q * inner >= inner) q += 1;
  const r = i - q * inner;
  let o = Math.floor(q / (na + nb));
  if (q - o * (na + nb) < 0) o -= 1;
  if (q - o * (na + nb) >= (na + nb)) o += 1;
  const p = q - o * (na + nb);
  if (p < na) return a[(o * na + p) * inner + r];
  return b[(o * nb + p - na) * inner + r];
}

/** x viewed as [outer, axisLen, inner], taken at idx. m = [axisLen, nIdx, inner]. */
export function gatherKernel(this: KernelThis, x: F, idx: F, m: F): number {
  const i = this.thread.x + 0.5 - 0.5;
  const inner = m[2];
  let q = Math.floor(i / inner);
  if (i - q * inner < 0) q -= 1;
  if (i - q * inner >= inner) q += 1;
  const r = i - q * inner;
  let o = Math.floor(q / m[1]);
  if (q - o * m[1] < 0) o -= 1;
  if (q - o * m[1] >= m[1]) o += 1;
  const j = q - o * m[1];
  return x[(o * m[0] + idx[j]) * inner + r];
}

/** Adjoint of gather: out [outer, axisLen, inner] sums updates [outer, nIdx, inner]. */
export function scatterAddKernel(this: KernelThis, u: F, idx: F, m: F): number {
  const i = this.thread.x + 0.5 - 0.5;
  const inner = m[2];
  const n = m[1];
  let q = Math.floor(i / inner);
  if (i - q * inner < 0) q -= 1;
  if (i - q * inner >= inner) q += 1;
  const r = i - q * inner;
  let o = Math.floor(q / m[0]);
  if (q - o * m[0] < 0) o -= 1;
  if (q - o * m[0] >= m[0]) o += 1;
  const p = q - o * m[0];
  let s = 0.5 - 0.5;
  for (let j = 0; j < n; j++) {
    if (idx[j] === p) s += u[(o * n + j) * inner + r];
  }
  return s;
}

/**
 * Folds each contiguous run of K values. m = [op, K]. Sums are compensated (Kahan), so a
 * long reduction keeps float32's accuracy; max/min propagate NaN; argmax/argmin take the first.
 */
export function reduceKernel(this: KernelThis, x: F, m: F): number {
  const op = m[0];
  const n = m[1];
  const base = (this.thread.x + 0.5 - 0.5) * n;
  if (op === 0) {
    let s = 0.5 - 0.5;
    let comp = 0.5 - 0.5;
    for (let k = 0; k < n; k++) {
      const y = x[base + k] - comp;
      const t = s + y;
      comp = (t - s) - y;
      s = t;
    }
    return s;
  }
  let best = x[base];
  let at = 0.5 - 0.5;
  for (let k = 1; k < n; k++) {
    const v = x[base + k];
    if (best === best) {
      if (v !== v) {
        best = v;
        at = k;
      } else if ((op === 1 || op === 3) && v > best) {
        best = v;
        at = k;
      } else if ((op === 2 || op === 4) && v < best) {
        best = v;
        at = k;
      }
    }
  }
  if (op >= 3) return at;
  return best;
}

/**
 * Batched C = op(A)·op(B). m = [M, N, K, aRow, aCol, bRow, bCol, _, outBatch(4), aBatch(4),
 * bBatch(4)]: element (i, p) of op(A) is a[aBase + i·aRow + p·aCol]. One dot product per
 * output element, its k-loop unrolled by four (see docs/gpu.md on why there is no shared-memory
 * tiling in gpu.js).
 */
export function matmulKernel(this: KernelThis, a: F, b: F, m: F): number {
  const i = this.thread.x + 0.5 - 0.5;
  const rows = m[0];
  const cols = m[1];
  const depth = m[2];
  let q = Math.floor(i / cols);
  if (i - q * cols < 0) q -= 1;
  if (i - q * cols >= cols) q += 1;
  const col = i - q * cols;
  let batch = Math.floor(q / rows);
  if (q - batch * rows < 0) batch -= 1;
  if (q - batch * rows >= rows) batch += 1;
  const row = q - batch * rows;
  let aBase = row * m[3];
  let bBase = col * m[6];
  for (let j = 0; j < 4; j++) {
    const d = 3 - j;
    const size = m[8 + d];
    let bq = Math.floor(batch / size);
    if (batch - bq * size < 0) bq -= 1;
    if (batch - bq * size >= size) bq += 1;
    const c = batch - bq * size;
    aBase += c * m[12 + d];
    bBase += c * m[16 + d];
    batch = bq;
  }
  const ak = m[4];
  const bk = m[5];
  let s0 = 0.5 - 0.5;
  let s1 = 0.5 - 0.5;
  let s2 = 0.5 - 0.5;
  let s3 = 0.5 - 0.5;
  const full = Math.floor((depth + 0.5) / 4) * 4;
  for (let p = 0; p < full; p += 4) {
    s0 += a[aBase + p * ak] * b[bBase + p * bk];
    s1 += a[aBase + (p + 1) * ak] * b[bBase + (p + 1) * bk];
    s2 += a[aBase + (p + 2) * ak] * b[bBase + (p + 2) * bk];
    s3 += a[aBase + (p + 3) * ak] * b[bBase + (p + 3) * bk];
  }
  for (let t = full; t < depth; t += 1) s0 += a[aBase + t * ak] * b[bBase + t * bk];
  return (s0 + s1) + (s2 + s3);
}

/**
 * Direct conv2d, NCHW × OIHW. m = [N, C, H, W, O, kh, kw, OH, OW, sh, sw, ph, pw, dh, dw].
 */
export function conv2dKernel(this: KernelThis, x: F, w: F, m: F): number {
  const i = this.thread.x + 0.5 - 0.5;
  const C = m[1];
  const H = m[2];
  const W = m[3];
  const O = m[4];
  const kh = m[5];
  const kw = m[6];
  const OH = m[7];
  const OW = m[8];
  let q1 = Math.floor(i / OW);
  if (i - q1 * OW < 0) q1 -= 1;
  if (i - q1 * OW >= OW) q1 += 1;
  const ox = i - q1 * OW;
  let q2 = Math.floor(q1 / OH);
  if (q1 - q2 * OH < 0) q2 -= 1;
  if (q1 - q2 * OH >= OH) q2 += 1;
  const oy = q1 - q2 * OH;
  let n = Math.floor(q2 / O);
  if (q2 - n * O < 0) n -= 1;
  if (q2 - n * O >= O) n += 1;
  const o = q2 - n * O;
  let s = 0.5 - 0.5;
  for (let c = 0; c < C; c++) {
    for (let u = 0; u < kh; u++) {
      const y = oy * m[9] - m[11] + u * m[13];
      if (y >= 0 && y < H) {
        for (let v = 0; v < kw; v++) {
          const xx = ox * m[10] - m[12] + v * m[14];
          if (xx >= 0 && xx < W) {
            s += x[((n * C + c) * H + y) * W + xx] * w[((o * C + c) * kh + u) * kw + v];
          }
        }
      }
    }
  }
  return s;
}

/** dx of conv2d: each input pixel gathers the outputs its taps reached. m as conv2dKernel. */
export function conv2dDxKernel(this: KernelThis, dy: F, w: F, m: F): number {
  const i = this.thread.x + 0.5 - 0.5;
  const C = m[1];
  const H = m[2];
  const W = m[3];
  const O = m[4];
  const kh = m[5];
  const kw = m[6];
  const OH = m[7];
  const OW = m[8];
  let q1 = Math.floor(i / W);
  if (i - q1 * W < 0) q1 -= 1;
  if (i - q1 * W >= W) q1 += 1;
  const xx = i - q1 * W;
  let q2 = Math.floor(q1 / H);
  if (q1 - q2 * H < 0) q2 -= 1;
  if (q1 - q2 * H >= H) q2 += 1;
  const y = q1 - q2 * H;
  let n = Math.floor(q2 / C);
  if (q2 - n * C < 0) n -= 1;
  if (q2 - n * C >= C) n += 1;
  const c = q2 - n * C;
  let s = 0.5 - 0.5;
  for (let u = 0; u < kh; u++) {
    const ty = y + m[11] - u * m[13];
    let oy = Math.floor(ty / m[9]);
    if (ty - oy * m[9] < 0) oy -= 1;
    if (ty - oy * m[9] >= m[9]) oy += 1;
    if (ty >= 0 && oy * m[9] === ty && oy < OH) {
      for (let v = 0; v < kw; v++) {
        const tx = xx + m[12] - v * m[14];
        let ox = Math.floor(tx / m[10]);
        if (tx - ox * m[10] < 0) ox -= 1;
        if (tx - ox * m[10] >= m[10]) ox += 1;
        if (tx >= 0 && ox * m[10] === tx && ox < OW) {
          for (let o = 0; o < O; o++) {
            s += dy[((n * O + o) * OH + oy) * OW + ox] * w[((o * C + c) * kh + u) * kw + v];
          }
        }
      }
    }
  }
  return s;
}

/** dw of conv2d: each filter tap sums over the batch and the output plane. m as conv2dKernel. */
export function conv2dDwKernel(this: KernelThis, x: F, dy: F, m: F): number {
  const i = this.thread.x + 0.5 - 0.5;
  const N = m[0];
  const C = m[1];
  const H = m[2];
  const W = m[3];
  const O = m[4];
  const kh = m[5];
  const kw = m[6];
  const OH = m[7];
  const OW = m[8];
  let q1 = Math.floor(i / kw);
  if (i - q1 * kw < 0) q1 -= 1;
  if (i - q1 * kw >= kw) q1 += 1;
  const v = i - q1 * kw;
  let q2 = Math.floor(q1 / kh);
  if (q1 - q2 * kh < 0) q2 -= 1;
  if (q1 - q2 * kh >= kh) q2 += 1;
  const u = q1 - q2 * kh;
  let o = Math.floor(q2 / C);
  if (q2 - o * C < 0) o -= 1;
  if (q2 - o * C >= C) o += 1;
  const c = q2 - o * C;
  let s = 0.5 - 0.5;
  for (let n = 0; n < N; n++) {
    for (let oy = 0; oy < OH; oy++) {
      const y = oy * m[9] - m[11] + u * m[13];
      if (y >= 0 && y < H) {
        for (let ox = 0; ox < OW; ox++) {
          const xx = ox * m[10] - m[12] + v * m[14];
          if (xx >= 0 && xx < W) {
            s += x[((n * C + c) * H + y) * W + xx] * dy[((n * O + o) * OH + oy) * OW + ox];
          }
        }
      }
    }
  }
  return s;
}

/**
 * Max or average pooling over NCHW planes. m = [op (0 max, 1 avg), H, W, OH, OW, kh, kw, sh,
 * sw, ph, pw]. Average divides by the in-bounds count.
 */
export function poolKernel(this: KernelThis, x: F, m: F): number {
  const i = this.thread.x + 0.5 - 0.5;
  const H = m[1];
  const W = m[2];
  const OH = m[3];
  const OW = m[4];
  let q1 = Math.floor(i / OW);
  if (i - q1 * OW < 0) q1 -= 1;
  if (i - q1 * OW >= OW) q1 += 1;
  const ox = i - q1 * OW;
  let plane = Math.floor(q1 / OH);
  if (q1 - plane * OH < 0) plane -= 1;
  if (q1 - plane * OH >= OH) plane += 1;
  const oy = q1 - plane * OH;
  let best = -3.4e38;
  let seen = 0.5 - 0.5;
  let s = 0.5 - 0.5;
  let nan = 0;
  for (let u = 0; u < m[5]; u++) {
    const y = oy * m[7] - m[9] + u;
    if (y >= 0 && y < H) {
      for (let v = 0; v < m[6]; v++) {
        const xx = ox * m[8] - m[10] + v;
        if (xx >= 0 && xx < W) {
          const val = x[(plane * H + y) * W + xx];
          if (val !== val) nan = 1;
          if (seen === 0 || val > best) best = val;
          s += val;
          seen += 1;
        }
      }
    }
  }
  if (m[0] > 0) return s / seen;
  if (nan > 0) return (best - best) / (best - best);
  return best;
}

/**
 * Pooling gradients: each input pixel gathers from the windows that hold it. Max routes to the
 * window's first arg-max, or its first NaN (recomputed from x); average spreads dy over the
 * in-bounds count. m as poolKernel.
 */
export function poolDxKernel(this: KernelThis, dy: F, x: F, m: F): number {
  const i = this.thread.x + 0.5 - 0.5;
  const H = m[1];
  const W = m[2];
  const OH = m[3];
  const OW = m[4];
  const kh = m[5];
  const kw = m[6];
  let q1 = Math.floor(i / W);
  if (i - q1 * W < 0) q1 -= 1;
  if (i - q1 * W >= W) q1 += 1;
  const xx = i - q1 * W;
  let plane = Math.floor(q1 / H);
  if (q1 - plane * H < 0) plane -= 1;
  if (q1 - plane * H >= H) plane += 1;
  const y = q1 - plane * H;
  let s = 0.5 - 0.5;
  for (let u = 0; u < kh; u++) {
    const ty = y + m[9] - u;
    let oy = Math.floor(ty / m[7]);
    if (ty - oy * m[7] < 0) oy -= 1;
    if (ty - oy * m[7] >= m[7]) oy += 1;
    if (ty >= 0 && oy * m[7] === ty && oy < OH) {
      for (let v = 0; v < kw; v++) {
        const tx = xx + m[10] - v;
        let ox = Math.floor(tx / m[8]);
        if (tx - ox * m[8] < 0) ox -= 1;
        if (tx - ox * m[8] >= m[8]) ox += 1;
        if (tx >= 0 && ox * m[8] === tx && ox < OW) {
          const g = dy[(plane * OH + oy) * OW + ox];
          // The window at (oy, ox): its in-bounds count, and whether (y, xx) is its first max.
          let count = 0.5 - 0.5;
          let best = -3.4e38;
          let argY = -1;
          let argX = -1;
          let nan = 0;
          for (let a = 0; a < kh; a++) {
            const wy = oy * m[7] - m[9] + a;
            if (wy >= 0 && wy < H) {
              for (let c = 0; c < kw; c++) {
                const wx = ox * m[8] - m[10] + c;
                if (wx >= 0 && wx < W) {
                  const val = x[(plane * H + wy) * W + wx];
                  // The first NaN wins (the forward pass propagates it), else the first max.
                  if (nan === 0 && val !== val) {
                    nan = 1;
                    argY = wy;
                    argX = wx;
                  }
                  if (nan === 0 && (count === 0 || val > best)) {
                    best = val;
                    argY = wy;
                    argX = wx;
                  }
                  count += 1;
                }
              }
            }
          }
          if (m[0] > 0) s += g / count;
          else if (argY === y && argX === xx) s += g;
        }
      }
    }
  }
  return s;
}

/** One entry of the kernel table: the source and gpu.js's argument types. */
export interface KernelSpec {
  fn: (this: KernelThis, ...args: F[]) => number;
  args: string[];
}

const spec = (fn: KernelSpec['fn']): KernelSpec => {
  const src = fn.toString();
  const params = src.slice(src.indexOf('(') + 1, src.indexOf(')')).split(',');
  return { fn, args: params.map((p) => p.trim().split(':')[0].trim()).filter((p) => p !== 'this') };
};

/** Every kernel by name: the device side (executor.ts) compiles them on first use. */
export const KERNELS = {
  unary: spec(unaryKernel as KernelSpec['fn']),
  binary: spec(binaryKernel as KernelSpec['fn']),
  where: spec(whereKernel as KernelSpec['fn']),
  strided: spec(stridedKernel as KernelSpec['fn']),
  pad: spec(padKernel as KernelSpec['fn']),
  concat: spec(concatKernel as KernelSpec['fn']),
  gather: spec(gatherKernel as KernelSpec['fn']),
  scatterAdd: spec(scatterAddKernel as KernelSpec['fn']),
  reduce: spec(reduceKernel as KernelSpec['fn']),
  matmul: spec(matmulKernel as KernelSpec['fn']),
  conv2d: spec(conv2dKernel as KernelSpec['fn']),
  conv2dDx: spec(conv2dDxKernel as KernelSpec['fn']),
  conv2dDw: spec(conv2dDwKernel as KernelSpec['fn']),
  pool: spec(poolKernel as KernelSpec['fn']),
  poolDx: spec(poolDxKernel as KernelSpec['fn']),
  attnLse: spec(attnLseKernel as KernelSpec['fn']),
  attnOut: spec(attnOutKernel as KernelSpec['fn']),
  attnStats: spec(attnStatsKernel as KernelSpec['fn']),
  attnDq: spec(attnDqKernel as KernelSpec['fn']),
  attnDkv: spec(attnDkvKernel as KernelSpec['fn']),
} satisfies Record<string, KernelSpec>;

export type KernelName = keyof typeof KERNELS;
