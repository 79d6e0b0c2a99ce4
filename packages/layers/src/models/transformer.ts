/**
 * Small transformers for the attention family: pre-norm blocks (Xiong et al. 2020), a tiny
 * ViT for 28×28 digits (Dosovitskiy et al. 2021) and a GPT-style character language model that
 * decodes with a KV cache. The attention of every block is chosen by `AttentionSpec`.
 */
import {
  add, argmax, concat, type FloatDType, randn, reshape, type Rng, slice, softmax, type Tensor,
  tensor, tidy, transpose, type Variable,
} from '@dlrt/core';
import { Dense } from '../nn/dense.js';
import { Embedding } from '../nn/embedding.js';
import { LayerNorm } from '../nn/layer-norm.js';
import { MultiHeadLatentAttention } from '../nn/latent-attention.js';
import { Module } from '../nn/module.js';
import {
  type AttentionModule, KVCache, MultiHeadAttention,
} from '../nn/multi-head-attention.js';
import { LearnedPositions } from '../nn/positions.js';
import { RoPE } from '../nn/rope.js';
import { GELU } from '../nn/simple.js';
import { TuckerAttention, type TuckerRanks } from '../nn/tucker-attention.js';

/** Which attention a block uses. */
export type AttentionSpec =
  | {
      /** Multi-head attention: one key/value head per query head. */
      kind: 'mha';
    }
  | {
      /** Grouped-query attention: `kvHeads` key/value heads, each shared by a group. */
      kind: 'gqa';
      /** Key/value heads; must divide the number of query heads. */
      kvHeads: number;
    }
  | {
      /** Multi-query attention: one key/value head shared by every query head. */
      kind: 'mqa';
    }
  | {
      /** Multi-head latent attention (`MultiHeadLatentAttention`). */
      kind: 'mla';
      /** d_c^Q, the query latent's width. */
      qLatent: number;
      /** d_c, the shared key/value latent's width. */
      kvLatent: number;
      /** d_R, the decoupled rotary dimensions per head: even, and > 0 with rotary positions. */
      ropeDim?: number;
    }
  | {
      /** Tucker attention (`TuckerAttention`). */
      kind: 'tucker';
      /** 𝒲's ranks: head, query, key. */
      ranks: TuckerRanks;
      /** 𝒲̃'s ranks: head, output, value (default `ranks`). */
      postRanks?: TuckerRanks;
    };

/** An attention layer that decodes with a cache. */
export type AttentionLayer = AttentionModule;

/**
 * The attention layer of `spec`. With `rope`, positions are rotary: per head for MHA, GQA and
 * MQA, decoupled for MLA (its ropeDim, which must then be set), in the latent key space
 * for Tucker, each with tables of `maxLen` positions (default 4,096).
 * @example attentionLayer({ kind: 'gqa', kvHeads: 2 }, 64, 4, { rng: new Rng(0), causal: true })
 */
export function attentionLayer(spec: AttentionSpec, dim: number, heads: number,
  o: { rng: Rng; dtype?: FloatDType; causal?: boolean; rope?: boolean; maxLen?: number }):
  AttentionLayer {
  const base = { rng: o.rng, dtype: o.dtype, causal: o.causal };
  const rope = (d: number) => (o.rope ? new RoPE(d, { maxLen: o.maxLen, dtype: o.dtype })
    : undefined);
  switch (spec.kind) {
    case 'mha':
    case 'gqa':
    case 'mqa': {
      const kvHeads = spec.kind === 'mha' ? heads : spec.kind === 'mqa' ? 1 : spec.kvHeads;
      return new MultiHeadAttention(dim, heads, { ...base, kvHeads, rope: rope(dim / heads) });
    }
    case 'mla':
      // Rotary positions are MLA's only positions: without a decoupled part it would have none.
      if (o.rope && !(spec.ropeDim && spec.ropeDim > 0)) {
        throw new Error('attentionLayer: MLA with rotary positions needs ropeDim > 0 (its ' +
          `decoupled RoPE width), got ${spec.ropeDim ?? 'none'}`);
      }
      return new MultiHeadLatentAttention(dim, heads, { ...base, qLatent: spec.qLatent,
        kvLatent: spec.kvLatent, ropeDim: o.rope ? spec.ropeDim ?? 0 : 0,
        rope: { maxLen: o.maxLen } });
    case 'tucker':
      return new TuckerAttention(dim, heads, { ...base, ranks: spec.ranks,
        postRanks: spec.postRanks, rope: o.rope ? { maxLen: o.maxLen } : undefined });
    default:
      throw new Error(`attentionLayer: unknown kind '${(spec as { kind: string }).kind}'`);
  }
}

