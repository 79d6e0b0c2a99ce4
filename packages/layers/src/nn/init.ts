/** Parameter initialisation and the seed options layers share. */
import { type FloatDType, rand, Rng, type Shape, type Tensor } from '@dlrt/core';

/** How a layer draws its initial weights; layers default to a seed derived from their shape. */
export interface InitOptions {
  /** A generator shared across layers (preferred: one seed for the whole model). */
  rng?: Rng;
  seed?: number;
  dtype?: FloatDType;
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
