/**
 * The backend conformance suite. Every backend runs it from its own tests:
 *
 *   import t from 'tap';
 *   import { conformance } from '@dlrt/core/testing';
 *   import '@dlrt/backend-cpu';
 *   conformance(t, { backend: 'cpu' });
 *
 * Oracles: forward values are compared with the float64 references in reference*.ts on seeded
 * random inputs (tolerance from the dtype, see `tolFor`); gradients with central finite
 * differences in float64; the rest with closed forms or the contract in backend.ts.
 */
import type { FloatDType } from '../dtype.js';
import { closeBackends, setBackend } from '../registry.js';
import { Rng } from '../rng.js';
import { dispose, memory } from '../scope.js';
import { tensor } from '../ops/creation.js';
import { sum } from '../ops/reduce.js';
import { backpropCases } from './cases-backprop.js';
import { elementwiseCases, int32ElementwiseCases } from './cases-elementwise.js';
import { nnCases } from './cases-nn.js';
import { int32ShapeCases, shapeCases } from './cases-shape.js';
import { checkForward, checkGradient, type ForwardCase, type GradCase, Inputs,
  type TestLike } from './check.js';
import { autodiffApiChecks, dispatchErrorChecks, float64RefusedChecks, storageChecks } from
  './contract.js';
import { nnGrads } from './grads-nn.js';
import { elementwiseAndShapeGrads } from './grads.js';
import { linalgChecks, linalgErrorChecks } from './linalg.js';

export interface ConformanceOptions {
  /** The registered backend's name, as given to `setBackend`. */
  backend: string;
  /** The backend's own options, as given to `setBackend` (e.g. `{ threads: 2 }`). */
  options?: Record<string, unknown>;
  /** Float dtypes whose forward values are checked; default both. Gradients need float64. */
  dtypes?: FloatDType[];
  /** Seed of the random inputs (default 1). */
  seed?: number;
  /**
   * Whether the backend stores float64 tensors (default true). A float32-only backend (gpu)
   * sets false: then `dtypes` must be ['float32'], the checks that need float64 input (casts
   * to float64, mixed float32/float64 errors, float64 linalg errors) use float32 or int32
   * instead, the finite-difference gradient groups (float64 only) do not run, and a group
   * checks that float64 is refused with an error naming it.
   */
  float64?: boolean;
}

/**
 * Registers the conformance subtests of one backend configuration on `t`. Each subtest
 * creates the backend with `setBackend(backend, options)` and checks that it leaks no
 * tensors; the last one closes every backend instance (threads, devices).
 * @example conformance(t, { backend: 'cpu', options: { threads: 2 }, dtypes: ['float32'] });
 */
export function conformance(t: TestLike, o: ConformanceOptions): void {
  const float64 = o.float64 ?? true;
  const dtypes = o.dtypes ?? (float64 ? ['float32', 'float64'] : ['float32']);
  if (!float64 && dtypes.includes('float64')) {
    throw new Error('conformance: float64: false needs dtypes without float64');
  }
  const label = o.options ? `${o.backend} ${JSON.stringify(o.options)}` : o.backend;
  const seed = o.seed ?? 1;

  const group = (name: string, body: (t: TestLike, g: Inputs) => void | Promise<void>): void => {
    void t.test(`${label}: ${name}`, async (tt) => {
      await setBackend(o.backend, o.options ?? {});
      const start = memory().numTensors;
      const began = Date.now();
      await body(tt, new Inputs(new Rng(seed)));
      const leaked = memory().numTensors - start;
      tt.ok(leaked === 0, `${name}: no tensor leaked (${leaked} left)`);
      tt.comment(`${name}: ${Date.now() - began} ms`);
    });
  };
  const forward = (dtype: FloatDType | 'int32', make: (g: Inputs) => ForwardCase[]) =>
    (t: TestLike, g: Inputs): void => {
      for (const c of make(g)) checkForward(t, dtype, c);
    };
  const gradients = (make: (g: Inputs) => GradCase[]) => (t: TestLike, g: Inputs): void => {
    for (const c of make(g)) checkGradient(t, g, c);
  };

  for (const dtype of dtypes) {
    group(`elementwise ${dtype}`, forward(dtype, (g) => elementwiseCases(g, dtype, float64)));
    group(`reductions and shape ops ${dtype}`, forward(dtype, shapeCases));
    group(`matmul, softmax, cross-entropy, conv2d, pooling ${dtype}`, forward(dtype, nnCases));
    group(`large matmul and conv2d gradients ${dtype}`, forward(dtype, backpropCases));
    group(`storage, reads, memory, dispose ${dtype}`, (tt, g) => storageChecks(tt, g, dtype));
    group(`grad, valueAndGrads, variableGrads ${dtype}`,
      (tt, g) => autodiffApiChecks(tt, g, dtype));
    group(`linalg: qr, svd, eigh, cholesky, solveTriangular, orth ${dtype}`,
      (tt, g) => linalgChecks(tt, g, dtype));
  }
  group('linalg errors', (tt) => linalgErrorChecks(tt, float64 ? 'float64' : 'float32'));
  group('int32 paths', forward('int32', (g) => [...int32ElementwiseCases(g),
    ...int32ShapeCases(g)]));
  group('errors at dispatch', (tt, g) => dispatchErrorChecks(tt, g, float64));
  if (!float64) group('float64 refused', float64RefusedChecks);
  if (dtypes.includes('float64')) {
    group('finite-difference gradients: elementwise, reductions, shape ops (float64)',
      gradients(elementwiseAndShapeGrads));
    group('finite-difference gradients: matmul, softmax, cross-entropy, conv2d, pooling ' +
      '(float64)', gradients(nnGrads));
  }
  void t.test(`${label}: close`, async (tt) => {
    await closeBackends();
    // After closing, the backend can be created afresh and still computes.
    await setBackend(o.backend, o.options ?? {});
    const x = tensor([1, 2, 3], [3], dtypes[0]);
    const y = sum(x);
    tt.ok(y.item() === 6, `${label}: backend re-created after close computes`);
    dispose([x, y]);
    await closeBackends();
  });
}
