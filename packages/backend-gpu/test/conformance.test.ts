// Oracle: @dlrt/core/testing's float64 references and identities (see conformance.ts), run in
// float32 (the gpu backend's only float dtype). webgpu and webasm always run (the issue's
// modes: if either is missing, setBackend fails the run); any other mode that works here too.
import t from 'tap';
import { conformance } from '@dlrt/core/testing';
import { availableModes } from '@dlrt/backend-gpu';

const modes = [...new Set(['webgpu', 'webasm', ...await availableModes()])];
for (const mode of modes) {
  conformance(t, { backend: 'gpu', options: { mode }, float64: false });
}
