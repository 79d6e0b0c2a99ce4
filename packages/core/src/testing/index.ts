/**
 * @dlrt/core/testing: the backend conformance suite and the float64 references it checks
 * against. Backends run it from their tests; see `conformance`.
 * @example
 * import t from 'tap';
 * import { conformance } from '@dlrt/core/testing';
 * import '@dlrt/backend-cpu';
 * conformance(t, { backend: 'cpu' });
 */
export { conformance, type ConformanceOptions } from './conformance.js';
export {
  checkForward, checkGradient, checkThrows, compare, type ForwardCase, type GradCase, type Input,
  Inputs, type TestLike, type Tol, tolFor,
} from './check.js';
export * from './reference.js';
export * from './reference-nn.js';
export { maxAbsDiff, orthonormalityError } from './measures.js';
