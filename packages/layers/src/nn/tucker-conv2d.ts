/**
 * TuckerConv2d: a Conv2d whose kernel 𝒲 [out, in, kh, kw] is a Tucker tensor 𝒞 ×ᵢ Uᵢ with
 * orthonormal factors Uᵢ on a chosen set of modes, the layer of TDLRT (Zangrando,
 * Schotthöfer, Ceruti, Kusch & Tudisco, "Geometry-aware training of factorized layers in tensor
 * Tucker format", NeurIPS 2024, §3). The factorized-layer kit gives it every integrator.
 */
import {
  add, clone, conv2d, type Conv2dOptions, conv2dOutputSize, type FloatDType, linalg, modeProduct,
  mul, partialHosvd, type Pair, randn, reshape, type Rng, type Tensor, tensor, tidy, transpose,
  type TruncationRule, type Variable,
} from '@dlrt/core';
import type { Conv2d } from './conv2d.js';
import { type FactorForm, FactorizedLayer } from './factorized-layer.js';
import { initBias, type InitOptions, initRng, initWeight, weightVariance } from './init.js';

/** How the forward convolves: 'auto' takes whichever of the other two costs fewer FLOPs. */
export type TuckerPath = 'auto' | 'factorized' | 'rebuilt';
/**
 * Every TuckerPath, for checking a name (an unknown `path` is an error).
 * @example TUCKER_PATHS.includes(name as TuckerPath)
 */
export const TUCKER_PATHS: readonly TuckerPath[] = ['auto', 'factorized', 'rebuilt'];

/**
 * The kernel's modes: 0 output channels, 1 input channels, 2 kernel rows, 3 kernel columns.
 * @example KERNEL_MODES[1]   // 'in'
 */
export const KERNEL_MODES = ['out', 'in', 'kh', 'kw'] as const;

/** TuckerConv2d's modes, ranks (or tolerance), caps, core spectrum, bias, path and init. */
export interface TuckerConv2dOptions extends InitOptions, Conv2dOptions {
  /**
   * The kernel modes that carry a basis (default [0, 1], the channel modes, which the
   * reference code adapts; the others keep their full size in the core).
   */
  modes?: readonly number[];
  /** Initial rank per basis (one for all, or one per mode of `modes`; default its maxRank). */
  ranks?: number | readonly number[];
  /**
   * Instead of `ranks`: draw a dense kernel by `init` and keep, per mode, the truncated HOSVD
   * rank of relative tolerance τ ∈ [0, 1) (‖dropped‖₂ ≤ τ‖σ‖₂), clamped to the maxRanks.
   */
  tol?: number;
  /** The largest rank an integrator may keep, per basis (default min(nᵢ, Π_{j≠i} nⱼ)). */
  maxRanks?: number | readonly number[];
  /**
   * The core drawn from scratch: 'gaussian' (default) i.i.d. entries with the init law's
   * energy; { decay: q } a superdiagonal core whose unfoldings have the singular values s·qʲ
   * (TDLRT's ill-conditioned start; needs two or more bases).
   */
  spectrum?: 'gaussian' | {
    /** q in (0, 1]: the ratio of successive singular values of each unfolding. */
    decay: number;
  };
  /** Add a bias (default true). */
  bias?: boolean;
  /** The forward path (default 'auto'). */
  path?: TuckerPath;
}

/** What `fromConv2d` and `fromKernel` take: ranks or a tolerance, the modes and caps. */
export type TuckerFromDenseOptions = Pick<TuckerConv2dOptions, 'modes' | 'ranks' | 'tol' |
  'maxRanks' | 'path'>;

type Pair2 = [number, number];

function pair(p: Pair | undefined, fallback: number): Pair2 {
  return p === undefined ? [fallback, fallback] : typeof p === 'number' ? [p, p] : [p[0], p[1]];
}

/**
 * A Conv2d whose kernel [out, in, kh, kw] is stored as 𝒞 ×ᵢ Uᵢ over `modes` (default the channel
 * modes), the bases orthonormal and untrainable (integrators move them), the core trained like
 * a weight. The forward convolves by `path`. Throws on invalid sizes, modes, ranks or caps.
 * @example new TuckerConv2d(32, 64, 3, { ranks: [16, 8], padding: 1, seed: 1 })
 *   // kernel [64, 32, 3, 3] = 𝒞 [16, 8, 3, 3] ×₀ U₀ [64, 16] ×₁ U₁ [32, 8]
 */
