// The layer and integrator suite (@dlrt/layers/testing) on the cpu backend. Oracles: dense
// twins (full rank), W* (least squares), the dense student, identities such as ‖QᵀQ − I‖;
// tolerances from the dtype (bounds.ts).
import t from 'tap';
import '@dlrt/backend-cpu';
import { integratorSuite } from '@dlrt/layers/testing';

integratorSuite(t, { backend: 'cpu', dtype: 'float64' });
integratorSuite(t, { backend: 'cpu', dtype: 'float32' });
