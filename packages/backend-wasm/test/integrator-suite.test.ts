// The layer and integrator suite (@dlrt/layers/testing; oracles: dense twins, W*, identities
// such as ‖QᵀQ − I‖) on the wasm backend: float64 at full size; float32 and two threads
// (float64 and float32 conformance covers their kernels) at the short size, to keep the run
// short.
import t from 'tap';
import '@dlrt/backend-wasm';
import { integratorSuite } from '@dlrt/layers/testing';

integratorSuite(t, { backend: 'wasm', dtype: 'float64' });
integratorSuite(t, { backend: 'wasm', dtype: 'float32', size: 'short' });
integratorSuite(t, { backend: 'wasm', options: { threads: 2 }, dtype: 'float32', size: 'short' });
