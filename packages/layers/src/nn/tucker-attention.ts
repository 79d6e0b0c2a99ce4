/**
 * Tucker Attention (Klein, Kusch, Sager, Schnake & Schotthöfer, "Tucker Attention: a
 * generalization of approximate attention mechanisms", arXiv 2603.30033, Def. 2.1 and §3): the
 * stacked per-head pre-softmax weights 𝒲[i] = W_i^Q W_i^{K,T} and post-softmax weights
 * 𝒲̃[i] = (W_i^V W_i^O)ᵀ are Tucker tensors 𝒞 ×₁ U₁ ×₂ U₂ ×₃ U₃ over (head, query, key) and
 * 𝒞̃ ×₁ Ũ₁ ×₂ Ũ₂ ×₃ Ũ₃ over (head, output, value). MHA, GQA, MQA and MLA are special cases.
 * Cores and factors are ordinary parameters (the paper trains them so, at fixed ranks).
 */
import {
  attention, clone, concat, eye, type FloatDType, matmul, modeProduct, randn, reshape, type Rng,
  slice, stack, sum, type Tensor, tensor, tidy, transpose, TuckerTensor, type Variable, zeros,
} from '@dlrt/core';
import { type InitOptions, initRng } from './init.js';
import type { MultiHeadLatentAttention } from './latent-attention.js';
import {
  AttentionModule, checkHeads, checkInput, type KVCache, type MultiHeadAttention,
} from './multi-head-attention.js';
import { RoPE } from './rope.js';

/** [head, query, key] ranks of 𝒲, or [head, output, value] of 𝒲̃. */
export type TuckerRanks = readonly [number, number, number];

/** Tucker Attention's ranks, score scale, masking, latent RoPE and init. */
export interface TuckerAttentionOptions extends InitOptions {
  /** 𝒲's ranks [r₁, r₂, r₃] (head ≤ heads, query ≤ d, key ≤ d). */
  ranks: TuckerRanks;
  /** 𝒲̃'s ranks (default `ranks`). */
  postRanks?: TuckerRanks;
  /** The score scale (default 1/√d_H, which makes the MHA/GQA/MLA cases exact). */
  scale?: number;
  /** Causal self-attention (default false; the `from…` constructors take the source's). */
  causal?: boolean;
  /** Latent RoPE: rotate each head's query and the shared key in the r₃-wide latent space. */
  rope?: {
    /** The angle base, θᵢ = base^{−2i/dim}, above 1 (default 10,000). */
    base?: number;
    /** Positions the tables cover: the longest sequence, cache included (default 4,096). */
    maxLen?: number;
  };
}

/** The cores and factors of a Tucker Attention layer, for the `from…` constructors. */
export interface TuckerAttentionFactors {
  /** 𝒞 [r₁, r₂, r₃]. */
  core: Tensor;
  /** U₁ [heads, r₁], U₂ [d, r₂], U₃ [d, r₃]. */
  factors: readonly [Tensor, Tensor, Tensor];
  /** 𝒞̃ [r̃₁, r̃₂, r̃₃]. */
  postCore: Tensor;
  /** Ũ₁ [heads, r̃₁], Ũ₂ [d, r̃₂], Ũ₃ [d, r̃₃]. */
  postFactors: readonly [Tensor, Tensor, Tensor];
}

/**
 * Tucker Attention on x [B, N, d], the pre-softmax weights 𝒞 ×₁ U₁ ×₂ U₂ ×₃ U₃ and the
 * post-softmax weights 𝒞̃ ×₁ Ũ₁ ×₂ Ũ₂ ×₃ Ũ₃ (see `attend` for the forward). Cores and factors
 * are trainable parameters, drawn N(0, 1/n) for an n-row factor and N(0, 1/r₂) for a core.
 * Throws unless heads divides d, the head rank is in [1, heads], the others in [1, d], and
 * r₃ is even with `rope`.
 * @example new TuckerAttention(64, 4, { ranks: [2, 16, 16], causal: true, seed: 1 })
 */
