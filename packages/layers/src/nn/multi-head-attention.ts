/**
 * Multi-head attention (Vaswani et al. 2017) with grouped key/value heads: `kvHeads` = heads is
 * MHA, a divisor is GQA (Ainslie et al. 2023), 1 is MQA (Shazeer 2019). Row convention as the
 * Tucker Attention paper writes it: Q = X W^Q, head i's block W_i^Q the columns i·d_H … .
 */
import {
  attention, clone, concat, type FloatDType, keep, matmul, randn, reshape, type Tensor,
  transpose, type Variable,
} from '@dlrt/core';
import { type InitOptions, initRng } from './init.js';
import { Module } from './module.js';
import type { RoPE } from './rope.js';

/** MultiHeadAttention's key/value heads, masking, positions and init. */
export interface MultiHeadAttentionOptions extends InitOptions {
  /** Key/value heads (default `heads`: MHA); a divisor of `heads` (GQA), 1 for MQA. */
  kvHeads?: number;
  /** Causal self-attention (a language model's). */
  causal?: boolean;
  /** Rotary positions on each head's queries and keys (a RoPE of dim d_H). */
  rope?: RoPE;
}

/**
 * Cached keys and values of the tokens decoded so far: [B, Hkv, N, d_k] and [B, Hkv, N, d_v]
 * (for Tucker Attention, the shared latent K and V: Hkv = 1).
 * @example const cache = new KVCache(); attn.decode(x, cache);   // cache.length: x's N
 */
export class KVCache {
  /** The cached keys (for MLA, the latent), or null while empty. */
  k: Tensor | null = null;
  /** The cached values, or null while empty or when `k` stands for both (MLA). */
  v: Tensor | null = null;

  /** Tokens cached. */
  get length(): number {
    return this.k?.shape[2] ?? 0;
  }

  /** Values held (keys and values, every batch row): the cache's size in scalars. */
  get values(): number {
    return (this.k?.size ?? 0) + (this.v?.size ?? 0);
  }

  /**
   * Appends k and v (or k alone: a latent that stands for both, as MLA caches) and returns the
   * cache's keys and values. The cache keeps its own copies (out of any tidy scope) until the
   * next append or `dispose`.
   */
  append(k: Tensor, v?: Tensor): {
    /** All the cached keys, `k` last on the token axis (the cache's own tensor: do not free). */
    k: Tensor;
    /** All the cached values, `v` last, or null when no `v` was given (the cache's own). */
    v: Tensor | null;
  } {
    const nk = keep(this.k ? concat([this.k, k], 2) : clone(k));
    const nv = v ? keep(this.v ? concat([this.v, v], 2) : clone(v)) : null;
    this.k?.dispose();
    this.v?.dispose();
    this.k = nk;
    this.v = nv;
    return { k: nk, v: nv };
  }

  /** Frees the cached tensors and empties the cache. */
  dispose(): void {
    this.k?.dispose();
    this.v?.dispose();
    this.k = this.v = null;
  }
}

/**
 * The base of the attention layers: `forward` over a whole sequence and `decode` of new tokens
 * with a KV cache both run the layer's `attend`; every layer counts its attention parameters
 * and its cache per token.
 * @example const attn: AttentionModule = new MultiHeadAttention(64, 4, { seed: 1 });
 *          attn.forward(x)   // x [B, N, 64] → [B, N, 64]
 */
export abstract class AttentionModule extends Module {
  /** d, the model width: input and output are [B, N, d]. */
  abstract readonly dim: number;
  /** KV-cache scalars per token. */
  abstract readonly kvCachePerToken: number;
  /** Rotary positions, or null; the layer owns them, so `dispose` frees their tables too. */
  abstract readonly rope: RoPE | null;

  override dispose(): void {
    super.dispose();
    this.rope?.dispose();
  }

  /** The layer's parameters, all of them attention weights. */
  get attentionParameters(): number {
    return this.numParameters();
  }

  /** x [B, N, d] ↦ [B, N, d]. */
  forward(x: Tensor): Tensor {
    return this.attend(x);
  }

  /**
   * Decoding with a KV cache: x [B, N, d] holds the new tokens (positions after the cached
   * ones); their keys and values join the cache, and the output equals the rows of a full
   * forward over every token so far.
   */
  decode(x: Tensor, cache: KVCache): Tensor {
    return this.attend(x, cache);
  }

  /** x [B, N, d] ↦ [B, N, d]; with `cache`, x's tokens follow the cached ones and join them. */
  protected abstract attend(x: Tensor, cache?: KVCache): Tensor;
}

/**
 * [B, N, H·w] → [B, H, N, w]: the last axis cut into H heads of width w.
 * @example splitHeads(matmul(x, wq), 4)   // [2, 10, 64] → [2, 4, 10, 16]
 */
export function splitHeads(x: Tensor, heads: number): Tensor {
  const [b, n, hw] = x.shape;
  return transpose(reshape(x, [b, n, heads, hw / heads]), [0, 2, 1, 3]);
}