/**
 * x + attention(LN(x)), then x + MLP(LN(x)) with a GELU MLP of width 4·dim.
 * @example const rng = new Rng(0);
 *          new TransformerBlock(attentionLayer({ kind: 'mha' }, 64, 4, { rng }), { rng })
 */
export class TransformerBlock extends Module {
  /** The LayerNorm before the attention. */
  readonly norm1: LayerNorm;
  /** The LayerNorm before the MLP. */
  readonly norm2: LayerNorm;
  /** The MLP's dim → 4·dim layer ('he' init). */
  readonly fc1: Dense;
  /** The MLP's 4·dim → dim layer ('he' init, linear gain). */
  readonly fc2: Dense;
  private readonly act = new GELU();

  constructor(attention: AttentionLayer, o: { rng: Rng; dtype?: FloatDType }) {
    super();
    const d = attention.dim;
    this.norm1 = this.addModule('norm1', new LayerNorm(d, { dtype: o.dtype }));
    this.addModule('attention', attention);
    this.norm2 = this.addModule('norm2', new LayerNorm(d, { dtype: o.dtype }));
    this.fc1 = this.addModule('fc1', new Dense(d, 4 * d, { ...o, init: 'he' }));
    this.fc2 = this.addModule('fc2', new Dense(4 * d, d, { ...o, init: 'he', gain: 'linear' }));
  }

  /** The block's attention (a child module, so `replaceModule('attention', …)` swaps it). */
  get attention(): AttentionLayer {
    return new Map(this.namedChildren()).get('attention') as AttentionLayer;
  }

  forward(x: Tensor): Tensor {
    return this.mlp(add(x, this.attention.forward(this.norm1.forward(x))));
  }

  /** The block on new tokens, the attention reading and extending `cache`. */
  decode(x: Tensor, cache: KVCache): Tensor {
    return this.mlp(add(x, this.attention.decode(this.norm1.forward(x), cache)));
  }

  private mlp(h: Tensor): Tensor {
    return add(h, this.fc2.forward(this.act.forward(this.fc1.forward(this.norm2.forward(h)))));
  }
}

/** A Vit's sizes and attention. */
export interface VitOptions {
  /** The generator every layer draws its initial weights from. */
  rng: Rng;
  /** The parameters' dtype (default 'float32'). */
  dtype?: FloatDType;
  /** Image side (default 28) and patch side (default 7: 16 patches). */
  image?: number;
  /** Patch side (default 7); must divide the image side. */
  patch?: number;
  /** Token width. */
  dim: number;
  /** Transformer blocks. */
  depth: number;
  /** Attention heads per block. */
  heads: number;
  /** The attention of every block. */
  attention: AttentionSpec;
  /** Output classes (default 10). */
  numClasses?: number;
}

/**
 * A tiny ViT: x [B, side²] in row-major pixels → patches → a linear embedding, a learned class
 * token and learned positions → pre-norm blocks → LayerNorm → the class token's logits.
 * @example new Vit({ rng, dim: 32, depth: 2, heads: 4, attention: { kind: 'mha' } })
 */
export class Vit extends Module {
  /** The image side. */
  readonly side: number;
  /** The patch side. */
  readonly patch: number;
  /** The number of patches, (side / patch)². */
  readonly patches: number;
  /** The patch embedding, patch² → dim. */
  readonly embed: Dense;
  /** The class token [1, 1, dim], drawn N(0, 0.02²). */
  readonly cls: Variable;
  /** Learned positions for the class token and the patches. */
  readonly positions: LearnedPositions;
  /** The transformer blocks, in order. */
  readonly blocks: TransformerBlock[];
  /** The final LayerNorm. */
  readonly norm: LayerNorm;
  /** The classifier, dim → numClasses. */
  readonly head: Dense;