export class TuckerConv2d extends FactorizedLayer {
  readonly kind = 'TuckerConv2d';
  readonly core: Variable;
  readonly bases: readonly Variable[];
  readonly modes: readonly number[];
  readonly maxRanks: readonly number[];
  /** [out], or null with `bias: false` (or a null `init.bias`). */
  readonly bias: Variable | null;
  /** [kh, kw]. */
  readonly kernelSize: Pair2;
  /** How the forward convolves (default 'auto'). */
  readonly path: TuckerPath;
  /** The convolution's stride, padding and dilation. */
  readonly options: Conv2dOptions;

  /**
   * @param inChannels input channels C_in.
   * @param outChannels output channels C_out.
   * @param kernelSize kh = kw, or [kh, kw].
   * @param init the starting core and bases (the caller keeps them) and bias, instead of drawn
   *   ones (`fromConv2d` uses it).
   */
  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Pair,
    o: TuckerConv2dOptions = {}, init?: { core: Tensor; bases: readonly Tensor[];
      bias?: Tensor | null }) {
    super();
    const [kh, kw] = pair(kernelSize, 0);
    for (const [k, v] of Object.entries({ inChannels, outChannels, kh, kw })) {
      if (!Number.isInteger(v) || v < 1) {
        throw new Error(`TuckerConv2d: ${k} must be a positive integer, got ${v}`);
      }
    }
    this.kernelSize = [kh, kw];
    this.options = { stride: o.stride, padding: o.padding, dilation: o.dilation };
    this.path = o.path ?? 'auto';
    if (!TUCKER_PATHS.includes(this.path)) {
      throw new Error(`TuckerConv2d: path '${String(o.path)}' is not one of ` +
        TUCKER_PATHS.join(', '));
    }
    const shape = this.kernelShape;
    this.modes = checkModes(o.modes ?? [0, 1], shape);
    const most = this.modes.map((m) => unfoldingRank(shape, m));
    this.maxRanks = perMode('maxRanks', o.maxRanks, this.modes, shape, most);
    const wantsBias = init?.bias !== undefined ? init.bias !== null : o.bias !== false;
    // One generator for the factors, then the bias, as the other layers draw.
    const rng = !init || (wantsBias && init.bias === undefined) ? initRng(this.kind, o)
      : undefined;
    const f = init ? { core: clone(init.core), bases: init.bases.map((u) => clone(u)) }
      : this.draw(o, rng!);
    this.core = this.addParameter('core', f.core);
    // The bases are moved by integrators only, which keep them orthonormal.
    this.bases = f.bases.map((u, i) => this.addParameter(`U${this.modes[i]}`, u,
      { trainable: false }));
    const ranks = this.ranks;
    ranks.forEach((r, i) => {
      if (r > this.maxRanks[i]) {
        throw new Error(`TuckerConv2d: rank ${r} of mode ${this.modes[i]} ` +
          `(${KERNEL_MODES[this.modes[i]]}) is above its maxRank ${this.maxRanks[i]}`);
      }
    });
    const bias = init?.bias ? clone(init.bias) : wantsBias
      ? initBias(this.kind, [outChannels], inChannels * kh * kw, rng!, o) : null;
    this.bias = bias ? this.addParameter('bias', bias) : null;
  }

  /**
   * The truncated HOSVD of a trained Conv2d's kernel on `modes` (its bias is copied), at
   * `ranks` or by the relative tolerance `tol`.
   */
  static fromConv2d(layer: Conv2d, o: TuckerFromDenseOptions): TuckerConv2d {
    const [out, inC, kh, kw] = layer.weight.shape;
    return TuckerConv2d.fromKernel(layer.weight, { ...layer.options, ...o }, layer.bias,
      [inC, out, kh, kw]);
  }

  /** The truncated HOSVD of a kernel [out, in, kh, kw] (the caller keeps `kernel` and `bias`). */
  static fromKernel(kernel: Tensor, o: TuckerFromDenseOptions & Conv2dOptions,
    bias: Tensor | null = null,
    [inC, out, kh, kw] = [kernel.shape[1], kernel.shape[0], kernel.shape[2], kernel.shape[3]]):
    TuckerConv2d {
    if (kernel.rank !== 4) {
      throw new Error(`TuckerConv2d.fromKernel: kernel [${kernel.shape}] must be [out, in, kh, kw]`);
    }
    const modes = checkModes(o.modes ?? [0, 1], kernel.shape);
    const most = modes.map((m) => unfoldingRank(kernel.shape, m));
    const maxRanks = perMode('maxRanks', o.maxRanks, modes, kernel.shape, most);
    const f = hosvdFactors(kernel, modes, o, maxRanks, 'TuckerConv2d.fromKernel');
    try {
      return new TuckerConv2d(inC, out, [kh, kw], { ...o, modes, maxRanks, ranks: undefined,
        tol: undefined, dtype: kernel.dtype as FloatDType }, { ...f, bias });
    } finally {
      for (const t of [f.core, ...f.bases]) t.dispose();
    }
  }

  /** The dense kernel's shape [out, in, kh, kw]. */
  get kernelShape(): [number, number, number, number] {
    return [this.outChannels, this.inChannels, ...this.kernelSize];
  }

  get denseParameters(): number {
    return this.kernelShape.reduce((a, b) => a * b, 1) + (this.bias?.size ?? 0);
  }

  /** The kernel 𝒞 ×ᵢ Uᵢ in the form the layer reads it now (the factors outside a step). */
  kernel(): Tensor {
    return tidy(() => this.kernelIn(this.form));
  }

  protected override applyForm(x: Tensor, form: FactorForm): Tensor {
    // The tangent form is linear in the kernel: one convolution with Σᵢ W(𝒦ᵢ) − (d − 1) W(𝒞).
    if (form.kind === 'tangent') return this.convolve(x, this.kernelIn(form));
    return super.applyForm(x, form);
  }

  protected applyFactors(x: Tensor, core: Tensor, bases: readonly (Tensor | null)[]): Tensor {
    return tuckerConv(x, core, bases, this);
  }

  private kernelIn(form: FactorForm): Tensor {
    switch (form.kind) {
      case 'factors': return rebuild(this.core, this.bases, this.modes);
      case 'K': {
        const { core, bases } = this.kFactors(form.basis, form.K);
        return rebuild(core, bases, this.modes);
      }
      case 'weight': return form.W;
      case 'tangent': {
        const d = this.bases.length;
        const Ks = form.K.map((K, i) => this.kernelIn({ kind: 'K', basis: i, K }));
        const sum = Ks.reduce((a, b) => add(a, b));
        return d === 1 ? sum : sum.sub(mul(this.kernelIn({ kind: 'factors' }), d - 1));
      }
    }
  }

  private convolve(x: Tensor, kernel: Tensor): Tensor {
    return withBias(conv2d(x, kernel, this.options), this);
  }

  /** Orthonormal random bases and a core with the init law's energy, or the HOSVD at `tol`. */
  private draw(o: TuckerConv2dOptions, rng: Rng): { core: Tensor; bases: Tensor[] } {
    const shape = this.kernelShape;
    const dtype = o.dtype ?? 'float32';
    const fanIn = this.inChannels * this.kernelSize[0] * this.kernelSize[1];
    if (o.tol !== undefined) {
      if (o.ranks !== undefined) {
        throw new Error(`TuckerConv2d: pass ranks or tol, not both (ranks ${o.ranks}, ` +
          `tol ${o.tol})`);
      }
      const W = initWeight(this.kind, shape, fanIn, rng, o);
      try {
        return hosvdFactors(W, this.modes, o, this.maxRanks, this.kind);
      } finally {
        W.dispose();
      }
    }
    const ranks = perMode('ranks', o.ranks, this.modes, shape, this.maxRanks);
    const coreShape = shape.map((n, m) => (this.modes.includes(m) ? ranks[this.modes.indexOf(m)]
      : n));
    const variance = weightVariance(this.kind, fanIn, o);
    const energy = shape.reduce((a, b) => a * b, 1) * variance;     // E‖𝒲‖²_F
    return tidy(() => {
      const bases = this.modes.map((m, i) => linalg.orth(randn([shape[m], ranks[i]],
        { rng, dtype })));
      const spectrum = o.spectrum ?? 'gaussian';
      const core = spectrum === 'gaussian'
        ? mul(randn(coreShape, { rng, dtype }), Math.sqrt(energy / prod(coreShape)))
        : decayingCore(coreShape, this.modes, spectrum, energy, rng, dtype);
      return { core, bases };
    });
  }
}

