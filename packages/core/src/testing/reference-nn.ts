/**
 * Float64 references for the neural-network ops: batched matmul, softmax, log-softmax,
 * cross-entropy, conv2d and 2-D pooling (NCHW), written from their definitions.
 */
import {
  broadcastAt, broadcastShape, build, FOLDS, makeRef, ravel, type Ref, reduceRef, sizeOfShape,
  unravel,
} from './reference.js';

/** Transpose flags of the matmul references, as in core's `MatmulOptions`. */
export interface MatmulFlags {
  /** Read a's last two dims transposed. */
  transposeA?: boolean;
  /** Read b's last two dims transposed. */
  transposeB?: boolean;
}

/** The [rows, cols] matrix at batch index `batch` of x, as an entry getter. */
function matrixAt(x: Ref, batch: readonly number[], transposed: boolean) {
  const r = x.shape.length;
  const [rows, cols] = [x.shape[r - 2], x.shape[r - 1]];
  const batchShape = x.shape.slice(0, -2);
  const lead = batch.length - batchShape.length;
  const own = batchShape.map((d, k) => (d === 1 ? 0 : batch[lead + k]));
  let base = 0;
  for (let k = 0; k < own.length; k++) base = base * batchShape[k] + own[k];
  base *= rows * cols;
  const get = (i: number, j: number): number =>
    transposed ? x.data[base + j * cols + i] : x.data[base + i * cols + j];
  return { get, rows: transposed ? cols : rows, cols: transposed ? rows : cols };
}

/**
 * C[b, i, j] = Σₖ op(A)[b, i, k] · op(B)[b, k, j]; batch dims broadcast.
 * @example matmulRef(a, b, { transposeB: true })   // a [2, 5, 3], b [4, 3] → [2, 5, 4]
 */
export function matmulRef(a: Ref, b: Ref, o: MatmulFlags = {}): Ref {
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = o.transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = o.transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const n = o.transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const out = makeRef([...batch, m, n]);
  for (let t = 0; t < sizeOfShape(batch); t++) {
    const A = matrixAt(a, unravel(t, batch), !!o.transposeA);
    const B = matrixAt(b, unravel(t, batch), !!o.transposeB);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += A.get(i, p) * B.get(p, j);
        out.data[(t * m + i) * n + j] = s;
      }
    }
  }
  return out;
}

/**
 * log softmax along `axis` (negative counts from the end): x − logΣexp(x).
 * @example logSoftmaxRef(logits, 1)
 */
export function logSoftmaxRef(x: Ref, axis: number): Ref {
  const lse = reduceRef(x, axis, true, FOLDS.logSumExp);
  return build(x.shape, (idx) => x.data[ravel(idx, x.shape)] - broadcastAt(lse, idx));
}

/**
 * softmax along `axis`: exp of `logSoftmaxRef`.
 * @example softmaxRef(scores, -1)
 */
export function softmaxRef(x: Ref, axis: number): Ref {
  const ls = logSoftmaxRef(x, axis);
  return makeRef(ls.shape, ls.data.map(Math.exp));
}

/**
 * Cross-entropy of logits [N, C]: row loss Σ_c p_c · (logΣexp(x) − x_c), with p the one-hot
 * of int labels [N] (`soft` false) or the given distribution [N, C]. Then mean, sum or none.
 * @example crossEntropyRef(logits, labels, false, 'mean')   // shape []
 */
export function crossEntropyRef(logits: Ref, labels: Ref, soft: boolean,
  reduction: 'mean' | 'sum' | 'none'): Ref {
  const [n, c] = logits.shape;
  const ls = logSoftmaxRef(logits, 1);
  const rows = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < c; j++) {
      const p = soft ? labels.data[i * c + j] : Number(labels.data[i] === j);
      rows[i] -= p * ls.data[i * c + j];
    }
  }
  if (reduction === 'none') return makeRef([n], rows);
  const total = rows.reduce((s, v) => s + v, 0);
  return makeRef([], [reduction === 'sum' ? total : total / Math.max(n, 1)]);
}

/** Convolution attributes of the references, [height, width] each (as core's `Conv2dAttrs`). */
export interface Conv2dRefAttrs {
  /** Step of the window. */
  stride: [number, number];
  /** Zeros on each side. */
  padding: [number, number];
  /** Spacing between filter taps. */
  dilation: [number, number];
}

