/**
 * Multi-head latent attention (MLA, DeepSeek-AI, "DeepSeek-V2", 2024): queries, keys and values
 * come from low-dimensional latents, c_Q = X W^{DQ} and one shared c_KV = X W^{DKV}, which is
 * all a KV cache keeps. Rotary positions are decoupled: each head gets d_R extra query
 * dimensions from c_Q and one shared d_R-wide key from X, rotated and concatenated.
 */
import {
  attention, concat, type FloatDType, matmul, randn, reshape, slice, type Tensor, type Variable,
} from '@dlrt/core';
import { type InitOptions, initRng } from './init.js';
import {
  AttentionModule, checkHeads, checkInput, type KVCache, mergeHeads, splitHeads,
} from './multi-head-attention.js';
import { RoPE } from './rope.js';

/** MLA's latent widths, rotary dimensions, masking and init. */
export interface MultiHeadLatentAttentionOptions extends InitOptions {
  /** d_c^Q, the query latent's width. */
  qLatent: number;
  /** d_c, the shared key/value latent's width. */
  kvLatent: number;
  /** d_R, the decoupled rotary dimensions per head (default 0: no positions). */
  ropeDim?: number;
  /** Causal self-attention (default false). */
  causal?: boolean;
  /** Rotary base and table length (with ropeDim > 0). */
  rope?: {
    /** The angle base, θᵢ = base^{−2i/dim}, above 1 (default 10,000). */
    base?: number;
    /** Positions the tables cover: the longest sequence, cache included (default 4,096). */
    maxLen?: number;
  };
}

/**
 * MLA on x [B, N, d]: head h's query is c_Q W_h^{UQ}, its key c_KV W_h^{UK} and its value
 * c_KV W_h^{UV}; with d_R > 0 the rotated query and shared key parts are appended, and the
 * scores are scaled by 1/√(d_H + d_R). A KV cache holds c_KV and the rotary key only,
 * d_c + d_R scalars per token. Weights are drawn N(0, 1/rows). Throws unless heads divides d,
 * the latents are positive integers and ropeDim is even.
 * @example new MultiHeadLatentAttention(64, 4, { qLatent: 32, kvLatent: 16, ropeDim: 8, seed: 1 })
 */
export class MultiHeadLatentAttention extends AttentionModule {
  /** d_H = d / heads. */
  readonly headDim: number;
  /** d_c^Q, the query latent's width. */
  readonly qLatent: number;
  /** d_c, the shared key/value latent's width. */
  readonly kvLatent: number;
  /** d_R, the decoupled rotary dimensions per head (0: no positions). */
  readonly ropeDim: number;
  /** Whether each token attends to itself and earlier tokens only. */
  readonly causal: boolean;
  /** The d_R-wide rotary tables (the layer's own), or null when d_R = 0. */
  readonly rope: RoPE | null;
  /** W^{DQ} [d, d_c^Q], W^{UQ} [d_c^Q, d], W^{DKV} [d, d_c], W^{UK}, W^{UV} [d_c, d], W^O [d, d]. */
  readonly wdq: Variable;
  /** W^{UQ} [d_c^Q, d], the query up-projection (head h: columns h·d_H …). */
  readonly wuq: Variable;
  /** W^{DKV} [d, d_c], the shared key/value down-projection. */
  readonly wdkv: Variable;
  /** W^{UK} [d_c, d], the key up-projection. */
  readonly wuk: Variable;
  /** W^{UV} [d_c, d], the value up-projection. */
  readonly wuv: Variable;
  /** W^O [d, d], the output projection. */
  readonly wo: Variable;
  /** With d_R > 0: W^{QR} [d_c^Q, H·d_R] and W^{KR} [d, d_R]. */
  readonly wqr: Variable | null;
  /** W^{KR} [d, d_R], the shared rotary key's projection (null when d_R = 0). */
  readonly wkr: Variable | null;