/** 𝒞 ×ᵢ Uᵢ over the non-null bases. */
function rebuild(core: Tensor, bases: readonly (Tensor | null)[], modes: readonly number[]):
  Tensor {
  return bases.reduce<Tensor>((c, u, i) => (u ? modeProduct(c, u, modes[i]) : c), core);
}

/** What the Tucker convolution needs of its layer (TuckerConv2d, TuckerFactorsConv2d). */
export interface TuckerConvLayout {
  /** Input channels C_in. */
  readonly inChannels: number;
  /** Output channels C_out. */
  readonly outChannels: number;
  /** [kh, kw]. */
  readonly kernelSize: readonly [number, number];
  /** The kernel mode of each basis. */
  readonly modes: readonly number[];
  /** The convolution's stride, padding and dilation. */
  readonly options: Conv2dOptions;
  /** Which way to convolve ('auto' compares the costs). */
  readonly path: TuckerPath;
  /** [out], added per output channel, or null. */
  readonly bias: Tensor | null;
}

/**
 * x ↦ conv2d(x, 𝒞 ×ᵢ Uᵢ) + bias over the non-null bases, by the path `l.path` picks: rebuilt
 * (one convolution with the kernel) or factorized (Uᵢₙᵀ as a 1×1 convolution, the core with
 * the spatial bases as a small kh×kw one, Uₒᵤₜ as a 1×1; tensorly-torch's tucker_conv).
 * 'auto' takes the one with fewer multiply-adds per image: factorized
 * H·W·in·r₁ + H'·W'·r₀·r₁·kh·kw + H'·W'·r₀·out (each 1×1 only where its basis is there),
 * rebuilt H'·W'·out·in·kh·kw.
 * @example tuckerConv(x, layer.core, layer.bases, layer)   // what layer.forward(x) computes
 */
