/**
 * Rotary position embedding (Su et al., "RoFormer", 2021): each pair (x₂ᵢ, x₂ᵢ₊₁) of a query or
 * key at position m turns by the angle m·θᵢ, θᵢ = base^{−2i/dim}, so ⟨RoPE(q, m), RoPE(k, n)⟩
 * depends on m − n alone.
 */
import {
  add, type FloatDType, matmul, mul, reshape, slice, type Tensor, tensor,
} from '@dlrt/core';

/** RoPE's angle base, table length and dtype. */
export interface RoPEOptions {
  /** The angle base (default 10,000). */
  base?: number;
  /** Positions the tables cover (default 4,096). */
  maxLen?: number;
  /** The tables' dtype, which should match the inputs' (default 'float32'). */
  dtype?: FloatDType;
}

/**
 * Rotary positions for x [..., N, dim]: cos and sin tables of `maxLen` positions, computed
 * once. Not a Module (no parameters): whoever builds one disposes it.
 * @example const rope = new RoPE(16);  rope.apply(q)   // q [B, H, N, 16]
 */
export class RoPE {
  /** The angle base (θᵢ = base^{−2i/dim}). */
  readonly base: number;
  /** Positions the tables cover: `apply` throws past them. */
  readonly maxLen: number;
  /** cos m·θᵢ at both places of pair i, [maxLen, dim]. */
  private readonly cos: Tensor;
  /** (−sin m·θᵢ, sin m·θᵢ) at pair i's two places, [maxLen, dim]. */
  private readonly sin: Tensor;
  /** The permutation that swaps each pair: (x·P)₂ᵢ = x₂ᵢ₊₁, (x·P)₂ᵢ₊₁ = x₂ᵢ. */
  private readonly swap: Tensor;

  /** @param dim the rotated width, a positive even integer (a head's d_H). */
  constructor(readonly dim: number, o: RoPEOptions = {}) {
    if (!Number.isInteger(dim) || dim < 2 || dim % 2 !== 0) {
      throw new Error(`RoPE: dim must be a positive even integer, got ${dim}`);
    }
    this.base = o.base ?? 10000;
    this.maxLen = o.maxLen ?? 4096;
    if (!(this.base > 1)) throw new Error(`RoPE: base must be above 1, got ${o.base}`);
    if (!Number.isInteger(this.maxLen) || this.maxLen < 1) {
      throw new Error(`RoPE: maxLen must be a positive integer, got ${o.maxLen}`);
    }
    const cos = new Float64Array(this.maxLen * dim);
    const sin = new Float64Array(this.maxLen * dim);
    for (let m = 0; m < this.maxLen; m++) {
      for (let i = 0; i < dim / 2; i++) {
        const angle = m * this.base ** ((-2 * i) / dim);
        const at = m * dim + 2 * i;
        cos[at] = cos[at + 1] = Math.cos(angle);
        sin[at] = -Math.sin(angle);
        sin[at + 1] = Math.sin(angle);
      }
    }
    const swap = new Float64Array(dim * dim);
    for (let i = 0; i < dim; i += 2) swap[i * dim + i + 1] = swap[(i + 1) * dim + i] = 1;
    const dtype = o.dtype ?? 'float32';
    const make = (d: Float64Array, rows: number) => tensor(dtype === 'float64' ? d
      : Float32Array.from(d), [rows, dim], dtype);
    this.cos = make(cos, this.maxLen);
    this.sin = make(sin, this.maxLen);
    this.swap = make(swap, dim);
  }

  /**
   * x [..., N, dim] at positions offset … offset + N − 1 (a KV cache decodes with the offset
   * of the tokens before).
   */
  apply(x: Tensor, offset = 0): Tensor {
    const [n, d] = x.shape.slice(-2);
    if (x.rank < 2 || d !== this.dim) {
      throw new Error(`RoPE(${this.dim}): input [${x.shape}] must be [..., N, ${this.dim}]`);
    }
    if (!Number.isInteger(offset) || offset < 0 || offset + n > this.maxLen) {
      throw new Error(`RoPE(${this.dim}): positions ${offset}…${offset + n - 1} are outside ` +
        `its ${this.maxLen} positions`);
    }
    // y = x ⊙ cos + (x·P) ⊙ sin: the pair swap as a small matmul, so no strided slices.
    const swapped = reshape(matmul(reshape(x, [-1, d]), this.swap), x.shape);
    const cos = slice(this.cos, [offset, 0], [n, d]);
    const sin = slice(this.sin, [offset, 0], [n, d]);
    return add(mul(x, cos), mul(swapped, sin));
  }

  /** Frees the tables. */
  dispose(): void {
    this.cos.dispose();
    this.sin.dispose();
    this.swap.dispose();
  }
}