/**
 * Cross-correlation: y[n, o, y, x] = Σ_{c,i,j} x[n, c, y·sh − ph + i·dh, x·sw − pw + j·dw] ·
 * w[o, c, i, j], with zero padding outside the image. x [N, C, H, W], w [O, C, kh, kw].
 * @example conv2dRef(x, w, { stride: [1, 1], padding: [2, 2], dilation: [1, 1] })
 */
export function conv2dRef(x: Ref, w: Ref, a: Conv2dRefAttrs): Ref {
  const [n, c, h, wd] = x.shape;
  const [o, , kh, kw] = w.shape;
  const ho = Math.floor((h + 2 * a.padding[0] - a.dilation[0] * (kh - 1) - 1) / a.stride[0]) + 1;
  const wo = Math.floor((wd + 2 * a.padding[1] - a.dilation[1] * (kw - 1) - 1) / a.stride[1]) + 1;
  const y = makeRef([n, o, ho, wo]);
  forEachTap(x.shape, w.shape, [ho, wo], a, (xi, wi, yi) => {
    y.data[yi] += x.data[xi] * w.data[wi];
  });
  return y;
}

/**
 * Calls `tap(x index, w index, y index)` for every in-bounds product of a convolution:
 * y[b, f, yy, xx] gets x[b, ch, yy·sh − ph + i·dh, xx·sw − pw + j·dw] · w[f, ch, i, j].
 */
function forEachTap(xShape: number[], wShape: number[], [ho, wo]: number[], a: Conv2dRefAttrs,
  tap: (xi: number, wi: number, yi: number) => void): void {
  const [n, c, h, wd] = xShape;
  const [o, , kh, kw] = wShape;
  for (let b = 0; b < n; b++) {
    for (let f = 0; f < o; f++) {
      for (let yy = 0; yy < ho; yy++) {
        for (let xx = 0; xx < wo; xx++) {
          const yi = ((b * o + f) * ho + yy) * wo + xx;
          for (let ch = 0; ch < c; ch++) {
            for (let i = 0; i < kh; i++) {
              const iy = yy * a.stride[0] - a.padding[0] + i * a.dilation[0];
              if (iy < 0 || iy >= h) continue;
              for (let j = 0; j < kw; j++) {
                const ix = xx * a.stride[1] - a.padding[1] + j * a.dilation[1];
                if (ix < 0 || ix >= wd) continue;
                tap(((b * c + ch) * h + iy) * wd + ix, ((f * c + ch) * kh + i) * kw + j, yi);
              }
            }
          }
        }
      }
    }
  }
}

/** Pooling attributes of the references, [height, width] each (as core's `Pool2dAttrs`). */
export interface PoolRefAttrs {
  /** Window size. */
  kernel: [number, number];
  /** Step of the window. */
  stride: [number, number];
  /** Implicit padding on each side (never part of a window's values). */
  padding: [number, number];
}

/** The in-bounds values of each pooling window, folded by `fold`. */
function pool(x: Ref, a: PoolRefAttrs, fold: (v: number[]) => number): Ref {
  const [n, c, h, w] = x.shape;
  const ho = Math.floor((h + 2 * a.padding[0] - a.kernel[0]) / a.stride[0]) + 1;
  const wo = Math.floor((w + 2 * a.padding[1] - a.kernel[1]) / a.stride[1]) + 1;
  return build([n, c, ho, wo], ([b, ch, yy, xx]) => {
    const values: number[] = [];
    for (let i = 0; i < a.kernel[0]; i++) {
      for (let j = 0; j < a.kernel[1]; j++) {
        const iy = yy * a.stride[0] - a.padding[0] + i;
        const ix = xx * a.stride[1] - a.padding[1] + j;
        const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
        if (inside) values.push(x.data[((b * c + ch) * h + iy) * w + ix]);
      }
    }
    return fold(values);
  });
}

/**
 * Max over each window's in-bounds entries (padding never wins).
 * @example maxPool2dRef(x, { kernel: [2, 2], stride: [2, 2], padding: [0, 0] })
 */
export function maxPool2dRef(x: Ref, a: PoolRefAttrs): Ref {
  return pool(x, a, FOLDS.max);
}

/**
 * Mean over each window's in-bounds entries (padding is not counted).
 * @example avgPool2dRef(x, { kernel: [3, 3], stride: [1, 1], padding: [1, 1] })
 */
export function avgPool2dRef(x: Ref, a: PoolRefAttrs): Ref {
  return pool(x, a, FOLDS.mean);
}

