/**
 * profile suite: where a training step's time goes, per backend. Runs dense training steps of
 * LeNet5 and of the 784-500-10 MLP (batch 128, float32, SGD, random inputs) under V8's
 * sampling profiler (node:inspector) and sums the self time of every sampled function by the
 * kernel file it lives in (gemm, conv, elementwise, reduce, pool, ...), on the cpu backend and
 * on the wasm backend.
 */
import { Session } from 'node:inspector/promises';
import { closeBackends, crossEntropy, dispose, randn, Rng, setBackend, tensor } from '@dlrt/core';
import '@dlrt/backend-cpu';
import '@dlrt/backend-wasm';
import { integratorFor, lenet5, mlp, type Module, SGD } from '@dlrt/layers';
import { fmt, machineInfo, markdownTable, writeResults } from './report.js';

const BATCH = 128;
const STEPS = 12;

interface Node {
  id: number;
  callFrame: { functionName: string; url: string };
}
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[] }

/** The group a sampled function's time counts toward: its kernel file, or a coarser bucket. */
function groupOf(frame: Node['callFrame']): string {
  const { url, functionName } = frame;
  if (url.startsWith('wasm://')) return 'wasm kernels';
  const kernel = /backend-cpu\/(?:src|dist)\/kernels\/([\w-]+)\.[jt]s/.exec(url);
  if (kernel) return `cpu kernels/${kernel[1].replace(/-f(32|64)$/, '')}`;
  if (/backend-cpu\/(?:src|dist)\/linalg\//.test(url)) return 'cpu linalg';
  if (/backend-wasm\//.test(url)) return 'wasm backend (JS: heap, copies)';
  if (/backend-cpu\//.test(url)) return 'cpu backend (JS: dispatch)';
  if (/\/core\//.test(url)) return 'core (dispatch, autodiff, checks)';
  if (/\/layers\//.test(url)) return 'layers';
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (functionName === '(idle)' || functionName === '(program)') return 'idle / program';
  return 'other';
}

async function profileSteps(session: Session, model: Module, rng: Rng):
  Promise<{ ms: number; groups: Map<string, number> }> {
  const integrator = integratorFor('dense', model, { optimizer: new SGD({ lr: 0.01 }) });
  const x = randn([BATCH, 784], { rng });
  const y = tensor(Int32Array.from({ length: BATCH }, () => rng.int(10)), [BATCH], 'int32');
  const step = () => integrator.step(() => crossEntropy(model.forward(x), y));
  for (let i = 0; i < 3; i++) await step(); // warm-up: JIT tiers, optimizer state
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const t0 = performance.now();
  for (let i = 0; i < STEPS; i++) await step();
  const ms = (performance.now() - t0) / STEPS;
  const { profile } = await session.post('Profiler.stop') as { profile: Profile };
  dispose([x, y]);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const groups = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const g = groupOf(byId.get(id)!.callFrame);
    groups.set(g, (groups.get(g) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1e3);
  });
  return { ms, groups };
}

interface Row { backend: string; model: string; stepMs: number; group: string; share: number }

export async function runProfile(): Promise<void> {
  const started = performance.now();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  const rows: Row[] = [];
  for (const backend of ['cpu', 'wasm']) {
    await setBackend(backend, { threads: 1 });
    for (const name of ['lenet5', 'mlp'] as const) {
      const rng = new Rng(1);
      const model = name === 'lenet5' ? lenet5({ rng }) : mlp({ rng, hidden: [500] });
      const { ms, groups } = await profileSteps(session, model, rng);
      model.dispose();
      const total = [...groups.values()].reduce((a, b) => a + b, 0);
      console.log(`${backend} ${name}: ${fmt(ms)} ms per step`);
      for (const [group, t] of [...groups].sort((a, b) => b[1] - a[1])) {
        rows.push({ backend, model: name, stepMs: ms, group, share: t / total });
        console.log(`  ${group.padEnd(36)} ${fmt((100 * t) / total, 2).padStart(5)}%`);
      }
    }
  }
  session.disconnect();
  await closeBackends();
  const seconds = (performance.now() - started) / 1e3;
  const machine = machineInfo();
  const md = [
    '# Where a training step spends its time', '',
    `Dense training steps (SGD, batch ${BATCH}, float32, random inputs), ${STEPS} steps after 3 ` +
      'of warm-up, under V8\'s sampling profiler; self time of every sample summed by the ' +
      'kernel file of its function. One thread. ' +
      `${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date}. ` +
      `Suite time ${fmt(seconds)} s.`, '',
    markdownTable(['backend', 'model', 'ms per step', 'where', 'share of samples'],
      rows.filter((r) => r.share >= 0.005).map((r) => [r.backend, r.model, fmt(r.stepMs),
        r.group, `${fmt(100 * r.share, 2)}%`])),
  ].join('\n');
  console.log(`\n${md}`);
  const files = await writeResults('profile', { suite: 'profile', machine, seconds, rows }, md);
  console.log(`\nwrote ${files.join(', ')}`);
}
