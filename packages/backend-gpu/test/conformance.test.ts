// Oracle: @dlrt/core/testing's float64 references and identities (see conformance.ts), run in
// float32 (the gpu backend's only float dtype) in each mode the issue names.
import t from 'tap';
import { conformance } from '@dlrt/core/testing';
import '@dlrt/backend-gpu';

for (const mode of ['webasm', 'webgpu']) {
  conformance(t, { backend: 'gpu', options: { mode }, float64: false });
}
