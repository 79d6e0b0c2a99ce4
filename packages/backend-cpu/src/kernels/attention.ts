/**
 * Attention without the score matrix: an online softmax over the keys (Milakov & Gimelshein
 * 2018; FlashAttention, Dao et al. 2022). A block of query rows meets a tile of keys at a time,
 * so each key row is read once per block and the running max and sum are rescaled once per tile.
 * Extra memory is a few tiles, O(ROWS·(KEYS + dv)), whatever N. Sums in float64 for both dtypes.
 */
import type { AttentionAttrs, Shape } from '@dlrt/core';
import type { FloatArray } from './gemm-types.js';

/** Query rows per block and keys per tile: a tile of scores stays in cache. */
const ROWS = 16;
const KEYS = 64;

/** Float64 scratch of n values, which the caller counts. */
export type Scratch = (n: number) => Float64Array;

/** Shapes: q [B, H, Nq, d], k [B, Hkv, Nk, d], v [B, Hkv, Nk, dv]. */
export interface AttentionShapes {
  /** Batch B. */
  b: number;
  /** Query heads H. */
  h: number;
  /** Queries Nq. */
  nq: number;
  /** Keys Nk. */
  nk: number;
  /** Query and key width d. */
  d: number;
  /** Value width dv. */
  dv: number;
}

/**
 * The shapes of q, k and v ([B, H, Nq, d], [B, Hkv, Nk, d], [B, Hkv, Nk, dv]).
 * @example attentionShapes([2, 4, 7, 8], [2, 2, 9, 8], [2, 2, 9, 5]).nk   // 9
 */
export function attentionShapes(q: Shape, k: Shape, v: Shape): AttentionShapes {
  const [b, h, nq, d] = q;
  return { b, h, nq, nk: k[2], d, dv: v[3] };
}

/**
 * The error for query row i when it sees no key.
 * @example throw noKey(3)   // attention: query row 3 sees no key (every score is −Infinity)
 */
export function noKey(i: number): Error {
  return new Error(`attention: query row ${i} sees no key (every score is −Infinity)`);
}

/** One block of rows against one tile of keys: where they start and how many. */
interface Tile { q: number; i0: number; rows: number; j0: number; cols: number }

/** kt[u·KEYS + c] = k[(j0 + c)·d + u]: a tile of keys (or values) transposed. */
function transposeTile(k: FloatArray, k0: number, j0: number, cols: number, d: number,
  kt: Float64Array): void {
  for (let c = 0; c < cols; c++) {
    const kj = k0 + (j0 + c) * d;
    for (let u = 0; u < d; u++) kt[u * KEYS + c] = k[kj + u];
  }
}

/**
 * s[r·KEYS + c] = scale·qᵢ·kⱼ + maskᵢⱼ for i = i0 + r, j = j0 + c, or −Infinity where the
 * causal mask (aligned at the end) hides key j from query i. `kt` holds the key tile transposed,
 * so the inner loop runs along the keys with no chain of dependent adds.
 */
function scores(q: FloatArray, kt: Float64Array, mask: FloatArray | null, sh: AttentionShapes,
  a: AttentionAttrs, t: Tile, s: Float64Array): void {
  const { d, nq, nk } = sh;
  for (let r = 0; r < t.rows; r++) {
    const i = t.i0 + r;
    const qi = t.q + i * d;
    const o = r * KEYS;
    for (let c = 0; c < t.cols; c++) s[o + c] = 0;
    for (let u = 0; u < d; u++) {
      const x = q[qi + u];
      const ku = u * KEYS;
      for (let c = 0; c < t.cols; c++) s[o + c] += x * kt[ku + c];
    }
    const last = a.causal ? i + nk - nq - t.j0 : t.cols - 1;
    for (let c = 0; c < t.cols; c++) {
      s[o + c] = c > last ? -Infinity
        : a.scale * s[o + c] + (mask ? mask[i * nk + t.j0 + c] : 0);
    }
  }
}

/** The largest of `from` and row r's `cols` scores in the tile: a row's running maximum. */
function rowMax(s: Float64Array, r: number, cols: number, from: number): number {
  let top = from;
  for (let c = 0; c < cols; c++) if (s[r * KEYS + c] > top) top = s[r * KEYS + c];
  return top;
}

