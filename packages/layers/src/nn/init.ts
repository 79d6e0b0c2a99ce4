/** Parameter initialisation and the seed options layers share. */
import {
  type FloatDType, linalg, mul, rand, randn, reshape, Rng, type Shape, type Tensor, tidy,
  transpose, zeros,
} from '@dlrt/core';

/**
 * Weight init schemes. 'uniform': U(−1/√fanIn, 1/√fanIn), PyTorch's default (variance 1/(3·fanIn)),
 * biases from the same law. 'he': N(0, 2/fanIn) with zero biases (He et al. 2015), which keeps the
 * activations' scale through a deep ReLU stack where 'uniform' shrinks it by about 6× per layer.
 * 'orthogonal': He's energy (E‖W‖²_F = 2n for an n×m weight with m = fanIn) spread evenly over the
 * singular values of a random (semi-)orthogonal matrix (Saxe et al. 2014, gain √2), zero biases;
 * low-rank layers get S = σ·I, so truncation has no small values to cut until training makes some.
 * 'dlrt-net': what the DLRT reference code (COMPiLELab/DLRT-Net, `Linear_layer_lr_new.py`,
 * `my_conv.py`) does: dense layers and every bias as 'uniform', and a low-rank layer drawn from
 * scratch, with orthonormal random bases and S = diag of the r largest of 2·maxRank draws of
 * |N(0, 1)|, not scaled to the layer's size (see `randomFactors`).
 * 'abpsi-ref': the abPSI MNIST reference code's (Kusch, Schotthöfer & Walter): every dense
 * weight and every bias N(0, 1), and a low-rank layer with orthonormal random bases and an r×r
 * core of N(0, 1) entries, not diagonal (CoreSpectrum 'matrix'). Its ‖S‖_F ≈ r keeps the signal
 * through 784-500×4-10, where a diagonal of |N(0, 1)| (‖S‖_F ≈ √r) shrinks it about fivefold per
 * layer (docs/experiments/low-rank-mnist.md, "The abPSI and GeoLoRA MNIST MLPs").
 */
export type WeightInit = 'uniform' | 'he' | 'orthogonal' | 'dlrt-net' | 'abpsi-ref';
/**
 * Every WeightInit, for checking a name (an unknown `init` is an error).
 * @example WEIGHT_INITS.includes(name as WeightInit)
 */
export const WEIGHT_INITS: readonly WeightInit[] = ['uniform', 'he', 'orthogonal', 'dlrt-net',
  'abpsi-ref'];

/** What follows a layer, for the gain of 'he' and 'orthogonal' (PyTorch's calculate_gain names). */
export type InitGain = 'relu' | 'linear';
/**
 * Every InitGain, for checking a name (an unknown `gain` is an error).
 * @example INIT_GAINS.includes(name as InitGain)
 */
export const INIT_GAINS: readonly InitGain[] = ['relu', 'linear'];

/** How a layer draws its initial weights: from a generator, or a seed (one of the two). */
export interface InitOptions {
  /** A generator shared across layers (preferred: one seed for the whole model). */
  rng?: Rng;
  /** A seed for this layer alone, an integer in [0, 2³²). */
  seed?: number;
  /** The parameters' dtype (default 'float32'). */
  dtype?: FloatDType;
  /** Weight init scheme (default 'uniform'). */
  init?: WeightInit;
  /**
   * What follows the layer, for the gain of 'he' and 'orthogonal' (PyTorch's calculate_gain
   * names): 'relu' (default) gives weight variance 2/fanIn, 'linear' (an output layer) 1/fanIn.
   */
  gain?: InitGain;
}

/**
 * The generator a layer draws from: `rng`, else a new one from `seed`. dlrt has no hidden
 * random state, so a layer given neither is an error (two same-shape layers, such as an
 * attention block's Q, K and V projections, must never start equal by accident).
 * Throws when `o` has both or neither; `kind` names the layer in the message.
 * @example const rng = initRng('Dense', { seed: 1 });   // a new Rng(1); { rng } returns that rng
 */
export function initRng(kind: string, o: InitOptions): Rng {
  if (o.rng && o.seed !== undefined) {
    throw new Error(`${kind}: pass { rng } or { seed }, not both (seed ${o.seed})`);
  }
  if (o.rng) return o.rng;
  if (o.seed === undefined) {
    throw new Error(`${kind}: pass { rng } or { seed } to draw its initial weights ` +
      '(dlrt has no hidden random state)');
  }
  return new Rng(o.seed);
}

/**
 * U(−1/√fanIn, 1/√fanIn): PyTorch's default for Linear and Conv2d weights and biases (fanIn is
 * taken as at least 1).
 * @example uniformFanIn([500, 784], 784, new Rng(1), 'float32')   // entries in (−1/28, 1/28)
 */
export function uniformFanIn(shape: Shape, fanIn: number, rng: Rng, dtype: FloatDType): Tensor {
  const bound = 1 / Math.sqrt(Math.max(fanIn, 1));
  return rand(shape, { rng, low: -bound, high: bound, dtype });
}