export function tuckerConv(x: Tensor, core: Tensor, bases: readonly (Tensor | null)[],
  l: TuckerConvLayout): Tensor {
  const channel = (m: number) => (l.modes.indexOf(m) < 0 ? null : bases[l.modes.indexOf(m)]);
  const Uout = channel(0);
  const Uin = channel(1);
  const [kh, kw] = l.kernelSize;
  let factorized = l.path === 'factorized';
  if (l.path === 'auto') {
    const [ho, wo] = conv2dOutputSize(x, l.kernelSize, l.options);
    const [r0, r1] = core.shape;
    const cost = (Uin ? x.shape[2] * x.shape[3] * l.inChannels * r1 : 0) +
      ho * wo * r0 * r1 * kh * kw + (Uout ? ho * wo * r0 * l.outChannels : 0);
    factorized = cost < ho * wo * l.outChannels * l.inChannels * kh * kw;
  }
  if (!factorized) return withBias(conv2d(x, rebuild(core, bases, l.modes), l.options), l);
  const small = rebuild(core, bases.map((u, i) => (l.modes[i] > 1 ? u : null)), l.modes);
  // Uᵢₙᵀ mixes channels before the padding, which it commutes with (no bias: zero stays zero).
  const h0 = Uin ? conv2d(x, reshape(transpose(Uin), [Uin.shape[1], l.inChannels, 1, 1])) : x;
  const h1 = conv2d(h0, small, l.options);
  const y = Uout ? conv2d(h1, reshape(Uout, [l.outChannels, Uout.shape[1], 1, 1])) : h1;
  return withBias(y, l);
}

function withBias(y: Tensor, l: TuckerConvLayout): Tensor {
  return l.bias ? add(y, reshape(l.bias, [1, l.outChannels, 1, 1])) : y;
}

function prod(xs: readonly number[]): number {
  return xs.reduce((a, b) => a * b, 1);
}

/** min(nₘ, Π_{j≠m} nⱼ): the most a mode-m unfolding's rank can be. */
function unfoldingRank(shape: readonly number[], m: number): number {
  return Math.min(shape[m], prod(shape) / shape[m]);
}

