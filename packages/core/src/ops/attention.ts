/**
 * Scaled dot-product attention as one op (Vaswani et al. 2017), with its gradient: backends
 * compute it without forming the Nq×Nk score matrix where they can (an online softmax, as in
 * FlashAttention: Dao et al. 2022).
 */
import type { AttentionAttrs } from '../backend.js';
import { assertFloat } from '../dtype.js';
import { runMultiOp, runOp } from '../run-op.js';
import { fmt } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** Options of `attention`. */
export interface AttentionOptions {
  /**
   * Query i sees only keys j ≤ i + Nk − Nq (aligned at the end: with Nq = Nk the usual causal
   * mask; with a KV cache, each new query sees every cached key).
   */
  causal?: boolean;
  /** Multiplies Q Kᵀ (default 1/√d). */
  scale?: number;
  /** Added to the scores: [Nq, Nk], −Infinity where a query may not look. No gradient. */
  mask?: Tensor;
}

/**
 * softmax(scale·Q Kᵀ + mask) V for q [B, H, Nq, d], k and v [B, Hkv, Nk, d | dv]; H a multiple
 * of Hkv (grouped-query attention: query head h reads key/value head ⌊h·Hkv/H⌋; Hkv = 1 is
 * multi-query). A query row that sees no key is an error (its softmax is undefined).
 * @example attention(q, k, v, { causal: true })   // [B, H, N, dv]
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, o: AttentionOptions = {}): Tensor {
  const inputs = o.mask ? [q, k, v, o.mask] : [q, k, v];
  for (const t of inputs) t.assertLive('attention');
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4) {
    throw new Error(`attention: q ${fmt(q.shape)}, k ${fmt(k.shape)} and v ${fmt(v.shape)} must ` +
      'be [B, H, N, d]');
  }
  const [b, h, nq, d] = q.shape;
  const [bk, hk, nk, dk] = k.shape;
  if (bk !== b || dk !== d || v.shape[0] !== b || v.shape[1] !== hk || v.shape[2] !== nk ||
    hk < 1 || h % hk !== 0) {
    throw new Error(`attention: q ${fmt(q.shape)}, k ${fmt(k.shape)}, v ${fmt(v.shape)}: k needs ` +
      `[${b}, Hkv, Nk, ${d}] with Hkv dividing ${h}, and v [${b}, Hkv, Nk, dv]`);
  }
  for (const t of inputs) assertFloat('attention', 'inputs', t.dtype);
  if (inputs.some((t) => t.dtype !== q.dtype)) {
    throw new Error(`attention: dtypes ${inputs.map((t) => t.dtype).join(', ')} differ`);
  }
  if (o.mask && (o.mask.rank !== 2 || o.mask.shape[0] !== nq || o.mask.shape[1] !== nk)) {
    throw new Error(`attention: mask ${fmt(o.mask.shape)} must be [${nq}, ${nk}]`);
  }
  const scale = o.scale ?? 1 / Math.sqrt(d);
  if (!Number.isFinite(scale)) throw new Error(`attention: scale ${o.scale} must be finite`);
  if (o.causal && nq > nk) {
    throw new Error(`attention: causal with ${nq} queries and ${nk} keys leaves the first ` +
      `${nq - nk} queries no key`);
  }
  const attrs: AttentionAttrs = { scale, causal: o.causal ?? false, groups: h / hk };
  if (o.mask) checkRows(o.mask, attrs.causal);
  const mask = o.mask ?? null;
  const shape = [b, h, nq, v.shape[3]];
  return runOp('attention', inputs, { shape, dtype: q.dtype },
    (be) => be.attention(q, k, v, mask, attrs),
    (dy, y, needs) => {
      if (!needs[0] && !needs[1] && !needs[2]) return [null, null, null, null];
      const [dq, dk2, dv] = runMultiOp('attentionBackward', [q, k, v, y, dy],
        [q, k, v].map((t) => ({ shape: t.shape, dtype: t.dtype })), (be) => {
          const g = be.attentionBackward(q, k, v, mask, y, dy, attrs);
          return [g.dq, g.dk, g.dv];
        });
      return [dq, dk2, dv, null];
    });
}

/** Every query row must see a key: a finite mask entry (at a visible key, when causal). */
function checkRows(mask: Tensor, causal: boolean): void {
  const [nq, nk] = mask.shape;
  const m = mask.dataSync();
  for (let i = 0; i < nq; i++) {
    let seen = false;
    const last = causal ? i + nk - nq : nk - 1;
    for (let j = 0; j <= last && !seen; j++) seen = m[i * nk + j] > -Infinity;
    if (!seen) {
      throw new Error(`attention: query row ${i} sees no key (its mask entries` +
        `${causal ? ' at the keys the causal mask leaves' : ''} are all −Infinity)`);
    }
  }
}
