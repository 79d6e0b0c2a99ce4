// The layer and integrator suite (@dlrt/layers/testing; oracles: dense twins, W*, identities
// such as ‖QᵀQ − I‖) in float32, the gpu backend's only float dtype, in webgpu mode (if it is
// missing, setBackend fails the run). An integrator step takes 40–100 ms on llvmpipe, so the
// suite runs at its short size. The layers reach the kernels only through core ops, and every
// mode's kernels (webasm and cpu too) are checked op by op in conformance.test.ts, so the
// suite runs in one mode.
import t from 'tap';
import '@dlrt/backend-gpu';
import { integratorSuite } from '@dlrt/layers/testing';

integratorSuite(t, { backend: 'gpu', options: { mode: 'webgpu' }, dtype: 'float32',
  size: 'short' });