  /** @param o the options it was built from. */
  constructor(readonly o: VitOptions) {
    super();
    this.side = o.image ?? 28;
    this.patch = o.patch ?? 7;
    if (this.side % this.patch !== 0) {
      throw new Error(`Vit: patch ${this.patch} must divide the image side ${this.side}`);
    }
    const per = this.side / this.patch;
    this.patches = per * per;
    const d = { rng: o.rng, dtype: o.dtype };
    this.embed = this.addModule('embed', new Dense(this.patch * this.patch, o.dim, d));
    this.cls = this.addParameter('cls', randn([1, 1, o.dim], { ...d, std: 0.02 }));
    this.positions = this.addModule('positions', new LearnedPositions(this.patches + 1, o.dim, d));
    this.blocks = Array.from({ length: o.depth }, (_, i) => this.addModule(`block${i}`,
      new TransformerBlock(attentionLayer(o.attention, o.dim, o.heads, d), d)));
    this.norm = this.addModule('norm', new LayerNorm(o.dim, { dtype: o.dtype }));
    this.head = this.addModule('head', new Dense(o.dim, o.numClasses ?? 10, d));
  }

  forward(x: Tensor): Tensor {
    const b = x.shape[0];
    const [s, p] = [this.side, this.patch];
    if (x.size !== b * s * s) {
      throw new Error(`Vit: input [${x.shape}] must hold ${s}×${s} images`);
    }
    // [B, s, s] → [B, s/p, p, s/p, p] → [B, s/p, s/p, p, p] → [B, patches, p²].
    const grid = transpose(reshape(x, [b, s / p, p, s / p, p]), [0, 1, 3, 2, 4]);
    const tokens = this.embed.forward(reshape(grid, [b, this.patches, p * p]));
    const cls = concat(Array.from({ length: b }, () => this.cls), 0);
    let h = this.positions.forward(concat([cls, tokens], 1));
    for (const block of this.blocks) h = block.forward(h);
    const first = reshape(slice(this.norm.forward(h), [0, 0, 0], [b, 1, this.o.dim]),
      [b, this.o.dim]);
    return this.head.forward(first);
  }
}

/** A CharLM's sizes, attention and positions. */
export interface CharLMOptions {
  /** The generator every layer draws its initial weights from. */
  rng: Rng;
  /** The parameters' dtype (default 'float32'). */
  dtype?: FloatDType;
  /** Vocabulary size: token ids are in [0, vocab). */
  vocab: number;
  /** Token width. */
  dim: number;
  /** Transformer blocks. */
  depth: number;
  /** Attention heads per block. */
  heads: number;
  /** The attention of every block (always causal). */
  attention: AttentionSpec;
  /** Longest sequence (positions). */
  maxLen: number;
  /** 'rope' (default): rotary positions in the attention; 'learned': added to the embeddings. */
  positions?: 'rope' | 'learned';
}

/** How `generate` picks each next token. */
export interface SampleOptions {
  /** New tokens to produce. */
  tokens: number;
  /** 0 (default) is greedy; otherwise logits / temperature are sampled. */
  temperature?: number;
  /** Sample from the k likeliest tokens only. */
  topK?: number;
  /** The generator for sampling (required when temperature > 0). */
  rng?: Rng;
}

/**
 * A GPT-style causal character model: embedding (+ learned positions, or RoPE in attention)
 * → pre-norm causal blocks → LayerNorm → logits over the vocabulary.
 * @example const lm = new CharLM({ rng: new Rng(0), vocab: 96, dim: 64, depth: 2, heads: 4,
 *            attention: { kind: 'mha' }, maxLen: 128 });
 *          lm.generate(prompt, { tokens: 20 })   // prompt int32 [B, N] → B rows of 20 ids
 */
export class CharLM extends Module {
  /** The token embedding [vocab, dim]. */
  readonly embedding: Embedding;
  /** Learned positions with `positions: 'learned'`, else null (RoPE). */
  readonly positions: LearnedPositions | null;
  /** The transformer blocks, in order. */
  readonly blocks: TransformerBlock[];
  /** The final LayerNorm. */
  readonly norm: LayerNorm;
  /** The output layer, dim → vocab logits. */
  readonly head: Dense;