export class TuckerAttention extends AttentionModule {
  /** d_H = d / heads (the default score scale is 1/√d_H). */
  readonly headDim: number;
  /** 𝒲's ranks [head, query, key]. */
  readonly ranks: TuckerRanks;
  /** 𝒲̃'s ranks [head, output, value]. */
  readonly postRanks: TuckerRanks;
  /** The score scale s in softmax(s·Q_h Kᵀ). */
  readonly scale: number;
  /** Whether each token attends to itself and earlier tokens only. */
  readonly causal: boolean;
  /** Latent RoPE of width r₃ (the layer's own), or null. */
  readonly rope: RoPE | null;
  /** 𝒞 [r₁, r₂, r₃], parameter 'core'. */
  readonly core: Variable;
  /** U₁ [heads, r₁], U₂ [d, r₂], U₃ [d, r₃], parameters 'U1' … 'U3'. */
  readonly factors: readonly [Variable, Variable, Variable];
  /** 𝒞̃ [r̃₁, r̃₂, r̃₃], parameter 'postCore'. */
  readonly postCore: Variable;
  /** Ũ₁ [heads, r̃₁], Ũ₂ [d, r̃₂], Ũ₃ [d, r̃₃], parameters 'postU1' … 'postU3'. */
  readonly postFactors: readonly [Variable, Variable, Variable];

  /**
   * `init` gives the cores and factors (the caller keeps them) instead of drawn ones.
   * @param dim the model width d.
   * @param heads heads n_H; must divide d.
   */
  constructor(readonly dim: number, readonly heads: number, o: TuckerAttentionOptions,
    init?: TuckerAttentionFactors) {
    super();
    checkHeads('TuckerAttention', dim, heads, heads);
    this.headDim = dim / heads;
    this.ranks = checkRanks('ranks', o.ranks, heads, dim);
    this.postRanks = checkRanks('postRanks', o.postRanks ?? o.ranks, heads, dim);
    this.scale = o.scale ?? 1 / Math.sqrt(this.headDim);
    this.causal = o.causal ?? false;
    if (o.rope && this.ranks[2] % 2 !== 0) {
      throw new Error(`TuckerAttention: latent RoPE needs an even key rank, got ${this.ranks[2]}`);
    }
    const dtype: FloatDType = o.dtype ?? 'float32';
    this.rope = o.rope ? new RoPE(this.ranks[2], { ...o.rope, dtype }) : null;
    const f = init ?? drawFactors(dim, heads, this.ranks, this.postRanks, initRng(
      'TuckerAttention', o), dtype);
    // Given tensors stay the caller's (clone shares their storage).
    const own = (t: Tensor) => (init ? clone(t) : t);
    this.core = this.addParameter('core', own(f.core));
    this.factors = f.factors.map((u, i) => this.addParameter(`U${i + 1}`, own(u))) as
      unknown as [Variable, Variable, Variable];
    this.postCore = this.addParameter('postCore', own(f.postCore));
    this.postFactors = f.postFactors.map((u, i) => this.addParameter(`postU${i + 1}`, own(u))) as
      unknown as [Variable, Variable, Variable];
    if (this.core.shape.some((r, i) => r !== this.ranks[i]) ||
      this.postCore.shape.some((r, i) => r !== this.postRanks[i])) {
      throw new Error(`TuckerAttention: cores [${this.core.shape}] and [${this.postCore.shape}] ` +
        `do not match ranks [${this.ranks}] and [${this.postRanks}]`);
    }
  }

  /**
   * MHA as a Tucker layer (Thm B.2; GQA, Thm B.3, when `mha.kvHeads` < heads): U₁ = I,
   * U₂ = W^Q, U₃ = W^K, Ũ₁ = I, Ũ₂ = (W^O)ᵀ, Ũ₃ = W^V, and 0/1 cores routing head i's query
   * block to its key group's block. Ranks (n_H, d, n_KV·d_H). Exact: the same outputs.
   */
  static fromMHA(mha: MultiHeadAttention, o: Omit<TuckerAttentionOptions, 'ranks' |
    'postRanks'> = {}): TuckerAttention {
    const { dim: d, heads: h, kvHeads: g, headDim: dh } = mha;
    const dtype = mha.wq.dtype as FloatDType;
    const ranks: TuckerRanks = [h, d, g * dh];
    const route = () => {
      const c = new Float64Array(h * d * g * dh);
      for (let i = 0; i < h; i++) {
        const group = Math.floor((i * g) / h);
        for (let l = 0; l < dh; l++) c[(i * d + i * dh + l) * g * dh + group * dh + l] = 1;
      }
      return tensor(dtype === 'float64' ? c : Float32Array.from(c), [h, d, g * dh], dtype);
    };
    const I = eye(h, h, dtype);
    const f: TuckerAttentionFactors = {
      core: route(), factors: [I, mha.wq, mha.wk],
      postCore: route(), postFactors: [I, transpose(mha.wo), mha.wv],
    };
    try {
      return new TuckerAttention(d, h, { ...o, ranks, postRanks: ranks, causal: o.causal ??
        mha.causal, dtype }, f);
    } finally {
      for (const t of [f.core, f.postCore, I, f.postFactors[1]]) t.dispose();
    }
  }