  /**
   * @param dim the model width d.
   * @param heads heads; must divide d.
   */
  constructor(readonly dim: number, readonly heads: number, o: MultiHeadLatentAttentionOptions) {
    super();
    checkHeads('MultiHeadLatentAttention', dim, heads, heads);
    this.headDim = dim / heads;
    this.ropeDim = o.ropeDim ?? 0;
    for (const [k, v, min] of [['qLatent', o.qLatent, 1], ['kvLatent', o.kvLatent, 1],
      ['ropeDim', this.ropeDim, 0]] as const) {
      if (!Number.isInteger(v) || v < min || (k === 'ropeDim' && v % 2 !== 0)) {
        throw new Error(`MultiHeadLatentAttention: ${k} must be ${k === 'ropeDim'
          ? 'an even integer ≥ 0' : 'a positive integer'}, got ${v}`);
      }
    }
    this.qLatent = o.qLatent;
    this.kvLatent = o.kvLatent;
    this.causal = o.causal ?? false;
    const dtype: FloatDType = o.dtype ?? 'float32';
    this.rope = this.ropeDim > 0 ? new RoPE(this.ropeDim, { ...o.rope, dtype }) : null;
    const rng = initRng('MultiHeadLatentAttention', o);
    const draw = (rows: number, cols: number) => randn([rows, cols], { rng, dtype,
      std: 1 / Math.sqrt(rows) });
    this.wdq = this.addParameter('wdq', draw(dim, o.qLatent));
    this.wuq = this.addParameter('wuq', draw(o.qLatent, dim));
    this.wdkv = this.addParameter('wdkv', draw(dim, o.kvLatent));
    this.wuk = this.addParameter('wuk', draw(o.kvLatent, dim));
    this.wuv = this.addParameter('wuv', draw(o.kvLatent, dim));
    this.wo = this.addParameter('wo', draw(dim, dim));
    this.wqr = this.ropeDim > 0 ? this.addParameter('wqr', draw(o.qLatent, heads * this.ropeDim))
      : null;
    this.wkr = this.ropeDim > 0 ? this.addParameter('wkr', draw(dim, this.ropeDim)) : null;
  }

  /** KV-cache scalars per token: the latent c_KV and the shared rotary key, d_c + d_R. */
  get kvCachePerToken(): number {
    return this.kvLatent + this.ropeDim;
  }

  protected attend(x: Tensor, cache?: KVCache): Tensor {
    checkInput('MultiHeadLatentAttention', x, this.dim);
    const [b, n] = x.shape;
    const offset = cache?.length ?? 0;
    const cq = matmul(x, this.wdq);
    let latent = reshape(matmul(x, this.wdkv), [b, 1, n, this.kvLatent]);
    if (this.rope) {
      const kr = this.rope.apply(reshape(matmul(x, this.wkr!), [b, 1, n, this.ropeDim]), offset);
      latent = concat([latent, kr], 3);
    }
    // The cache keeps the latent (and the rotary key); keys and values are rebuilt from it.
    const all = cache ? cache.append(latent).k : latent;
    const total = all.shape[2];
    const c = reshape(all, [b, total, this.kvLatent + this.ropeDim]);
    const ckv = this.ropeDim > 0 ? sliceLast(c, 0, this.kvLatent) : c;
    let q = splitHeads(matmul(cq, this.wuq), this.heads);
    let k = splitHeads(matmul(ckv, this.wuk), this.heads);
    const v = splitHeads(matmul(ckv, this.wuv), this.heads);
    if (this.rope) {
      const qr = this.rope.apply(splitHeads(matmul(cq, this.wqr!), this.heads), offset);
      const kr = reshape(sliceLast(c, this.kvLatent, this.ropeDim), [b, 1, total, this.ropeDim]);
      q = concat([q, qr], 3);
      k = concat([k, broadcastHeads(kr, this.heads)], 3);
    }
    const o = attention(q, k, v, { causal: this.causal,
      scale: 1 / Math.sqrt(this.headDim + this.ropeDim) });
    return matmul(mergeHeads(o), this.wo);
  }
}

/** The last axis's [from, from + width) of x [B, N, w]. */
function sliceLast(x: Tensor, from: number, width: number): Tensor {
  const [b, n] = x.shape;
  return slice(x, [0, 0, from], [b, n, width]);
}

/** k [B, 1, N, w] repeated over H heads: [B, H, N, w]. */
function broadcastHeads(k: Tensor, heads: number): Tensor {
  return concat(Array.from({ length: heads }, () => k), 1);
}
