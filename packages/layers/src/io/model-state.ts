/**
 * A model's parameters as a safetensors file: every parameter under its dotted name, a
 * factorized layer's core and bases at their current ranks. The metadata holds the caller's
 * description of the model and, under "dlrt.ranks", each factorized layer's ranks. Loading
 * resizes a factorized layer's factors to the saved ranks; any other shape must match.
 */
import { tensor, tidy } from '@dlrt/core';
import { FactorizedLayer } from '../nn/factorized-layer.js';
import type { Module } from '../nn/module.js';
import {
  decodeSafetensors, encodeSafetensors, type SafeDType, type SafeTensor, type Safetensors,
} from './safetensors.js';

/**
 * The metadata key of the ranks: JSON of { layer name: ranks }. `encodeModel` writes it and
 * refuses caller metadata under it.
 * @example JSON.parse(loadModel(model, bytes)[RANKS_KEY])   // { '1': [32, 32] }
 */
export const RANKS_KEY = 'dlrt.ranks';

/** Each factorized layer's dotted name and the layer. */
function factorizedLayers(model: Module): [string, FactorizedLayer][] {
  return model.namedModules().filter((e): e is [string, FactorizedLayer] =>
    e[1] instanceof FactorizedLayer);
}

/**
 * Each factorized layer's ranks, by its dotted name.
 * @example modelRanks(mlp({ rng: new Rng(1), lowRank: { rank: 32 } }))   // { '1': [32, 32] }
 */
export function modelRanks(model: Module): Record<string, number[]> {
  return Object.fromEntries(factorizedLayers(model).map(([n, l]) => [n, l.ranks]));
}

/**
 * The parameters as safetensors entries (copies of their values), in registration order;
 * throws for a parameter that is not float32 or float64.
 * @example modelTensors(model)[0]   // ['1.U', { dtype: 'float32', shape: [500, 32], data }]
 */
export function modelTensors(model: Module): [string, SafeTensor][] {
  return model.namedParameters().map(([name, v]) => {
    if (v.dtype !== 'float32' && v.dtype !== 'float64') {
      throw new Error(`modelTensors: parameter '${name}' is ${v.dtype}`);
    }
    return [name, { dtype: v.dtype, shape: [...v.shape], data: v.dataSync().slice() as
      Float32Array | Float64Array }];
  });
}

/**
 * The model as safetensors bytes. `metadata` (strings; e.g. the model's arguments as JSON)
 * is stored beside the ranks; a key equal to RANKS_KEY is an error.
 * @example const bytes = encodeModel(model, { args: JSON.stringify(args) });
 */
export function encodeModel(model: Module, metadata: Record<string, string> = {}): Uint8Array {
  if (RANKS_KEY in metadata) throw new Error(`encodeModel: metadata key '${RANKS_KEY}' is dlrt's`);
  return encodeSafetensors(modelTensors(model),
    { ...metadata, [RANKS_KEY]: JSON.stringify(modelRanks(model)) });
}

/**
 * Loads `file` (decoded, or bytes) into `model`; `source` names it in errors. Returns the
 * file's metadata.
 * @throws Error naming the source and the tensor: one the model lacks or the file lacks, a
 *   dtype other than the parameter's, a shape other than the parameter's (a factorized
 *   layer's factors may change rank only, consistently and within its caps). Nothing is
 *   assigned until every tensor has been checked.
 * @example const metadata = loadModel(model, bytes, 'model.safetensors');
 */
export function loadModel(model: Module, file: Safetensors | Uint8Array | ArrayBuffer,
  source = 'bytes'): Record<string, string> {
  const f = file instanceof Uint8Array || file instanceof ArrayBuffer
    ? decodeSafetensors(file, source) : file;
  const fail = (what: string): never => {
    throw new Error(`loadModel: ${source}: ${what}`);
  };
  const named = model.namedParameters();
  const params = new Map(named);
  for (const name of f.tensors.keys()) {
    if (!params.has(name)) fail(`tensor '${name}' is not a parameter of the model`);
  }
  const factors = new Set(factorizedLayers(model).flatMap(([, l]) => [l.core, ...l.bases]));
  const planned: [typeof named[number][1], SafeTensor][] = [];
  for (const [name, v] of named) {
    const t = f.tensors.get(name) ?? fail(`no tensor '${name}' (shape [${v.shape}])`);
    if (t.dtype !== v.dtype) fail(`tensor '${name}' is ${t.dtype}, the model's ${v.dtype}`);
    const same = t.shape.length === v.shape.length && t.shape.every((d, i) => d === v.shape[i]);
    if (!same && !factors.has(v)) {
      fail(`tensor '${name}' has shape [${t.shape}], the model's [${v.shape}]`);
    }
    if (!same && t.shape.length !== v.shape.length) {
      fail(`tensor '${name}' has ${t.shape.length} modes, the model's ${v.shape.length}`);
    }
    planned.push([v, t]);
  }
  // Factor shapes: a basis keeps its rows and has as many columns as the core has entries
  // along its mode, within the layer's cap.
  for (const [lname, l] of factorizedLayers(model)) {
    const core = f.tensors.get(named.find(([, v]) => v === l.core)![0])!;
    l.bases.forEach((b, i) => {
      const bname = named.find(([, v]) => v === b)![0];
      const saved = f.tensors.get(bname)!;
      const r = saved.shape[1];
      if (saved.shape[0] !== b.shape[0] || r !== core.shape[l.modes[i]] || r < 1 ||
        r > l.maxRanks[i]) {
        fail(`layer '${lname}': basis '${bname}' of shape [${saved.shape}] does not fit its ` +
          `core [${core.shape}] (mode ${l.modes[i]}) with ${b.shape[0]} rows and rank ≤ ` +
          `${l.maxRanks[i]}`);
      }
    });
  }
  for (const [v, t] of planned) {
    tidy(() => v.assign(tensor(t.data, t.shape, t.dtype as SafeDType), { resize: true }));
  }
  return f.metadata;
}
