/**
 * Adapters on a model: `applyAdapters` freezes the model and wraps its target layers,
 * `mergeAdapters` folds each update into its base and unwraps it, `trainableParameterCount`
 * counts what fine-tuning steps.
 */
import { add, type Rng, type Tensor, tidy } from '@dlrt/core';
import { Conv2d } from '../nn/conv2d.js';
import { Dense } from '../nn/dense.js';
import { FactorizedLayer } from '../nn/factorized-layer.js';
import type { Module } from '../nn/module.js';
import { GeoLoRAConv2d, GeoLoRADense } from './geolora-adapters.js';
import { AdaLoRA } from './adalora.js';
import { type AdaptableLayer, LoRA } from './lora.js';

/**
 * The adapter methods `applyAdapters` knows.
 * @example ADAPTER_METHODS.includes(name as AdapterMethod)
 */
export const ADAPTER_METHODS = ['lora', 'adalora', 'geolora'] as const;
/** One of `ADAPTER_METHODS`: 'lora', 'adalora' or 'geolora'. */
export type AdapterMethod = (typeof ADAPTER_METHODS)[number];

/** An adapter `applyAdapters` makes. */
export type Adapter = LoRA | AdaLoRA | GeoLoRADense | GeoLoRAConv2d;

function isAdapter(m: Module): m is Adapter {
  return m instanceof LoRA || m instanceof AdaLoRA || m instanceof GeoLoRADense ||
    m instanceof GeoLoRAConv2d;
}

/** Options of `applyAdapters`: the method, its ranks and α, the target layers and the draw. */
export interface AdapterOptions {
  /** Which adapter wraps each target: LoRA, AdaLoRA or GeoLoRA (Dense or Conv2d form). */
  method: AdapterMethod;
  /** LoRA's rank, AdaLoRA's initial rank (init_r), GeoLoRA's starting rank. */
  rank: number;
  /** LoRA's and AdaLoRA's α (the update is scaled by α/r; default r). */
  alpha?: number;
  /** GeoLoRA's rank cap (default max(r, ⌊min(n, m)/2⌋)). */
  maxRank?: number;
  /**
   * The dotted names of the layers to adapt (as `model.namedModules()` gives them), each a
   * Dense or a Conv2d. Default: every Dense and Conv2d.
   */
  targets?: readonly string[];
  /** Draws the adapters' initial factors (dlrt has no hidden random state). */
  rng: Rng;
}

/**
 * Freezes every parameter of `model`, then puts an adapter in the place of each target layer;
 * returns the adapters by the targets' names. Layers added afterwards (a new head) train as
 * usual.
 * @throws Error naming the target when it is missing, not a Dense or Conv2d, or already adapted;
 *   Error when the method is unknown or no layer is left to adapt.
 * @example const adapters = applyAdapters(model, { method: 'lora', rank: 8, rng: new Rng(1) })
 */
export function applyAdapters(model: Module, o: AdapterOptions): Map<string, Adapter> {
  if (!ADAPTER_METHODS.includes(o.method)) {
    throw new Error(`applyAdapters: method '${String(o.method)}' is not one of ` +
      `${ADAPTER_METHODS.join(', ')}`);
  }
  const modules = new Map(model.namedModules());
  const targets = o.targets ?? [...modules].filter(([n, m]) => n !== '' &&
    (m instanceof Dense || m instanceof Conv2d) && !isAdapted(model, n)).map(([n]) => n);
  if (targets.length === 0) throw new Error('applyAdapters: no layer to adapt');
  for (const name of targets) {
    const m = modules.get(name);
    if (!m) {
      throw new Error(`applyAdapters: no module '${name}' (modules: ${[...modules.keys()]
        .filter((n) => n).join(', ')})`);
    }
    if (!(m instanceof Dense || m instanceof Conv2d) || isAdapted(model, name)) {
      throw new Error(`applyAdapters: '${name}' is a ${m.constructor.name}` +
        `${isAdapted(model, name) ? ' already adapted' : ', not a Dense or Conv2d'}`);
    }
  }
  model.freeze();
  const adapters = new Map<string, Adapter>();
  for (const name of targets) {
    const base = modules.get(name) as AdaptableLayer;
    const adapter = o.method === 'lora'
      ? new LoRA(base, { rank: o.rank, alpha: o.alpha, rng: o.rng })
      : o.method === 'adalora' ? new AdaLoRA(base, { rank: o.rank, alpha: o.alpha, rng: o.rng })
      : base instanceof Dense ? new GeoLoRADense(base, { rank: o.rank, maxRank: o.maxRank,
        rng: o.rng })
        : new GeoLoRAConv2d(base, { rank: o.rank, maxRank: o.maxRank, rng: o.rng });
    parentOf(model, name).parent.replaceModule(parentOf(model, name).child, adapter);
    adapters.set(name, adapter);
  }
  return adapters;
}

/**
 * Folds every adapter's update into its base weight (W₀ + ΔW) and puts the base back in the
 * adapter's place, trainable again; the adapters' own factors are disposed. Returns the
 * merged layers by name.
 * @example mergeAdapters(model)   // model now holds plain Dense / Conv2d layers again
 */
export function mergeAdapters(model: Module): Map<string, AdaptableLayer> {
  const merged = new Map<string, AdaptableLayer>();
  for (const [name, m] of model.namedModules()) {
    if (!isAdapter(m)) continue;
    const base = m.base;
    tidy(() => base.weight.assign(add(base.weight, m.delta() as Tensor)));
    const { parent, child } = parentOf(model, name);
    parent.replaceModule(child, base);
    for (const v of base.parameters()) v.trainable = true;
    for (const v of m.parameters()) if (!base.parameters().includes(v)) v.dispose();
    merged.set(name, base);
  }
  return merged;
}

/**
 * Scalars that training steps: trainable parameters, and the core and bases of factorized
 * layers (integrators move the bases, which are not `trainable` to optimizers).
 * @example applyAdapters(model, o); trainableParameterCount(model)   // the adapters' factors
 */
export function trainableParameterCount(model: Module): number {
  const stepped = new Set(model.parameters().filter((v) => v.trainable));
  for (const m of model.modules()) {
    if (m instanceof FactorizedLayer) for (const v of [m.core, ...m.bases]) stepped.add(v);
  }
  return [...stepped].reduce((n, v) => n + v.size, 0);
}

/** Whether the module at `name` is the base inside an adapter. */
function isAdapted(model: Module, name: string): boolean {
  return isAdapter(parentOf(model, name).parent);
}

/** The module holding `name` and the child's own name in it. */
function parentOf(model: Module, name: string): { parent: Module; child: string } {
  const i = name.lastIndexOf('.');
  const parentName = i < 0 ? '' : name.slice(0, i);
  const parent = new Map(model.namedModules()).get(parentName)!;
  return { parent, child: name.slice(i + 1) };
}
