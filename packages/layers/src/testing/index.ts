/**
 * @dlrt/layers/testing: the layer and integrator suite every backend runs, beside core's
 * backend `conformance`. See `integratorSuite`.
 * @example
 * import t from 'tap';
 * import { integratorSuite } from '@dlrt/layers/testing';
 * import '@dlrt/backend-cpu';
 * integratorSuite(t, { backend: 'cpu', dtype: 'float64' });
 */
export {
  integratorSuite, type IntegratorSuiteOptions, SIZES, type SuiteContext, type SuiteSize,
  type SuiteSteps,
} from './suite.js';
export { type Bounds, boundsFor } from './bounds.js';
