/** Parameter initialisation and the seed options layers share. */
import { type FloatDType, rand, randn, Rng, type Shape, type Tensor, zeros } from '@dlrt/core';

/**
 * Weight init schemes. 'uniform': U(−1/√fanIn, 1/√fanIn), PyTorch's default (variance
 * 1/(3·fanIn)), biases from the same law. 'he': N(0, 2/fanIn) with zero biases (He et al. 2015),
 * which keeps the activations' scale through a deep ReLU stack where 'uniform' shrinks it by
 * about 6× per layer.
 */
export type WeightInit = 'uniform' | 'he';
export const WEIGHT_INITS: readonly WeightInit[] = ['uniform', 'he'];

/** How a layer draws its initial weights; layers default to a seed derived from their shape. */
export interface InitOptions {
  /** A generator shared across layers (preferred: one seed for the whole model). */
  rng?: Rng;
  seed?: number;
  dtype?: FloatDType;
  /** Weight init scheme (default 'uniform'). */
  init?: WeightInit;
}

/**
 * The generator for a layer: `rng`, else `seed`, else a seed derived from the layer's kind and
 * shape. Same-shape layers built without rng/seed start equal, so models pass one `rng`.
 */
export function initRng(kind: string, shape: Shape, o: InitOptions): Rng {
  if (o.rng) return o.rng;
  if (o.seed !== undefined) return new Rng(o.seed);
  let h = 2166136261;
  for (const c of `${kind}${shape.join('x')}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return new Rng(h >>> 0);
}

/** U(−1/√fanIn, 1/√fanIn): PyTorch's default for Linear and Conv2d weights and biases. */
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

/** Variance of one weight entry under `o.init` for a layer with `fanIn` inputs per output. */
export function weightVariance(kind: string, fanIn: number, o: InitOptions): number {
  const f = Math.max(fanIn, 1);
  return scheme(kind, o) === 'he' ? 2 / f : 1 / (3 * f);
}

/** A weight tensor drawn under `o.init` ('uniform' or 'he'). */
export function initWeight(kind: string, shape: Shape, fanIn: number, rng: Rng, o: InitOptions):
  Tensor {
  const dtype = o.dtype ?? 'float32';
  return scheme(kind, o) === 'he'
    ? randn(shape, { rng, std: Math.sqrt(weightVariance(kind, fanIn, o)), dtype })
    : uniformFanIn(shape, fanIn, rng, dtype);
}

/** A bias under `o.init`: U(±1/√fanIn) for 'uniform', zeros for 'he'. */
export function initBias(kind: string, shape: Shape, fanIn: number, rng: Rng, o: InitOptions):
  Tensor {
  const dtype = o.dtype ?? 'float32';
  return scheme(kind, o) === 'he' ? zeros(shape, dtype) : uniformFanIn(shape, fanIn, rng, dtype);
}