function checkModes(modes: readonly number[], shape: readonly number[]): number[] {
  const ok = Array.isArray(modes) && modes.length > 0 && modes.every((m, k) =>
    Number.isInteger(m) && m >= 0 && m < 4 && modes.indexOf(m) === k);
  if (!ok) {
    throw new Error(`TuckerConv2d: modes [${String(modes)}] must be distinct kernel modes ` +
      `(0 out, 1 in, 2 kh, 3 kw), at least one`);
  }
  const trivial = modes.filter((m) => shape[m] === 1);
  if (trivial.length > 0) {
    throw new Error(`TuckerConv2d: mode ${trivial[0]} (${KERNEL_MODES[trivial[0]]}) has size 1 ` +
      `in kernel [${shape}]; it cannot be factorized`);
  }
  return [...modes];
}

/** One value per basis from a number or a list, each an integer in [1, most[i]]. */
function perMode(key: string, v: number | readonly number[] | undefined,
  modes: readonly number[], shape: readonly number[], most: readonly number[]): number[] {
  if (v === undefined) return [...most];
  const list = typeof v === 'number' ? modes.map(() => v) : [...v];
  if (list.length !== modes.length) {
    throw new Error(`TuckerConv2d: ${key} [${list}] has ${list.length} values for the ` +
      `${modes.length} modes [${modes}]`);
  }
  list.forEach((r, i) => {
    if (!Number.isInteger(r) || r < 1 || r > most[i]) {
      throw new Error(`TuckerConv2d: ${key} ${r} of mode ${modes[i]} ` +
        `(${KERNEL_MODES[modes[i]]}) is outside [1, ${most[i]}] for kernel [${shape}]`);
    }
  });
  return list;
}

/** The truncated HOSVD of `W` on `modes`, at `o.ranks` or by `o.tol`, within `maxRanks`. */
function hosvdFactors(W: Tensor, modes: readonly number[], o: TuckerFromDenseOptions,
  maxRanks: readonly number[], op: string): { core: Tensor; bases: Tensor[] } {
  let rules: TruncationRule[];
  if (o.tol !== undefined) {
    if (typeof o.tol !== 'number' || !(o.tol >= 0 && o.tol < 1)) {
      throw new Error(`${op}: tol must be in [0, 1), got ${String(o.tol)}`);
    }
    rules = maxRanks.map((rMax) => ({ kind: 'relative', theta: o.tol!, rMin: 1, rMax }));
  } else {
    const ranks = perMode('ranks', o.ranks, modes, W.shape, maxRanks);
    rules = ranks.map((rank) => ({ kind: 'rank', rank }));
  }
  const { core, factors } = partialHosvd(W, modes, rules, op);
  return { core, bases: factors };
}

/**
 * A superdiagonal core: entry j of every basis mode holds s·qʲ·𝒵ⱼ, 𝒵ⱼ a random unit-norm slice
 * of the other modes, and zero elsewhere, so each unfolding has the singular values s·qʲ
 * (j < the smallest rank); s² Σ q²ʲ = `energy`.
 */
function decayingCore(coreShape: readonly number[], modes: readonly number[],
  spectrum: { decay: number }, energy: number, rng: Rng,
  dtype: FloatDType): Tensor {
  const q = spectrum.decay;
  if (modes.length < 2 || !(q > 0 && q <= 1)) {
    throw new Error(`TuckerConv2d: spectrum { decay: ${q} } needs a decay in (0, 1] and two ` +
      `or more bases (modes [${modes}])`);
  }
  const k = Math.min(...modes.map((m) => coreShape[m]));
  const s = Math.sqrt(energy / Array.from({ length: k }, (_, j) => q ** (2 * j))
    .reduce((a, b) => a + b, 0));
  const rest = coreShape.map((n, m) => (modes.includes(m) ? 1 : n));
  const strides = coreShape.map((_, m) => prod(coreShape.slice(m + 1)));
  const data = new Float64Array(prod(coreShape));
  for (let j = 0; j < k; j++) {
    const z = Array.from({ length: prod(rest) }, () => rng.normal());
    const norm = Math.hypot(...z);
    z.forEach((v, flat) => {
      // The slice's multi-index over the non-basis modes, with j on every basis mode.
      let at = 0;
      let r = flat;
      for (let m = coreShape.length - 1; m >= 0; m--) {
        const idx = modes.includes(m) ? j : r % rest[m];
        if (!modes.includes(m)) r = Math.floor(r / rest[m]);
        at += idx * strides[m];
      }
      data[at] = (s * q ** j * v) / norm;
    });
  }
  return tensor(dtype === 'float64' ? data : Float32Array.from(data), [...coreShape], dtype);
}
