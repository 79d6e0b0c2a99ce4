/** Starting a worker thread from its script beside the calling module, built or from sources. */
import type { Worker, WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker script `name` that sits beside the module at `moduleUrl`. Built packages
 * run `<name>.js`. Under the sources (the tests run them through tsx with the `dlrt-source`
 * export condition, see .taprc) the module is a .ts file, and a worker does not inherit tsx's
 * loader: it registers tsx, then imports `<name>.ts`.
 * @example startWorker('worker', import.meta.url, { workerData })
 */
export function startWorker(name: string, moduleUrl: string, options: WorkerOptions = {}):
  Worker {
  // Loaded at the call, not imported: a page's bundle of this package then needs no Node stub.
  const { Worker } = process.getBuiltinModule('node:worker_threads');
  if (!moduleUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, moduleUrl), options);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const script = JSON.stringify(new URL(`./${name}.ts`, moduleUrl).href);
  return new Worker(`import(${tsx}).then((m) => { m.register(); return import(${script}); })`,
    { ...options, eval: true });
}
