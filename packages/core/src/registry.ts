/** Backend registry: register, select and look up backends by name. */
import type { Backend } from './backend.js';
import { type BackendFactory, ENGINE } from './engine.js';

/**
 * Registers a backend under `name`. The highest-priority registration is the default.
 * @example registerBackend('cpu', (opts) => new CpuBackend(opts), 1);
 */
export function registerBackend(name: string, factory: BackendFactory, priority = 0): void {
  ENGINE.registry.set(name, { factory, priority });
}

/**
 * Names of the registered backends, highest priority first.
 * @example listBackends()   // e.g. ['cpu'] after importing '@dlrt/backend-cpu'
 */
export function listBackends(): string[] {
  return [...ENGINE.registry.entries()]
    .sort((a, b) => b[1].priority - a[1].priority)
    .map(([name]) => name);
}

function unknown(op: string, name: string): Error {
  const known = listBackends();
  const hint = known.length ? `registered: ${known.join(', ')}` : "none registered: import '@dlrt/backend-cpu'";
  return new Error(`${op}: unknown backend '${name}' (${hint})`);
}

/**
 * Makes `name` the active backend, creating it with `options` (the backend's own).
 * Calling it again with options re-creates the backend with the new options.
 * @example await setBackend('cpu', { threads: 2 });
 */
export async function setBackend(name: string, options?: Record<string, unknown>): Promise<Backend> {
  const reg = ENGINE.registry.get(name);
  if (!reg) throw unknown('setBackend', name);
  let inst = ENGINE.instances.get(name);
  if (!inst || options !== undefined) {
    const old = inst;
    inst = await reg.factory(options ?? {});
    ENGINE.instances.set(name, inst);
    if (old && ![...ENGINE.storage.values()].some((s) => s.backend === old)) await old.close?.();
  }
  ENGINE.active = inst;
  ENGINE.activeName = name;
  return inst;
}

/**
 * The active backend. Without a `setBackend` call, the default (highest-priority) backend is
 * created on first use, if its factory is synchronous. Throws when no backend is registered,
 * or when the default one starts asynchronously (then `await setBackend(name)` first).
 * @example getBackend().name   // 'cpu'
 */
export function getBackend(): Backend {
  if (ENGINE.active) return ENGINE.active;
  const name = listBackends()[0];
  if (name === undefined) {
    throw new Error("getBackend: no backend is registered; import '@dlrt/backend-cpu' first");
  }
  const made = ENGINE.registry.get(name)!.factory({});
  if (made instanceof Promise) {
    throw new Error(`getBackend: backend '${name}' starts asynchronously; await setBackend('${name}')`);
  }
  ENGINE.instances.set(name, made);
  ENGINE.active = made;
  ENGINE.activeName = name;
  return made;
}

/**
 * Closes every backend instance (threads, devices) and forgets them; registrations stay, and
 * the next op or `setBackend` creates a fresh instance.
 * @example await closeBackends();   // at the end of a script, so that worker threads exit
 */
export async function closeBackends(): Promise<void> {
  for (const inst of ENGINE.instances.values()) await inst.close?.();
  ENGINE.instances.clear();
  ENGINE.active = null;
  ENGINE.activeName = null;
}