/**
 * Key/value head (flat over the batch) of the flat (batch, head) index bh, with H = h query
 * heads of which `groups` share each key/value head.
 * @example kvHead(5, 4, 2)   // 2: batch 1, query head 1 reads the batch's K/V head 0
 */
export function kvHead(bh: number, h: number, groups: number): number {
  return Math.floor(bh / h) * (h / groups) + Math.floor((bh % h) / groups);
}

/**
 * The keys a block of `rows` query rows from i0 sees: up to the causal limit of its last row.
 * @example keyEnd({ b: 1, h: 1, nq: 8, nk: 8, d: 4, dv: 4 }, attrs, 0, 4)   // 4 when causal
 */
export function keyEnd(sh: AttentionShapes, a: AttentionAttrs, i0: number, rows: number): number {
  return a.causal ? Math.min(sh.nk, i0 + rows + sh.nk - sh.nq) : sh.nk;
}

/** out [B, H, Nq, dv] = softmax(scale·Q Kᵀ + mask) V, written into `out`. */
export function attentionForward(q: FloatArray, k: FloatArray, v: FloatArray,
  mask: FloatArray | null, sh: AttentionShapes, a: AttentionAttrs, out: FloatArray,
  scratch: Scratch): void {
  const { h, nq, nk, d, dv } = sh;
  const m = scratch(ROWS);
  const l = scratch(ROWS);
  const acc = scratch(ROWS * dv);
  const s = scratch(ROWS * KEYS);
  const kt = scratch(d * KEYS);
  for (let bh = 0; bh < sh.b * h; bh++) {
    const kvh = kvHead(bh, h, a.groups);
    const v0 = kvh * nk * dv;
    for (let i0 = 0; i0 < nq; i0 += ROWS) {
      const rows = Math.min(ROWS, nq - i0);
      m.fill(-Infinity);
      l.fill(0);
      acc.fill(0);
      const end = keyEnd(sh, a, i0, rows);
      for (let j0 = 0; j0 < end; j0 += KEYS) {
        const cols = Math.min(KEYS, end - j0);
        transposeTile(k, kvh * nk * d, j0, cols, d, kt);
        scores(q, kt, mask, sh, a, { q: bh * nq * d, i0, rows, j0, cols }, s);
        for (let r = 0; r < rows; r++) {
          const top = rowMax(s, r, cols, m[r]);
          if (top === -Infinity) continue;
          // A new maximum rescales what the row has summed so far, once per tile.
          const o = r * dv;
          if (top > m[r]) {
            const scale = Math.exp(m[r] - top);
            l[r] *= scale;
            for (let u = 0; u < dv; u++) acc[o + u] *= scale;
            m[r] = top;
          }
          let sum = 0;
          for (let c = 0; c < cols; c++) {
            const x = s[r * KEYS + c];
            if (x === -Infinity) continue;
            const p = Math.exp(x - top);
            sum += p;
            const vj = v0 + (j0 + c) * dv;
            for (let u = 0; u < dv; u++) acc[o + u] += p * v[vj + u];
          }
          l[r] += sum;
        }
      }
      for (let r = 0; r < rows; r++) {
        if (l[r] === 0) throw noKey(i0 + r);
        const base = (bh * nq + i0 + r) * dv;
        for (let u = 0; u < dv; u++) out[base + u] = acc[r * dv + u] / l[r];
      }
    }
  }
}

/**
 * dq, dk, dv (zeroed on entry) for dy, given the output y. Per block of rows, a first pass over
 * the key tiles recomputes each row's log-sum-exp (no N×N storage); the second, with
 * pᵢⱼ = exp(sᵢⱼ − lseᵢ) and Dᵢ = dyᵢ·yᵢ, adds dvⱼ += pᵢⱼ dyᵢ, dsᵢⱼ = pᵢⱼ (dyᵢ·vⱼ − Dᵢ),
 * dqᵢ += scale·dsᵢⱼ kⱼ and dkⱼ += scale·dsᵢⱼ qᵢ.
 */