/**
 * [B, H, N, w] → [B, N, H·w], the inverse of `splitHeads`.
 * @example mergeHeads(o)   // [2, 4, 10, 16] → [2, 10, 64]
 */
export function mergeHeads(x: Tensor): Tensor {
  const [b, h, n, w] = x.shape;
  return reshape(transpose(x, [0, 2, 1, 3]), [b, n, h * w]);
}

/**
 * Multi-head attention on x [B, N, d]: Q = X W^Q, K = X W^K, V = X W^V split into heads (K and
 * V into `kvHeads`, each shared by heads / kvHeads query heads), softmax(Q Kᵀ/√d_H) V per
 * head, merged and projected by W^O. Weights are drawn N(0, 1/d). Throws unless heads divides
 * d and kvHeads divides heads, or when `rope.dim` is not d_H.
 * @example new MultiHeadAttention(64, 4, { kvHeads: 2, causal: true, seed: 1 })   // GQA
 */
export class MultiHeadAttention extends AttentionModule {
  /** Key/value heads (heads for MHA, 1 for MQA). */
  readonly kvHeads: number;
  /** d_H = d / heads. */
  readonly headDim: number;
  /** Whether each token attends to itself and earlier tokens only. */
  readonly causal: boolean;
  /** Rotary positions on each head's queries and keys, or null. */
  readonly rope: RoPE | null;
  /** W^Q [d, d], W^K and W^V [d, kvHeads·d_H], W^O [d, d]. */
  readonly wq: Variable;
  /** W^K [d, kvHeads·d_H]. */
  readonly wk: Variable;
  /** W^V [d, kvHeads·d_H]. */
  readonly wv: Variable;
  /** W^O [d, d], the output projection. */
  readonly wo: Variable;

  /**
   * @param dim the model width d.
   * @param heads query heads; must divide d.
   */
  constructor(readonly dim: number, readonly heads: number, o: MultiHeadAttentionOptions = {}) {
    super();
    this.kvHeads = o.kvHeads ?? heads;
    checkHeads('MultiHeadAttention', dim, heads, this.kvHeads);
    this.headDim = dim / heads;
    this.causal = o.causal ?? false;
    this.rope = o.rope ?? null;
    if (this.rope && this.rope.dim !== this.headDim) {
      throw new Error(`MultiHeadAttention: rope dim ${this.rope.dim} must be the head dim ` +
        `${this.headDim}`);
    }
    const rng = initRng('MultiHeadAttention', o);
    const dtype: FloatDType = o.dtype ?? 'float32';
    const draw = (cols: number) => randn([dim, cols], { rng, dtype, std: 1 / Math.sqrt(dim) });
    const kv = this.kvHeads * this.headDim;
    this.wq = this.addParameter('wq', draw(dim));
    this.wk = this.addParameter('wk', draw(kv));
    this.wv = this.addParameter('wv', draw(kv));
    this.wo = this.addParameter('wo', draw(dim));
  }

  /** KV-cache scalars per token: 2·kvHeads·d_H (keys and values). */
  get kvCachePerToken(): number {
    return 2 * this.kvHeads * this.headDim;
  }

  protected attend(x: Tensor, cache?: KVCache): Tensor {
    checkInput('MultiHeadAttention', x, this.dim);
    const offset = cache?.length ?? 0;
    let q = splitHeads(matmul(x, this.wq), this.heads);
    let k = splitHeads(matmul(x, this.wk), this.kvHeads);
    const v0 = splitHeads(matmul(x, this.wv), this.kvHeads);
    if (this.rope) {
      q = this.rope.apply(q, offset);
      k = this.rope.apply(k, offset);
    }
    const kv = cache ? cache.append(k, v0) : { k, v: v0 };
    const o = attention(q, kv.k, kv.v!, { causal: this.causal });
    return matmul(mergeHeads(o), this.wo);
  }
}

/** Throws, naming `kind`, unless heads divides dim and kvHeads divides heads. */
export function checkHeads(kind: string, dim: number, heads: number, kvHeads: number): void {
  if (!Number.isInteger(dim) || dim < 1 || !Number.isInteger(heads) || heads < 1 ||
    dim % heads !== 0) {
    throw new Error(`${kind}: heads ${heads} must divide the width ${dim}`);
  }
  if (!Number.isInteger(kvHeads) || kvHeads < 1 || heads % kvHeads !== 0) {
    throw new Error(`${kind}: kvHeads ${kvHeads} must divide heads ${heads}`);
  }
}

/** Throws, naming `kind`, unless x is [B, N, dim]. */
export function checkInput(kind: string, x: Tensor, dim: number): void {
  if (x.rank !== 3 || x.shape[2] !== dim) {
    throw new Error(`${kind}(${dim}): input [${x.shape}] must be [B, N, ${dim}]`);
  }
}
