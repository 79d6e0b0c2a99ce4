/**
 * Rotary position embedding (Su et al., "RoFormer", 2021): each pair (x₂ᵢ, x₂ᵢ₊₁) of a query or
 * key at position m turns by the angle m·θᵢ, θᵢ = base^{−2i/dim}, so ⟨RoPE(q, m), RoPE(k, n)⟩
 * depends on m − n alone.
 */
import {
  add, concat, type FloatDType, mul, reshape, slice, sub, type Tensor, tensor,
} from '@dlrt/core';

export interface RoPEOptions {
  /** The angle base (default 10,000). */
  base?: number;
  /** Positions the tables cover (default 4,096). */
  maxLen?: number;
  dtype?: FloatDType;
}

/**
 * @example const rope = new RoPE(16);  rope.apply(q)   // q [B, H, N, 16]
 */
export class RoPE {
  readonly base: number;
  readonly maxLen: number;
  private readonly cos: Tensor;
  private readonly sin: Tensor;

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
    const half = dim / 2;
    const cos = new Float64Array(this.maxLen * half);
    const sin = new Float64Array(this.maxLen * half);
    for (let m = 0; m < this.maxLen; m++) {
      for (let i = 0; i < half; i++) {
        const angle = m * this.base ** ((-2 * i) / dim);
        cos[m * half + i] = Math.cos(angle);
        sin[m * half + i] = Math.sin(angle);
      }
    }
    const dtype = o.dtype ?? 'float32';
    const make = (d: Float64Array) => tensor(dtype === 'float64' ? d : Float32Array.from(d),
      [this.maxLen, half], dtype);
    this.cos = make(cos);
    this.sin = make(sin);
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
    const half = this.dim / 2;
    const lead = x.shape.slice(0, -1);
    const pairs = reshape(x, [...lead, half, 2]);
    const even = reshape(slice(pairs, [...lead.map(() => 0), 0, 0], [...lead, half, 1]),
      [...lead, half]);
    const odd = reshape(slice(pairs, [...lead.map(() => 0), 0, 1], [...lead, half, 1]),
      [...lead, half]);
    const cos = slice(this.cos, [offset, 0], [n, half]);
    const sin = slice(this.sin, [offset, 0], [n, half]);
    const y0 = sub(mul(even, cos), mul(odd, sin));
    const y1 = add(mul(even, sin), mul(odd, cos));
    return reshape(concat([reshape(y0, [...lead, half, 1]), reshape(y1, [...lead, half, 1])], -1),
      x.shape);
  }

  dispose(): void {
    this.cos.dispose();
    this.sin.dispose();
  }
}
