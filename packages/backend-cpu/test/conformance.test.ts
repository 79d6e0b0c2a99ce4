// Oracle: @dlrt/core/testing's float64 references and finite differences (see conformance.ts).
import t from 'tap';
import { conformance } from '@dlrt/core/testing';
import '@dlrt/backend-cpu';

conformance(t, { backend: 'cpu' });
// The thread pool splits large GEMMs (matmul, conv2d and their gradients) across workers.
conformance(t, { backend: 'cpu', options: { threads: 2 }, dtypes: ['float32', 'float64'] });