/**
 * The gradients of a 2-D product for upstream dC, by the adjoint loops
 * dop(A)[i, p] += dC[i, j]·op(B)[p, j] and dop(B)[p, j] += op(A)[i, p]·dC[i, j].
 * a and b are matrices (no batch dims); da and db have their shapes.
 * @example const { da, db } = matmulGradsRef(a, b, dc, { transposeA: true });
 */
export function matmulGradsRef(a: Ref, b: Ref, dc: Ref, o: MatmulFlags = {}): {
  /** The gradient for a, with a's shape (as stored, whatever `transposeA`). */
  da: Ref;
  /** The gradient for b, with b's shape (as stored, whatever `transposeB`). */
  db: Ref;
} {
  const A = matrixAt(a, [], !!o.transposeA);
  const B = matrixAt(b, [], !!o.transposeB);
  const [m, k, n] = [A.rows, A.cols, B.cols];
  const da = makeRef(a.shape);
  const db = makeRef(b.shape);
  // Flat index of op(X)[r, c] in X's storage.
  const at = (x: Ref, transposed: boolean, r: number, c: number): number =>
    transposed ? c * x.shape[1] + r : r * x.shape[1] + c;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const g = dc.data[i * n + j];
      for (let p = 0; p < k; p++) {
        da.data[at(a, !!o.transposeA, i, p)] += g * B.get(p, j);
        db.data[at(b, !!o.transposeB, p, j)] += A.get(i, p) * g;
      }
    }
  }
  return { da, db };
}

/**
 * The gradients of conv2d for upstream dy: every product x·w of conv2dRef sends dy back.
 * @example const { dx, dw } = conv2dGradsRef(x, w, dy, attrs);
 */
export function conv2dGradsRef(x: Ref, w: Ref, dy: Ref, a: Conv2dRefAttrs): {
  /** dL/dx, shaped like x. */
  dx: Ref;
  /** dL/dw, shaped like w. */
  dw: Ref;
} {
  const dx = makeRef(x.shape);
  const dw = makeRef(w.shape);
  forEachTap(x.shape, w.shape, dy.shape.slice(2), a, (xi, wi, yi) => {
    dx.data[xi] += dy.data[yi] * w.data[wi];
    dw.data[wi] += dy.data[yi] * x.data[xi];
  });
  return { dx, dw };
}

/** Attention options of the reference, as core's `attention` normalizes them. */
export interface AttentionRefAttrs {
  /** Multiplies Q Kᵀ. */
  scale: number;
  /** Query i sees only keys j ≤ i + Nk − Nq. */
  causal: boolean;
}

/**
 * softmax(scale·Q Kᵀ + mask) V per head from the definition, with the N×N scores: q [B, H, Nq,
 * d], k [B, Hkv, Nk, d], v [B, Hkv, Nk, dv]; query head h reads key head ⌊h·Hkv/H⌋; causal:
 * key j ≤ i + Nk − Nq.
 * @example attentionRef(q, k, v, null, { scale: 1 / Math.sqrt(d), causal: true })
 */
export function attentionRef(q: Ref, k: Ref, v: Ref, mask: Ref | null, a: AttentionRefAttrs):
  Ref {
  const [b, h, nq, d] = q.shape;
  const [, hk, nk] = k.shape;
  const dv = v.shape[3];
  const y = makeRef([b, h, nq, dv]);
  const scores = new Float64Array(nk);
  for (let bi = 0; bi < b; bi++) {
    for (let hi = 0; hi < h; hi++) {
      const kh = bi * hk + Math.floor((hi * hk) / h);
      for (let i = 0; i < nq; i++) {
        const qo = ((bi * h + hi) * nq + i) * d;
        let max = -Infinity;
        for (let j = 0; j < nk; j++) {
          let s = 0;
          for (let t = 0; t < d; t++) s += q.data[qo + t] * k.data[(kh * nk + j) * d + t];
          s = a.scale * s + (mask ? mask.data[i * nk + j] : 0);
          if (a.causal && j > i + nk - nq) s = -Infinity;
          scores[j] = s;
          max = Math.max(max, s);
        }
        let total = 0;
        for (let j = 0; j < nk; j++) total += (scores[j] = Math.exp(scores[j] - max));
        const yo = ((bi * h + hi) * nq + i) * dv;
        for (let j = 0; j < nk; j++) {
          for (let t = 0; t < dv; t++) {
            y.data[yo + t] += (scores[j] / total) * v.data[(kh * nk + j) * dv + t];
          }
        }
      }
    }
  }
  return y;
}
