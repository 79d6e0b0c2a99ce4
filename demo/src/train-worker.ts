/**
 * The training worker: it starts the chosen backend, loads the digits and trains a
 * rank-adaptive model step by step, posting each step's loss and ranks and, every few steps,
 * the test accuracy. In a worker, training never blocks the page, and the gpu backend may
 * block on Atomics while its device thread reads a buffer (a page's main thread may not).
 */
import { crossEntropy, getBackend, Rng, setBackend, softmax, tensor, tidy } from '@dlrt/core';
import '@dlrt/backend-cpu';
import '@dlrt/backend-wasm';
import {
  evaluate, type Integrator, integratorFor, labeledBatch, lenet5, type Method, mlp, type Module,
  parameterCounts, SGD, shuffledBatches,
} from '@dlrt/layers';
import { fetchDigits } from './digits.js';
import type { DemoBackend, FromWorker, RunSettings, ToWorker } from './protocol.js';

const scope = globalThis as unknown as {
  postMessage(m: FromWorker): void;
  addEventListener(type: 'message', f: (e: MessageEvent<ToWorker>) => void): void;
};
const post = (m: FromWorker) => scope.postMessage(m);

/** Each model's schedule: the `npm start` demo's for the MLP, the DLRT paper's for LeNet5. */
const PLANS: Record<RunSettings['model'], { method: Method; lr: number; momentum: number;
  tol: number; rank?: number; batch: number }> = {
  mlp: { method: 'parallel', lr: 0.1, momentum: 0.9, tol: 0.05, rank: 100, batch: 128 },
  // LeNet5's layers start at lenet5's default: each at its cap, half its matrix's smaller side.
  lenet5: { method: 'bug', lr: 0.05, momentum: 0.9, tol: 0.11, batch: 128 },
};

let model: Module | null = null;
let stopping = false;

/** Which backends start here; for the others, why not. */
async function probe(): Promise<FromWorker> {
  const available: DemoBackend[] = [];
  const why: Partial<Record<DemoBackend, string>> = {};
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
  if (adapter) available.push('webgpu');
  else why.webgpu = gpu ? 'no WebGPU adapter' : 'this browser has no WebGPU';
  const wasm = await import('@dlrt/backend-wasm');
  const reason = wasm.unsupportedReason() ??
    await wasm.compileKernels().then(() => null, (e: Error) => e.message);
  if (reason) why.wasm = reason;
  else available.push('wasm');
  available.push('cpu');
  return { t: 'backends', available, why };
}

async function startBackend(name: RunSettings['backend']): Promise<string> {
  if (name === 'webgpu') {
    await import('@dlrt/backend-gpu');
    await setBackend('gpu', { mode: 'webgpu' });
  } else {
    await setBackend(name, { threads: 1 });
  }
  const b = getBackend() as ReturnType<typeof getBackend> & { flavor?: string; mode?: string };
  return [b.name, b.flavor ?? b.mode].filter(Boolean).join(' ');
}

/** Lets queued messages (stop, classify) in between steps. */
const breathe = () => new Promise((resolve) => setTimeout(resolve, 0));

async function train(run: RunSettings): Promise<void> {
  const backend = await startBackend(run.backend);
  const { train: data, test } = await fetchDigits(run.digitsUrl);
  post({ t: 'ready', backend, train: data.count, test: test.count });
  const plan = PLANS[run.model];
  const rng = new Rng(run.seed);
  const lowRank = plan.rank === undefined ? {} : { rank: plan.rank };
  const m = run.model === 'mlp' ? mlp({ rng, lowRank, hidden: [500] }) : lenet5({ rng, lowRank });
  model = m;
  const integrator: Integrator = integratorFor(plan.method, m, {
    optimizer: new SGD({ lr: plan.lr, momentum: plan.momentum }), tol: plan.tol,
  });
  const before = evaluate(m, test);
  post({ t: 'eval', step: 0, accuracy: before.accuracy, loss: before.loss });
  const t0 = performance.now();
  let step = 0;
  for (let epoch = 1; epoch <= run.epochs && !stopping; epoch++) {
    for (const rows of shuffledBatches(data.count, plan.batch, () => rng.uniform())) {
      const t = performance.now();
      const { x, y } = labeledBatch(data, rows);
      let r;
      try {
        r = await integrator.step(() => crossEntropy(m.forward(x), y));
      } finally {
        x.dispose();
        y.dispose();
      }
      step++;
      const ranks = Object.fromEntries(Object.entries(r.ranks)
        .map(([k, v]) => [k, typeof v === 'number' ? [v] : [...v]]));
      post({ t: 'step', step, epoch, loss: r.loss, ranks,
        compression: parameterCounts(m).compression, ms: performance.now() - t });
      const last = run.maxSteps > 0 && step >= run.maxSteps;
      if (step % run.evalEvery === 0 || last) {
        const e = evaluate(m, test);
        post({ t: 'eval', step, accuracy: e.accuracy, loss: e.loss });
      }
      await breathe();
      if (last || stopping) break;
    }
    if (run.maxSteps > 0 && step >= run.maxSteps) break;
  }
  post({ t: 'done', steps: step, seconds: (performance.now() - t0) / 1000 });
}

function classify(pixels: Float32Array): void {
  if (!model) throw new Error('classify: no model yet; start training first');
  const m = model;
  const wasTraining = m.training;
  m.eval();
  const p = tidy(() => softmax(m.forward(tensor(pixels, [1, 784])), -1));
  m.train(wasTraining);
  post({ t: 'prediction', probabilities: Array.from(p.dataSync()) });
  p.dispose();
}

scope.addEventListener('message', (e) => {
  const m = e.data;
  try {
    if (m.t === 'probe') {
      probe().then(post, (err: Error) => post({ t: 'error', message: err.message }));
    } else if (m.t === 'start') {
      stopping = false;
      train(m.run).catch((err: Error) => post({ t: 'error', message: err.message }));
    } else if (m.t === 'stop') {
      stopping = true;
    } else {
      classify(m.pixels);
    }
  } catch (err) {
    post({ t: 'error', message: (err as Error).message });
  }
});
