/** Module: the base of every layer and model; holds named parameters and child modules. */
import { dispose, type Tensor, Variable } from '@dlrt/core';

/**
 * A layer or a model. Subclasses register their parameters and children in the constructor
 * and implement `forward`. Names are dotted paths (`0.weight`, `block.attn.q.weight`).
 * @example
 * class Affine extends Module {
 *   readonly w = this.addParameter('w', randn([3, 3], { seed: 1 }));
 *   forward(x: Tensor) { return matmul(x, this.w); }
 * }
 */
export abstract class Module {
  /** Set by train()/eval(); layers such as dropout read it. */
  training = true;
  private readonly params = new Map<string, Variable>();
  private readonly children = new Map<string, Module>();

  /** The module's output for the input `x` (further inputs in `rest` where a layer takes them). */
  abstract forward(x: Tensor, ...rest: Tensor[]): Tensor;

  /** Registers `value` as a trainable parameter named `name` and returns its Variable. */
  protected addParameter(name: string, value: Tensor, options: { trainable?: boolean } = {}):
    Variable {
    this.checkName(name);
    const v = new Variable(value, { name, trainable: options.trainable ?? true });
    value.dispose();
    this.params.set(name, v);
    return v;
  }

  /** Registers a child module under `name` and returns it. */
  protected addModule<M extends Module>(name: string, module: M): M {
    this.checkName(name);
    this.children.set(name, module);
    return module;
  }

  private checkName(name: string): void {
    if (!name || name.includes('.') || this.params.has(name) || this.children.has(name)) {
      throw new Error(`${this.constructor.name}: parameter or module name '${name}' is empty, ` +
        'dotted or already taken');
    }
  }

  /** Every parameter below this module with its dotted name, depth first in registration order. */
  namedParameters(prefix = ''): [string, Variable][] {
    const out: [string, Variable][] = [];
    for (const [n, v] of this.params) out.push([prefix + n, v]);
    for (const [n, m] of this.children) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }

  /** Every parameter below this module, in `namedParameters` order (what an optimizer steps). */
  parameters(): Variable[] {
    return this.namedParameters().map(([, v]) => v);
  }

  /**
   * Puts `next` in the place of the child `name` (which must exist) and returns the old child,
   * not disposed: adapters wrap a layer this way (`applyAdapters`), and merging unwraps it.
   */
  replaceModule(name: string, next: Module): Module {
    const old = this.children.get(name);
    if (!old) {
      throw new Error(`${this.constructor.name}.replaceModule: no child module '${name}' ` +
        `(children: ${[...this.children.keys()].join(', ') || 'none'})`);
    }
    this.children.set(name, next);
    return old;
  }

  /** Child modules with their names (direct children only). */
  namedChildren(): [string, Module][] {
    return [...this.children];
  }

  /** Every module below this one with its dotted path ('' for this module), depth first. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix.replace(/\.$/, ''), this]];
    for (const [n, m] of this.children) out.push(...m.namedModules(`${prefix}${n}.`));
    return out;
  }

  /** This module and every module below it. */
  modules(): Module[] {
    return [this, ...[...this.children.values()].flatMap((m) => m.modules())];
  }

  /**
   * Marks every parameter below this module untrainable, so that optimizers and integrators
   * leave it as it is (a frozen base under an adapter); returns this.
   */
  freeze(): this {
    for (const v of this.parameters()) v.trainable = false;
    return this;
  }

  /** Number of scalar parameters (trainable or not). */
  numParameters(): number {
    return this.parameters().reduce((n, v) => n + v.size, 0);
  }

  /** Sets `training` to `on` on this module and every module below it; returns this. */
  train(on = true): this {
    for (const m of this.modules()) m.training = on;
    return this;
  }

  /** `train(false)`: inference mode (dropout off) for this module and those below it. */
  eval(): this {
    return this.train(false);
  }

  /** Disposes every parameter. */
  dispose(): void {
    dispose(this.parameters());
  }
}

/**
 * Runs modules one after another, each on the previous one's output; they are its children
 * '0', '1', …, so parameter names read `0.weight`, `2.bias`.
 * @example new Sequential([new Dense(784, 100, { seed: 1 }), new ReLU(), new Dense(100, 10, { seed: 2 })])
 */
export class Sequential extends Module {
  constructor(layers: readonly Module[]) {
    super();
    layers.forEach((m, i) => this.addModule(String(i), m));
  }

  /** The modules in order (children '0', '1', …; `replaceModule` swaps one in place). */
  get layers(): readonly Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  forward(x: Tensor): Tensor {
    return this.layers.reduce((h, m) => m.forward(h), x);
  }
}