  /**
   * MLA without decoupled RoPE as a Tucker layer (Thm B.4): U₁ = I, U₂ = W^{DQ}, U₃ = W^{DKV},
   * 𝒞[i] = W_i^{UQ} W_i^{UK,T}; Ũ₁ = I, Ũ₂ = (W^O)ᵀ, Ũ₃ = W^{DKV}, and 𝒞̃[i] zero but for head
   * i's rows, which hold W_i^{UV,T}. Ranks (n_H, d_c^Q, d_c) and (n_H, d, d_c). Exact.
   */
  static fromMLA(mla: MultiHeadLatentAttention, o: Omit<TuckerAttentionOptions, 'ranks' |
    'postRanks'> = {}): TuckerAttention {
    if (mla.ropeDim > 0) {
      throw new Error(`TuckerAttention.fromMLA: the MLA layer has ${mla.ropeDim} decoupled ` +
        'RoPE dimensions, which Tucker Attention does not have (use latent RoPE)');
    }
    const { dim: d, heads: h, headDim: dh, qLatent: cq, kvLatent: c } = mla;
    const dtype = mla.wdq.dtype as FloatDType;
    const f = tidy(() => {
      const cols = (w: Tensor, i: number) => slice(w, [0, i * dh], [w.shape[0], dh]);
      const pre = stack(Array.from({ length: h }, (_, i) =>
        matmul(cols(mla.wuq, i), cols(mla.wuk, i), { transposeB: true })), 0);  // [H, d_c^Q, d_c]
      const post = stack(Array.from({ length: h }, (_, i) => {
        const rows = transpose(cols(mla.wuv, i));                             // [d_H, d_c]
        return concat([zeros([i * dh, c], dtype), rows, zeros([d - (i + 1) * dh, c], dtype)], 0);
      }), 0);                                                                    // [H, d, d_c]
      const I = eye(h, h, dtype);
      return { core: pre, factors: [I, clone(mla.wdq), clone(mla.wdkv)] as [Tensor, Tensor, Tensor],
        postCore: post, postFactors: [clone(I), transpose(mla.wo), clone(mla.wdkv)] as
          [Tensor, Tensor, Tensor] };
    });
    try {
      return new TuckerAttention(d, h, { ...o, ranks: [h, cq, c], postRanks: [h, d, c],
        causal: o.causal ?? mla.causal, dtype }, f);
    } finally {
      for (const t of [f.core, ...f.factors, f.postCore, ...f.postFactors]) t.dispose();
    }
  }

  /**
   * The truncated HOSVD of an MHA layer's 𝒲 and 𝒲̃ at the given ranks (the paper's transfer
   * protocol): exact at full ranks.
   */
  static fromHOSVD(mha: MultiHeadAttention, ranks: TuckerRanks, o: Omit<TuckerAttentionOptions,
    'ranks'> = {}): TuckerAttention {
    const post = o.postRanks ?? ranks;
    checkRanks('ranks', ranks, mha.heads, mha.dim);
    checkRanks('postRanks', post, mha.heads, mha.dim);
    const hosvd = (which: 'pre' | 'post', r: TuckerRanks) => {
      const w = stackedWeights(mha, which);
      const t = TuckerTensor.hosvd(w, [...r]);
      w.dispose();
      return t;
    };
    const pre = tidy(() => hosvd('pre', ranks));
    const postT = tidy(() => hosvd('post', post));
    try {
      return new TuckerAttention(mha.dim, mha.heads, { ...o, ranks, postRanks: post,
        causal: o.causal ?? mha.causal, dtype: mha.wq.dtype as FloatDType }, {
        core: pre.core, factors: pre.factors as unknown as [Tensor, Tensor, Tensor],
        postCore: postT.core, postFactors: postT.factors as unknown as [Tensor, Tensor, Tensor],
      });
    } finally {
      pre.dispose();
      postT.dispose();
    }
  }

  /** KV-cache scalars per token: r₃ + r̃₃ (the shared latent K = X U₃ and V = X Ũ₃). */
  get kvCachePerToken(): number {
    return this.ranks[2] + this.postRanks[2];
  }

