// The layer and integrator suite (@dlrt/layers/testing; oracles: dense twins, W*, identities
// such as ‖QᵀQ − I‖) in float32, the gpu backend's only float dtype. webgpu and webasm always
// run (if either is missing, setBackend fails the run). An integrator step takes 40–100 ms in
// these modes on llvmpipe, so the suite runs at its short size; the other modes' kernels are
// covered by conformance.test.ts.
import t from 'tap';
import '@dlrt/backend-gpu';
import { integratorSuite } from '@dlrt/layers/testing';

for (const mode of ['webgpu', 'webasm']) {
  integratorSuite(t, { backend: 'gpu', options: { mode }, dtype: 'float32', size: 'short' });
}
