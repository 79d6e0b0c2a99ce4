// Oracle: @dlrt/core/testing's float64 references and finite differences (see conformance.ts).
import t from 'tap';
import { conformance } from '@dlrt/core/testing';
import '@dlrt/backend-wasm';

conformance(t, { backend: 'wasm' });
// Two threads: large GEMMs (matmul, conv2d and their gradients) split across a worker that
// computes in the same shared memory.
conformance(t, { backend: 'wasm', options: { threads: 2 }, dtypes: ['float32', 'float64'] });
