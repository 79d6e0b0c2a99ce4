/** Messages between the page (main.ts) and the training worker (train-worker.ts). */

/** The backends the demo can train on, best first. */
export const DEMO_BACKENDS = ['webgpu', 'wasm', 'cpu'] as const;
export type DemoBackend = (typeof DEMO_BACKENDS)[number];

/** The models the demo trains. */
export const DEMO_MODELS = ['mlp', 'lenet5'] as const;
export type DemoModel = (typeof DEMO_MODELS)[number];

/** What a run trains and for how long. */
export interface RunSettings {
  backend: DemoBackend;
  model: DemoModel;
  /** Absolute URL of the digits file. */
  digitsUrl: string;
  epochs: number;
  /** Stop after this many steps (0: run every epoch). */
  maxSteps: number;
  /** Evaluate on the test digits every this many steps. */
  evalEvery: number;
  seed: number;
}

export type ToWorker =
  | { t: 'probe' }
  | { t: 'start'; run: RunSettings }
  | { t: 'stop' }
  | { t: 'classify'; pixels: Float32Array };

export type FromWorker =
  | { t: 'backends'; available: DemoBackend[]; why: Partial<Record<DemoBackend, string>> }
  | { t: 'ready'; backend: string; train: number; test: number }
  | { t: 'step'; step: number; epoch: number; loss: number; ranks: Record<string, number[]>;
      compression: number; ms: number }
  | { t: 'eval'; step: number; accuracy: number; loss: number }
  | { t: 'done'; steps: number; seconds: number }
  | { t: 'prediction'; probabilities: number[] }
  | { t: 'error'; message: string };