/** The scheme of `o`, checked: a layer names itself when given an unknown one. */
function scheme(kind: string, o: InitOptions): WeightInit {
  const init = o.init ?? 'uniform';
  if (!WEIGHT_INITS.includes(init)) {
    throw new Error(`${kind}: init '${String(init)}' is not one of ${WEIGHT_INITS.join(', ')}`);
  }
  return init;
}

/**
 * Variance of one weight entry under `o.init` for a layer with `fanIn` inputs per output:
 * 1/(3·fanIn) for 'uniform' and 'dlrt-net', 1 for 'abpsi-ref', and gain/fanIn for 'he' and
 * 'orthogonal' (gain 2 for 'relu', the default, 1 for 'linear'). Throws on an unknown init
 * or gain, naming `kind`.
 * @example weightVariance('Dense', 784, { init: 'he' })   // 2/784
 */
export function weightVariance(kind: string, fanIn: number, o: InitOptions): number {
  const f = Math.max(fanIn, 1);
  if (uniformLaw(kind, o)) return 1 / (3 * f);
  if (scheme(kind, o) === 'abpsi-ref') return 1;
  const gain = o.gain ?? 'relu';
  if (!INIT_GAINS.includes(gain)) {
    throw new Error(`${kind}: gain '${String(gain)}' is not one of ${INIT_GAINS.join(', ')}`);
  }
  return (gain === 'relu' ? 2 : 1) / f;
}

/** Whether dense weights and biases follow the U(±1/√fanIn) law under `o.init`. */
function uniformLaw(kind: string, o: InitOptions): boolean {
  const s = scheme(kind, o);
  return s === 'uniform' || s === 'dlrt-net';
}

/**
 * How a low-rank layer draws its core's singular values under `o.init` (see `randomFactors`):
 * 'gaussian' sorted |N(0, s²)| with the dense law's energy, 'flat' all equal to that s,
 * 'unit' the largest r of 2·maxRank draws of |N(0, 1)|, 'matrix' a full r×r core of N(0, 1).
 */
export type CoreSpectrum = 'gaussian' | 'flat' | 'unit' | 'matrix';

/**
 * The CoreSpectrum of `o.init`: 'flat' for 'orthogonal', 'unit' for 'dlrt-net', 'matrix' for
 * 'abpsi-ref', 'gaussian' for 'uniform' and 'he'. Throws on an unknown init, naming `kind`.
 * @example coreSpectrum('LowRankDense', { init: 'dlrt-net' })   // 'unit'
 */
export function coreSpectrum(kind: string, o: InitOptions): CoreSpectrum {
  const s = scheme(kind, o);
  return s === 'orthogonal' ? 'flat' : s === 'dlrt-net' ? 'unit' : s === 'abpsi-ref' ? 'matrix'
    : 'gaussian';
}

/**
 * A weight tensor of `shape` drawn under `o.init` from `rng`, in `o.dtype` (default
 * 'float32'): U(±1/√fanIn) for 'uniform' and 'dlrt-net', N(0, weightVariance) for 'he' and
 * 'abpsi-ref', and for 'orthogonal' a scaled (semi-)orthogonal matrix, out × fanIn, reshaped
 * to `shape`.
 * @example initWeight('Dense', [500, 784], 784, new Rng(1), { init: 'he' })   // N(0, 2/784)
 */
export function initWeight(kind: string, shape: Shape, fanIn: number, rng: Rng, o: InitOptions):
  Tensor {
  const dtype = o.dtype ?? 'float32';
  switch (scheme(kind, o)) {
    case 'he':
    case 'abpsi-ref':
      return randn(shape, { rng, std: Math.sqrt(weightVariance(kind, fanIn, o)), dtype });
    case 'orthogonal': return orthogonalWeight(shape, fanIn, weightVariance(kind, fanIn, o), rng,
      dtype);
    default: return uniformFanIn(shape, fanIn, rng, dtype);
  }
}

/**
 * The n×m matrix (m = fanIn, n = the rest of `shape`) with orthonormal rows or columns, scaled so
 * that E‖W‖²_F = n·m·variance, reshaped to `shape`.
 */
function orthogonalWeight(shape: Shape, fanIn: number, variance: number, rng: Rng,
  dtype: FloatDType): Tensor {
  const m = Math.max(fanIn, 1);
  const n = shape.reduce((a, b) => a * b, 1) / m;
  return tidy(() => {
    const q = n >= m ? linalg.orth(randn([n, m], { rng, dtype }))
      : transpose(linalg.orth(randn([m, n], { rng, dtype })));
    const sigma = Math.sqrt((n * m * variance) / Math.min(n, m));
    return reshape(mul(q, sigma), shape);
  });
}

/**
 * A bias under `o.init`: U(±1/√fanIn) for 'uniform' and 'dlrt-net', N(0, 1) for 'abpsi-ref',
 * zeros otherwise ('he', 'orthogonal').
 * @example initBias('Dense', [500], 784, rng, {})   // U(±1/28), the 'uniform' default
 */
export function initBias(kind: string, shape: Shape, fanIn: number, rng: Rng, o: InitOptions):
  Tensor {
  const dtype = o.dtype ?? 'float32';
  if (scheme(kind, o) === 'abpsi-ref') return randn(shape, { rng, dtype });
  return uniformLaw(kind, o) ? uniformFanIn(shape, fanIn, rng, dtype)
    : zeros(shape, dtype);
}
