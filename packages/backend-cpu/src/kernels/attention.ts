/**
 * Attention without the score matrix: an online softmax over the keys (Milakov & Gimelshein
 * 2018; FlashAttention, Dao et al. 2022), a block of query rows at a time so each key row is read
 * once per block. Extra memory O(block·dv) forward and O(Nq) backward, whatever Nk. Sums in
 * float64 for both dtypes.
 */
import type { AttentionAttrs } from '@dlrt/core';
import type { FloatArray } from './gemm-types.js';

/** Query rows per block: the running max, sum and output of a block stay in cache. */
const BLOCK = 16;

/** Float64 scratch of n values, which the caller counts. */
export type Scratch = (n: number) => Float64Array;

/** Shapes: q [B, H, Nq, d], k [B, Hkv, Nk, d], v [B, Hkv, Nk, dv]. */
export interface AttentionShapes {
  b: number; h: number; nq: number; nk: number; d: number; dv: number;
}

/** The last key query i may see (causal: aligned at the end), or Nk − 1. */
function lastKey(s: AttentionShapes, a: AttentionAttrs, i: number): number {
  return a.causal ? Math.min(s.nk - 1, i + s.nk - s.nq) : s.nk - 1;
}

function dot(x: FloatArray, xo: number, y: FloatArray, yo: number, n: number): number {
  let acc = 0;
  for (let t = 0; t < n; t++) acc += x[xo + t] * y[yo + t];
  return acc;
}

function noKey(i: number): Error {
  return new Error(`attention: query row ${i} sees no key (every score is −Infinity)`);
}

/** out [B, H, Nq, dv] = softmax(scale·Q Kᵀ + mask) V, written into `out`. */
export function attentionForward(q: FloatArray, k: FloatArray, v: FloatArray,
  mask: FloatArray | null, s: AttentionShapes, a: AttentionAttrs, out: FloatArray,
  scratch: Scratch): void {
  const { h, nq, nk, d, dv } = s;
  const hk = h / a.groups;
  const m = scratch(BLOCK);
  const l = scratch(BLOCK);
  const acc = scratch(BLOCK * dv);
  for (let bh = 0; bh < s.b * h; bh++) {
    const kvh = Math.floor(bh / h) * hk + Math.floor((bh % h) / a.groups);
    const q0 = bh * nq * d;
    const k0 = kvh * nk * d;
    const v0 = kvh * nk * dv;
    for (let i0 = 0; i0 < nq; i0 += BLOCK) {
      const rows = Math.min(BLOCK, nq - i0);
      m.fill(-Infinity);
      l.fill(0);
      acc.fill(0);
      const last = lastKey(s, a, i0 + rows - 1);
      for (let j = 0; j <= last; j++) {
        const kj = k0 + j * d;
        const vj = v0 + j * dv;
        for (let r = 0; r < rows; r++) {
          const i = i0 + r;
          if (j > lastKey(s, a, i)) continue;
          const score = a.scale * dot(q, q0 + i * d, k, kj, d) + (mask ? mask[i * nk + j] : 0);
          if (score === -Infinity) continue;
          const o = r * dv;
          if (score > m[r]) {
            // A new maximum: rescale what the row has summed so far.
            const c = Math.exp(m[r] - score);
            l[r] = l[r] * c + 1;
            for (let t = 0; t < dv; t++) acc[o + t] = acc[o + t] * c + v[vj + t];
            m[r] = score;
          } else {
            const p = Math.exp(score - m[r]);
            l[r] += p;
            for (let t = 0; t < dv; t++) acc[o + t] += p * v[vj + t];
          }
        }
      }
      for (let r = 0; r < rows; r++) {
        if (l[r] === 0) throw noKey(i0 + r);
        const base = (bh * nq + i0 + r) * dv;
        for (let t = 0; t < dv; t++) out[base + t] = acc[r * dv + t] / l[r];
      }
    }
  }
}

/**
 * dq, dk, dv (zeroed on entry) for dy, given the output y: each row's log-sum-exp is recomputed
 * (no N×N storage), then with pᵢⱼ = exp(sᵢⱼ − lseᵢ) and Dᵢ = dyᵢ·yᵢ:
 * dvⱼ += pᵢⱼ dyᵢ, dsᵢⱼ = pᵢⱼ (dyᵢ·vⱼ − Dᵢ), dqᵢ += scale·dsᵢⱼ kⱼ, dkⱼ += scale·dsᵢⱼ qᵢ.
 */
export function attentionBackward(q: FloatArray, k: FloatArray, v: FloatArray,
  mask: FloatArray | null, y: FloatArray, dy: FloatArray, s: AttentionShapes,
  a: AttentionAttrs, dq: FloatArray, dk: FloatArray, dvOut: FloatArray, scratch: Scratch): void {
  const { h, nq, nk, d, dv } = s;
  const hk = h / a.groups;
  const lse = scratch(nq);
  const D = scratch(nq);
  const score = (qo: number, ko: number, i: number, j: number) =>
    a.scale * dot(q, qo, k, ko, d) + (mask ? mask[i * nk + j] : 0);
  for (let bh = 0; bh < s.b * h; bh++) {
    const kvh = Math.floor(bh / h) * hk + Math.floor((bh % h) / a.groups);
    const q0 = bh * nq * d;
    const k0 = kvh * nk * d;
    const v0 = kvh * nk * dv;
    const y0 = bh * nq * dv;
    for (let i = 0; i < nq; i++) {
      let m = -Infinity;
      let l = 0;
      for (let j = 0; j <= lastKey(s, a, i); j++) {
        const x = score(q0 + i * d, k0 + j * d, i, j);
        if (x === -Infinity) continue;
        if (x > m) {
          l = l * Math.exp(m - x) + 1;
          m = x;
        } else {
          l += Math.exp(x - m);
        }
      }
      if (l === 0) throw noKey(i);
      lse[i] = m + Math.log(l);
      D[i] = dot(dy, y0 + i * dv, y, y0 + i * dv, dv);
    }
    for (let i = 0; i < nq; i++) {
      const qi = q0 + i * d;
      const yi = y0 + i * dv;
      for (let j = 0; j <= lastKey(s, a, i); j++) {
        const x = score(qi, k0 + j * d, i, j);
        if (x === -Infinity) continue;
        const p = Math.exp(x - lse[i]);
        const vj = v0 + j * dv;
        for (let t = 0; t < dv; t++) dvOut[vj + t] += p * dy[yi + t];
        const ds = a.scale * p * (dot(dy, yi, v, vj, dv) - D[i]);
        const kj = k0 + j * d;
        for (let t = 0; t < d; t++) {
          dq[qi + t] += ds * k[kj + t];
          dk[kj + t] += ds * q[qi + t];
        }
      }
    }
  }
}