export function attentionBackward(q: FloatArray, k: FloatArray, v: FloatArray,
  mask: FloatArray | null, y: FloatArray, dy: FloatArray, sh: AttentionShapes,
  a: AttentionAttrs, dq: FloatArray, dk: FloatArray, dvOut: FloatArray, scratch: Scratch): void {
  const { h, nq, nk, d, dv } = sh;
  const lse = scratch(ROWS);
  const D = scratch(ROWS);
  const s = scratch(ROWS * KEYS);
  const dp = scratch(ROWS * KEYS);
  const kt = scratch(d * KEYS);
  const vt = scratch(dv * KEYS);
  for (let bh = 0; bh < sh.b * h; bh++) {
    const kvh = kvHead(bh, h, a.groups);
    const q0 = bh * nq * d;
    const k0 = kvh * nk * d;
    const v0 = kvh * nk * dv;
    const y0 = bh * nq * dv;
    for (let i0 = 0; i0 < nq; i0 += ROWS) {
      const rows = Math.min(ROWS, nq - i0);
      const end = keyEnd(sh, a, i0, rows);
      // Pass 1: each row's log-sum-exp, tile by tile (D holds the sum scaled to the max).
      lse.fill(-Infinity);
      D.fill(0);
      for (let j0 = 0; j0 < end; j0 += KEYS) {
        const cols = Math.min(KEYS, end - j0);
        transposeTile(k, k0, j0, cols, d, kt);
        scores(q, kt, mask, sh, a, { q: q0, i0, rows, j0, cols }, s);
        for (let r = 0; r < rows; r++) {
          const top = rowMax(s, r, cols, lse[r]);
          if (top === -Infinity) continue;
          let sum = 0;
          for (let c = 0; c < cols; c++) sum += Math.exp(s[r * KEYS + c] - top);
          D[r] = D[r] * Math.exp(lse[r] - top) + sum;
          lse[r] = top;
        }
      }
      for (let r = 0; r < rows; r++) {
        if (D[r] === 0) throw noKey(i0 + r);
        lse[r] += Math.log(D[r]);
        const yi = y0 + (i0 + r) * dv;
        let dot = 0;
        for (let u = 0; u < dv; u++) dot += dy[yi + u] * y[yi + u];
        D[r] = dot;
      }
      // Pass 2, per tile: P, dP = dY Vᵀ, dS = scale·P ⊙ (dP − D), then dV += Pᵀ dY,
      // dQ += dS K and dK += dSᵀ Q, each inner loop along a row with no dependent adds.
      for (let j0 = 0; j0 < end; j0 += KEYS) {
        const cols = Math.min(KEYS, end - j0);
        transposeTile(k, k0, j0, cols, d, kt);
        transposeTile(v, v0, j0, cols, dv, vt);
        scores(q, kt, mask, sh, a, { q: q0, i0, rows, j0, cols }, s);
        for (let r = 0; r < rows; r++) {
          const o = r * KEYS;
          const yi = y0 + (i0 + r) * dv;
          for (let c = 0; c < cols; c++) dp[o + c] = 0;
          for (let u = 0; u < dv; u++) {
            const g = dy[yi + u];
            const vu = u * KEYS;
            for (let c = 0; c < cols; c++) dp[o + c] += g * vt[vu + c];
          }
          for (let c = 0; c < cols; c++) {
            const p = Math.exp(s[o + c] - lse[r]);       // 0 where the score is −Infinity
            s[o + c] = p;
            dp[o + c] = a.scale * p * (dp[o + c] - D[r]);
          }
        }
        for (let r = 0; r < rows; r++) {
          const o = r * KEYS;
          const qi = q0 + (i0 + r) * d;
          const yi = y0 + (i0 + r) * dv;
          for (let c = 0; c < cols; c++) {
            const p = s[o + c];
            if (p === 0) continue;
            const ds = dp[o + c];
            const vj = v0 + (j0 + c) * dv;
            const kj = k0 + (j0 + c) * d;
            for (let u = 0; u < dv; u++) dvOut[vj + u] += p * dy[yi + u];
            for (let u = 0; u < d; u++) {
              dq[qi + u] += ds * k[kj + u];
              dk[kj + u] += ds * q[qi + u];
            }
          }
        }
      }
    }
  }
}
