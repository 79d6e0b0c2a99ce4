/** A model as the integrators see it: its factorized layers and everything else. */
import type { Variable } from '@dlrt/core';
import { FactorizedLayer } from '../nn/factorized-layer.js';
import type { Module } from '../nn/module.js';
import type { Rank } from './integrator.js';

/** A model split into its factorized layers (by dotted name) and every other trainable Variable. */
export interface FactorizedParts {
  /** The factorized layers' dotted module names, in module order. */
  names: string[];
  /** The factorized layers, in the same order as `names`. */
  layers: FactorizedLayer[];
  /** Biases and dense weights: stepped by the inner optimizer in the core (S) pass. */
  others: Variable[];
}

/**
 * The factorized layers of `model`, in module order, and its other trainable parameters.
 * @example const { names, layers, others } = factorizedParts(model)
 */
export function factorizedParts(model: Module): FactorizedParts {
  const named = model.namedModules().filter(([, m]) => m instanceof FactorizedLayer) as
    [string, FactorizedLayer][];
  const factors = new Set<Variable>(named.flatMap(([, l]) => [l.core, ...l.bases]));
  return {
    names: named.map(([n]) => n),
    layers: named.map(([, l]) => l),
    others: model.parameters().filter((v) => v.trainable && !factors.has(v)),
  };
}

/**
 * The parts of a model for an integrator defined for matrices only (W = U S Vᵀ: a 2-D core with
 * a basis on each mode); any other factorized layer is an error naming it.
 * @example const parts = matrixParts('ParallelBUG', model)
 */
export function matrixParts(integrator: string, model: Module): FactorizedParts {
  const parts = factorizedParts(model);
  parts.layers.forEach((l, i) => {
    if (l.core.rank !== 2 || l.bases.length !== 2 || l.modes[0] !== 0 || l.modes[1] !== 1) {
      throw new Error(`${integrator}: layer '${parts.names[i]}' (${l.kind}, core ` +
        `[${l.core.shape}], bases on modes [${l.modes}]) is not a matrix U S Vᵀ; ` +
        `${integrator} is defined for matrix layers only`);
    }
  });
  return parts;
}

/**
 * Each factorized layer's rank by name.
 * @example ranksOf(factorizedParts(model))   // { '0': 32, '2': [16, 8] }
 */
export function ranksOf(parts: FactorizedParts): Record<string, Rank> {
  return Object.fromEntries(parts.layers.map((l, i) => [parts.names[i], l.rank]));
}