  /** @param o the options it was built from. */
  constructor(readonly o: CharLMOptions) {
    super();
    const d = { rng: o.rng, dtype: o.dtype };
    const rope = (o.positions ?? 'rope') === 'rope';
    this.embedding = this.addModule('embedding', new Embedding(o.vocab, o.dim, d));
    this.positions = rope ? null
      : this.addModule('positions', new LearnedPositions(o.maxLen, o.dim, d));
    this.blocks = Array.from({ length: o.depth }, (_, i) => this.addModule(`block${i}`,
      new TransformerBlock(attentionLayer(o.attention, o.dim, o.heads, { ...d, causal: true,
        rope, maxLen: o.maxLen }), d)));
    this.norm = this.addModule('norm', new LayerNorm(o.dim, { dtype: o.dtype }));
    this.head = this.addModule('head', new Dense(o.dim, o.vocab, d));
  }

  /** ids [B, N] (int32) ↦ logits [B, N, vocab]. */
  forward(ids: Tensor): Tensor {
    return this.run(ids, null, 0);
  }

  /** Logits of new tokens ids [B, n] after the cached ones (one cache per block). */
  decode(ids: Tensor, caches: readonly KVCache[]): Tensor {
    return this.run(ids, caches, caches[0]?.length ?? 0);
  }

  /**
   * Continues each row of `prompt` (int32 [B, N]) by `o.tokens` tokens, decoding with a KV
   * cache; returns the new tokens [B][tokens].
   */
  generate(prompt: Tensor, o: SampleOptions): number[][] {
    const caches = this.blocks.map(() => new KVCache());
    const out: number[][] = Array.from({ length: prompt.shape[0] }, () => []);
    try {
      let next = prompt;
      for (let step = 0; step < o.tokens; step++) {
        const picked = tidy(() => {
          const logits = this.decode(next, caches);
          const [b, n, v] = logits.shape;
          return pick(reshape(slice(logits, [0, n - 1, 0], [b, 1, v]), [b, v]), o);
        });
        picked.forEach((t, i) => out[i].push(t));
        if (next !== prompt) next.dispose();
        next = tensorOfIds(picked);
      }
      if (next !== prompt) next.dispose();
    } finally {
      for (const c of caches) c.dispose();
    }
    return out;
  }

  private run(ids: Tensor, caches: readonly KVCache[] | null, offset: number): Tensor {
    let h = this.embedding.forward(ids);
    if (this.positions) {
      const n = ids.shape[1];
      if (offset + n > this.o.maxLen) {
        throw new Error(`CharLM: positions ${offset}…${offset + n - 1} exceed maxLen ${this.o.maxLen}`);
      }
      h = add(h, slice(this.positions.weight, [offset, 0], [n, this.o.dim]));
    }
    this.blocks.forEach((block, i) => {
      h = caches ? block.decode(h, caches[i]) : block.forward(h);
    });
    return this.head.forward(this.norm.forward(h));
  }
}

/** The next token per row of logits [B, V]: argmax, or a (top-k) sample at a temperature. */
function pick(logits: Tensor, o: SampleOptions): number[] {
  const temperature = o.temperature ?? 0;
  if (temperature === 0) return Array.from(argmax(logits, -1).dataSync());
  if (!(temperature > 0) || !o.rng) {
    throw new Error(`CharLM.generate: temperature ${temperature} needs to be ≥ 0, and an rng ` +
      'to sample with');
  }
  const [b, v] = logits.shape;
  const probs = softmax(logits.div(temperature), -1).dataSync();
  return Array.from({ length: b }, (_, r) => {
    const row = Array.from(probs.slice(r * v, (r + 1) * v));
    const order = row.map((p, i) => [p, i]).sort((x, y) => y[0] - x[0]);
    const kept = order.slice(0, o.topK ?? v);
    const total = kept.reduce((s, [p]) => s + p, 0);
    let u = o.rng!.uniform() * total;
    for (const [p, i] of kept) {
      u -= p;
      if (u <= 0) return i;
    }
    return kept[kept.length - 1][1];
  });
}

function tensorOfIds(ids: number[]): Tensor {
  return tensor(Int32Array.from(ids), [ids.length, 1], 'int32');
}
