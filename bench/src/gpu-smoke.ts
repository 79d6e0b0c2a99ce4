/**
 * gpu smoke test, for a machine with a real GPU: prints the WebGPU adapter the gpu backend
 * gets and the matmul throughput for n = 1024 … 4096. Run `bash scripts/setup.sh` once, then
 * `bench/gpu-smoke [--mode webgpu] [--sizes 1024,2048,3072,4096] [--reps 3]`.
 *
 * Each size: one warm-up product (compiles the kernel) with a read, then `reps` products
 * queued back to back and one read of the last; the device runs them in order, so that read
 * waits for all of them. GFLOP/s = 2·n³·reps / seconds (the final read included).
 */
import { parseArgs } from 'node:util';
import { dispose, matmul, randn, setBackend, type Tensor } from '@dlrt/core';
import { GPU_MODES, type GpuBackend, type GpuMode } from '@dlrt/backend-gpu';

const { values } = parseArgs({ options: {
  mode: { type: 'string', default: 'webgpu' },
  sizes: { type: 'string', default: '1024,2048,3072,4096' },
  reps: { type: 'string', default: '3' },
} });
const mode = values.mode as GpuMode;
if (!GPU_MODES.includes(mode)) throw new Error(`--mode: expected one of ${GPU_MODES.join('|')}`);
const sizes = values.sizes!.split(',').map(Number);
const reps = Number(values.reps);

const backend = (await setBackend('gpu', { mode })) as GpuBackend;
console.log(`gpu backend, mode ${backend.mode}`);
console.log(`adapter: ${backend.device.info}`);
for (const n of sizes) {
  const a = randn([n, n], { seed: 1 });
  const b = randn([n, n], { seed: 2 });
  const warm = matmul(a, b);
  await warm.data();
  const t0 = performance.now();
  const out: Tensor[] = [];
  for (let r = 0; r < reps; r++) out.push(matmul(a, b));
  await out[out.length - 1].data();
  const s = (performance.now() - t0) / 1e3;
  console.log(`matmul n=${n}: ${(s / reps * 1e3).toFixed(1)} ms per product, ` +
    `${((2 * n ** 3 * reps) / s / 1e9).toFixed(2)} GFLOP/s`);
  dispose([a, b, warm, ...out]);
}