  /**
   * The efficient forward (§3): P = X U₂, K = X U₃, V = X Ũ₃ shared by all heads; head h's
   * query Q_h = P B_h with B_h = (𝒞 ×₁ U₁)[h]; O_h = softmax(s·Q_h Kᵀ) V; Y = Σ_h O_h B̃_hᵀ Ũ₂ᵀ
   * with B̃_h = (𝒞̃ ×₁ Ũ₁)[h]. The attention itself is multi-query (one K and V head).
   */
  protected attend(x: Tensor, cache?: KVCache): Tensor {
    checkInput('TuckerAttention', x, this.dim);
    const [b, n] = x.shape;
    const [U1, U2, U3] = this.factors;
    const [V1, V2, V3] = this.postFactors;
    const offset = cache?.length ?? 0;
    const pre = modeProduct(this.core, U1, 0);                  // [H, r₂, r₃]
    let q = matmul(reshape(matmul(x, U2), [b, 1, n, this.ranks[1]]), pre);   // [B, H, N, r₃]
    let k = reshape(matmul(x, U3), [b, 1, n, this.ranks[2]]);
    const v = reshape(matmul(x, V3), [b, 1, n, this.postRanks[2]]);
    if (this.rope) {
      q = this.rope.apply(q, offset);
      k = this.rope.apply(k, offset);
    }
    const kv = cache ? cache.append(k, v) : { k, v };
    const o = attention(q, kv.k, kv.v!, { causal: this.causal, scale: this.scale });
    const post = modeProduct(this.postCore, V1, 0);             // [H, r̃₂, r̃₃]
    const mixed = sum(matmul(o, post, { transposeB: true }), 1); // [B, N, r̃₂]
    return matmul(mixed, V2, { transposeB: true });
  }
}

/**
 * 𝒲 [H, d, d] with 𝒲[i] = W_i^Q W_i^{K,T} ('pre'), or 𝒲̃ with 𝒲̃[i] = (W_i^V W_i^O)ᵀ
 * ('post'), of an MHA or GQA layer (head i reads key/value group ⌊i·kvHeads/heads⌋).
 * @example stackedWeights(mha, 'pre')   // [heads, d, d]
 */
export function stackedWeights(mha: MultiHeadAttention, which: 'pre' | 'post'): Tensor {
  const { dim: d, heads: h, kvHeads: g, headDim: dh } = mha;
  const block = (w: Tensor, j: number) => slice(w, [0, j * dh], [d, dh]);
  const mats = Array.from({ length: h }, (_, i) => {
    const group = Math.floor((i * g) / h);
    if (which === 'pre') return matmul(block(mha.wq, i), block(mha.wk, group), { transposeB: true });
    const wo = slice(mha.wo, [i * dh, 0], [dh, d]);
    return transpose(matmul(block(mha.wv, group), wo));
  });
  return stack(mats, 0);
}

function checkRanks(key: string, r: TuckerRanks, heads: number, dim: number): TuckerRanks {
  const most = [heads, dim, dim];
  const names = ['head', 'query/output', 'key/value'];
  if (!Array.isArray(r) || r.length !== 3) {
    throw new Error(`TuckerAttention: ${key} must be [r1, r2, r3], got ${String(r)}`);
  }
  r.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 1 || v > most[i]) {
      throw new Error(`TuckerAttention: ${key}[${i}] = ${v} (${names[i]} rank) is outside ` +
        `[1, ${most[i]}]`);
    }
  });
  return [r[0], r[1], r[2]];
}

/**
 * Random cores and factors: factor entries N(0, 1/n) for an n-row factor and core entries
 * N(0, 1/r₂), so queries and keys start near W^Q's scale.
 */
function drawFactors(dim: number, heads: number, ranks: TuckerRanks, post: TuckerRanks,
  rng: Rng, dtype: FloatDType): TuckerAttentionFactors {
  const draw = (r: TuckerRanks) => {
    const core = randn([...r], { rng, dtype, std: 1 / Math.sqrt(r[1]) });
    const factors = [heads, dim, dim].map((n, i) => randn([n, r[i]], { rng, dtype,
      std: 1 / Math.sqrt(n) })) as unknown as [Tensor, Tensor, Tensor];
    return { core, factors };
  };
  const a = draw(ranks);
  const b = draw(post);
  return { core: a.core, factors: a.factors, postCore: b.core, postFactors: b.factors };
}
