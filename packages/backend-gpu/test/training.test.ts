// Training on the gpu backend (webgpu mode). Oracles: the cpu backend in float32 on the same
// initialization and batches (loss per step within 1e-4 relative), and invariants (live
// tensors, bytes and device buffers the same after step 10 and step 200: a leak of even one
// tensor or buffer per step shows).
import t from 'tap';
import { getBackend, memory, Rng, setBackend, tensor, type Tensor } from '@dlrt/core';
import '@dlrt/backend-cpu';
import '@dlrt/backend-gpu';
import type { GpuBackend } from '@dlrt/backend-gpu';
import { crossEntropy, GradientStep, mlp, SGD } from '@dlrt/layers';
import { mnist } from '@dlrt/layers/node';

const BATCH = 64;

/** The first `steps` batches of MNIST's training split, as plain arrays. */
function batches(steps: number): { x: Float32Array; y: Int32Array }[] {
  const data = mnist().train;
  return Array.from({ length: steps }, (_, s) => ({
    x: data.images.subarray(s * BATCH * 784, (s + 1) * BATCH * 784),
    y: Int32Array.from(data.labels.subarray(s * BATCH, (s + 1) * BATCH)),
  }));
}

/** Losses of SGD-with-momentum steps on a 784-64-10 MLP seeded identically on each backend. */
async function losses(backend: string, options: Record<string, unknown>, steps: number):
  Promise<number[]> {
  await setBackend(backend, options);
  const model = mlp({ rng: new Rng(7), hidden: [64] });
  const step = new GradientStep(model, { optimizer: new SGD({ lr: 0.05, momentum: 0.9 }) });
  const out: number[] = [];
  for (const b of batches(steps)) {
    const x: Tensor = tensor(b.x, [BATCH, 784]);
    const y: Tensor = tensor(b.y, [BATCH], 'int32');
    out.push((await step.step(() => crossEntropy(model.forward(x), y))).loss);
    x.dispose();
    y.dispose();
  }
  model.dispose();
  return out;
}

t.test('20 MLP steps on gpu (webgpu) match cpu float32 within 1e-4 relative', async (t) => {
  const cpu = await losses('cpu', {}, 20);
  const gpu = await losses('gpu', { mode: 'webgpu' }, 20);
  const rel = gpu.map((g, i) => Math.abs(g - cpu[i]) / Math.abs(cpu[i]));
  const worst = Math.max(...rel);
  t.ok(rel.length === 20 && worst <= 1e-4,
    `worst relative loss difference ${worst.toExponential(2)} (step ${rel.indexOf(worst)})`);
  t.ok(cpu[19] < cpu[0], `the loss falls (${cpu[0].toFixed(4)} → ${cpu[19].toFixed(4)})`);
});

t.test('memory stays flat over 200 training steps on gpu (webgpu)', async (t) => {
  const backend = (await setBackend('gpu', { mode: 'webgpu' })) as GpuBackend;
  const model = mlp({ rng: new Rng(3), inputSize: 32, hidden: [16], numClasses: 4 });
  const step = new GradientStep(model, { optimizer: new SGD({ lr: 0.05, momentum: 0.9 }) });
  const rng = new Rng(5);
  const x = tensor(Float32Array.from({ length: 16 * 32 }, () => rng.normal()), [16, 32]);
  const y = tensor(Int32Array.from({ length: 16 }, (_, i) => i % 4), [16], 'int32');
  const snap = () => ({ ...memory(), deviceBytes: backend.deviceBytes,
    deviceBuffers: backend.deviceBuffers });
  let first = snap();
  let last = first;
  const steps = 200;
  for (let i = 0; i < steps; i++) {
    await step.step(() => crossEntropy(model.forward(x), y));
    if (i === 9) first = snap();
    if (i === steps - 1) last = snap();
  }
  t.same([last.numTensors, last.numBytes, last.deviceBytes, last.deviceBuffers],
    [first.numTensors, first.numBytes, first.deviceBytes, first.deviceBuffers],
    `after step 10 vs ${steps}: ${first.numTensors} → ${last.numTensors} tensors, ` +
    `${first.deviceBytes} → ${last.deviceBytes} device bytes`);
  t.ok(getBackend() === backend, 'still on the gpu backend');
  model.dispose();
  x.dispose();
  y.dispose();
});
