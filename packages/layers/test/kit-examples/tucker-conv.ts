import {
  conv2d, type FloatDType, linalg, modeProduct, randn, reshape, type Rng, type Tensor, tidy,
  type Variable,
} from '@dlrt/core';
import { FactorizedLayer } from '@dlrt/layers';

/** A 3×3 convolution (padding 1) whose kernel [out, in, 3, 3] is 𝒞 ×₀ U₀ ×₁ U₁. */
export class TuckerConv extends FactorizedLayer {
  readonly kind = 'TuckerConv';
  readonly core: Variable;                    // 𝒞 [r₀, r₁, 3, 3]
  readonly bases: readonly Variable[];        // U₀ [out, r₀], U₁ [in, r₁]
  readonly modes = [0, 1];                    // the core modes they multiply
  readonly maxRanks: readonly number[];
  readonly bias: Variable;

  constructor(readonly out: number, readonly inC: number, ranks: [number, number],
    o: { rng: Rng; dtype?: FloatDType }) {
    super();
    const draw = (shape: number[], std = 1) => randn(shape, { ...o, std });
    this.core = this.addParameter('core', draw([ranks[0], ranks[1], 3, 3]));
    // Bases are moved by integrators only, which keep them orthonormal.
    this.bases = [out, inC].map((n, i) => this.addParameter(`U${i}`,
      tidy(() => linalg.orth(draw([n, ranks[i]]))), { trainable: false }));
    this.maxRanks = [out, inC];
    this.bias = this.addParameter('bias', draw([out], 0.1));
  }

  get denseParameters(): number {
    return this.out * this.inC * 9 + this.out;
  }

  protected applyFactors(x: Tensor, core: Tensor, bases: readonly (Tensor | null)[]): Tensor {
    const w = bases.reduce<Tensor>((c, u, i) => (u ? modeProduct(c, u, this.modes[i]) : c), core);
    return conv2d(x, w, { padding: 1 }).add(reshape(this.bias, [1, this.out, 1, 1]));
  }
}
