/**
 * linalg suite: dlrt's dense float64 kernels (QR, SVD, eigh) against numpy (LAPACK through
 * OpenBLAS, timed by one python3 process case by case, right before dlrt) and ml-matrix.
 * float32 rows time the whole float32 → float64 → kernel → float32 round trip of the backend.
 * wasm rows time the public op on the wasm backend (1 and 2 threads; the drivers are the cpu
 * backend's, over WebAssembly inner loops), float64 tensors in and out.
 * gpu rows time the public `linalg` op on the gpu backend in each gpu.js mode available here
 * (QR by CholeskyQR2 on the device, SVD of a tall matrix through that QR; see docs/gpu.md),
 * reading every factor back.
 * numpy and the wasm rows are timed in ROUNDS interleaved rounds, and each reports its best
 * round (the shared VM's speed drifts for minutes at a time; see ROUNDS).
 * Results: bench/results/linalg.{json,md}.
 */
import { linalgKernels } from '@dlrt/backend-cpu';
import { dispose, linalg, setBackend, tensor } from '@dlrt/core';
import '@dlrt/backend-wasm';
import { gpuModes, useGpu } from './gpu.js';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import os from 'node:os';
import {
  EigenvalueDecomposition, Matrix, QrDecomposition, SingularValueDecomposition,
} from 'ml-matrix';
import {
  bestOfRounds, fmt, machineInfo, markdownTable, ROUNDS, time, type Timing, writeResults,
} from './report.js';

type Op = 'qr' | 'svd' | 'eigh';
type DType = 'float32' | 'float64';

interface Case {
  label: string; op: Op; m: number; n: number;
  /** The speed target: dlrt f64 time at most this multiple of numpy's. */
  target?: number;
  /** The wasm backend's target (issue 21): its f64 time at most this multiple of numpy's. */
  wasmTarget?: number;
}

const CASES: Case[] = [
  { label: 'QR 1024×64', op: 'qr', m: 1024, n: 64, target: 3 },
  { label: 'QR 784×64', op: 'qr', m: 784, n: 64 },
  { label: 'SVD 64×64', op: 'svd', m: 64, n: 64, target: 3 },
  { label: 'SVD 1024×64', op: 'svd', m: 1024, n: 64, target: 5, wasmTarget: 2 },
  { label: 'SVD 256×256', op: 'svd', m: 256, n: 256, wasmTarget: 2 },
  { label: 'eigh 128×128', op: 'eigh', m: 128, n: 128, wasmTarget: 2 },
];

/** Deterministic inputs in [-1, 1); numpy rebuilds the same matrices from the same LCG. */
function input(c: Case): Float64Array {
  const x = new Float64Array(c.m * c.n);
  let s = 12345;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 2 ** 31 - 1;
  }
  if (c.op !== 'eigh') return x;
  const y = new Float64Array(x.length);          // symmetric: (A + Aᵀ)/2
  for (let i = 0; i < c.n; i++) {
    for (let j = 0; j < c.n; j++) y[i * c.n + j] = (x[i * c.n + j] + x[j * c.n + i]) / 2;
  }
  return y;
}

/** The dlrt call for one case, returning every output array. */
function dlrtCall(c: Case): (a: Float64Array) => Float64Array[] {
  const { op, m, n } = c;
  if (op === 'qr') return (a) => Object.values(linalgKernels.qr(a, m, n));
  if (op === 'svd') return (a) => Object.values(linalgKernels.svd(a, m, n));
  return (a) => Object.values(linalgKernels.eigh(a, n));
}

function dlrtCase(c: Case, dtype: DType): () => void {
  const call = dlrtCall(c);
  const a = input(c);
  if (dtype === 'float64') return () => { call(a); };
  const a32 = Float32Array.from(a);
  return () => { call(Float64Array.from(a32)).map((x) => Float32Array.from(x)); };
}

/**
 * The public op on the active backend, every factor read back: float32 on the gpu backend,
 * float64 on the wasm backend (where results are ready when the op returns).
 */
function publicCase(c: Case, dtype: DType): () => void {
  const x = input(c);
  const a = tensor(dtype === 'float32' ? Float32Array.from(x) : x, [c.m, c.n], dtype);
  const op = c.op === 'qr' ? linalg.qr : c.op === 'svd' ? linalg.svd : linalg.eigh;
  return () => {
    const parts = Object.values(op(a));
    for (const p of parts) p.dataSync();
    dispose(parts);
  };
}

/** ml-matrix (float64), including the extraction of the factors a caller needs. */
function mlMatrixCase(c: Case): () => void {
  const a = Matrix.from1DArray(c.m, c.n, input(c));
  if (c.op === 'qr') {
    return () => {
      const d = new QrDecomposition(a);
      void d.orthogonalMatrix; void d.upperTriangularMatrix;
    };
  }
  if (c.op === 'svd') {
    return () => {
      const d = new SingularValueDecomposition(a, { autoTranspose: true });
      void d.leftSingularVectors; void d.rightSingularVectors;
    };
  }
  return () => {
    void new EigenvalueDecomposition(a, { assumeSymmetric: true }).eigenvectorMatrix;
  };
}

interface Row extends Partial<Timing> {
  label: string; runner: string; dtype: DType; error?: string;
  /** Fastest of BEST_OF extra calls (the machine is shared; medians drift with its load). */
  minMs?: number;
}

const BEST_OF = 20;

function measure(label: string, runner: string, dtype: DType, make: () => () => void): Row {
  const row: Row = { label, runner, dtype };
  try {
    const fn = make();
    const t0 = performance.now();
    fn();                                         // pilot: warms the JIT, sizes the sampling
    const pilot = performance.now() - t0;
    Object.assign(row, time(`${label} ${runner}`, fn, pilot > 200
      ? { minSamples: 5, maxTime: 1 } : { minSamples: 20, maxTime: 2 }));
    row.minMs = Infinity;
    for (let i = 0; i < (pilot > 200 ? 3 : BEST_OF); i++) {
      const t1 = performance.now();
      fn();
      row.minMs = Math.min(row.minMs, performance.now() - t1);
    }
    console.log(`  ${runner.padEnd(16)} ${fmt(row.medianMs ?? 0).padStart(8)} ms`
      + `  ±${fmt(row.rme ?? 0, 2)}%  n=${row.samples}  min ${fmt(row.minMs)} ms`);
  } catch (e) {
    row.error = e instanceof Error ? e.message : String(e);
    console.log(`  ${runner.padEnd(16)} skipped: ${row.error}`);
  }
  return row;
}

/**
 * numpy timings from one python3 process that answers one case per input line, so each
 * case's numpy run sits right next to its dlrt run (the shared machine's speed drifts). Per
 * case: the median of 15 timeit repeats, with OpenBLAS's default thread count and with 1
 * thread (set through its C API by ctypes), in float64 and float32.
 */
const PYTHON = String.raw`
import ctypes, glob, json, os, sys, timeit
import numpy as np
lib = None
for p in glob.glob(os.path.join(os.path.dirname(np.__file__), '..', 'numpy.libs', '*openblas*')):
    lib = ctypes.CDLL(p)
def threads(k):
    for name in ('scipy_openblas_set_num_threads64_', 'openblas_set_num_threads64_',
                 'openblas_set_num_threads'):
        f = getattr(lib, name, None) if lib else None
        if f:
            f(k)
            return True
    return False
get = getattr(lib, 'scipy_openblas_get_num_threads64_', None) if lib else None
default = get() if get else None
def data(c):
    s, out = 12345, np.empty(c['m'] * c['n'])
    for i in range(out.size):
        s = (s * 1664525 + 1013904223) & 0xffffffff
        out[i] = s / 2**31 - 1
    a = out.reshape(c['m'], c['n'])
    return (a + a.T) / 2 if c['op'] == 'eigh' else a
ops = {'qr': lambda a: np.linalg.qr(a, mode='reduced'),
       'svd': lambda a: np.linalg.svd(a, full_matrices=False), 'eigh': np.linalg.eigh}
def median_ms(f, a):
    f(a)
    once = timeit.timeit(lambda: f(a), number=1)
    number = max(1, int(0.02 / max(once, 1e-7)))
    ts = sorted(t / number for t in timeit.repeat(lambda: f(a), number=number, repeat=15))
    return ts[len(ts) // 2] * 1e3, ts[0] * 1e3
cfg = np.show_config(mode='dicts')['Build Dependencies']['blas']
print(json.dumps({'numpy': np.__version__, 'blas': cfg.get('name'),
                  'blasVersion': cfg.get('version'), 'defaultThreads': default}), flush=True)
for line in sys.stdin:
    c, out = json.loads(line), []
    for tag, k in (('default', default), ('1 thread', 1)):
        if k is not None and not threads(k):
            continue
        for dt in ('float64', 'float32'):
            med, best = median_ms(ops[c['op']], data(c).astype(dt))
            out.append({'label': c['label'], 'dtype': dt, 'threads': tag,
                        'medianMs': med, 'minMs': best})
    if default is not None:
        threads(default)
    print(json.dumps(out), flush=True)
`;

interface NumpyResult {
  label: string; dtype: DType; threads: string; medianMs: number; minMs: number;
}
interface Numpy {
  numpy?: string; blas?: string; blasVersion?: string; defaultThreads?: number | null;
  note?: string; results: NumpyResult[]; env: Record<string, string>;
}

/** The numpy timer: `time(c)` appends c's results to `numpy.results` (or notes a failure). */
interface NumpyTimer { numpy: Numpy; time(c: Case): Promise<void>; close(): void }

/**
 * Starts PYTHON. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are removed from its env only (older
 * OpenBLAS builds run slower with them); `numpy.env` records whether they were set.
 */
async function startNumpy(): Promise<NumpyTimer> {
  const env = { ...process.env };
  const notes: Record<string, string> = {};
  for (const name of ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE']) {
    notes[name] = name in env ? `was ${env[name]}; unset for numpy` : 'not set';
    delete env[name];
  }
  for (const [k, v] of Object.entries(process.env)) if (/^OPENBLAS/.test(k)) notes[k] ??= v ?? '';
  const numpy: Numpy = { results: [], env: notes };
  const off = (note: string): NumpyTimer => {
    console.log(note);
    numpy.note = note;
    return { numpy, time: async () => {}, close: () => {} };
  };
  const probe = spawnSync('python3', ['-c', 'import numpy'], { env, encoding: 'utf8' });
  if (probe.status !== 0) {
    return off(`numpy skipped: python3 -c 'import numpy' failed (${probe.error?.message
      ?? probe.stderr.trim().split('\n').pop()})`);
  }
  const child = spawn('python3', ['-c', PYTHON], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error('the python3 timing process exited');
    return JSON.parse(line.value);
  };
  try {
    Object.assign(numpy, await next());
  } catch (e) {
    child.kill();
    return off(`numpy skipped: ${e instanceof Error ? e.message : String(e)}`);
  }
  return {
    numpy,
    async time(c) {
      if (numpy.note !== undefined) return;
      try {
        child.stdin.write(`${JSON.stringify({ label: c.label, op: c.op, m: c.m, n: c.n })}\n`);
        const results: NumpyResult[] = await next();
        numpy.results.push(...results);
        const f64 = results.filter((r) => r.dtype === 'float64');
        console.log(`  numpy f64        ${f64.map((r) => `${fmt(r.medianMs)} ms (${r.threads})`)
          .join(', ')}`);
      } catch (e) {
        numpy.note = `numpy stopped: ${e instanceof Error ? e.message : String(e)}`;
        console.log(numpy.note);
      }
    },
    close: () => { child.stdin.end(); },
  };
}

export async function runLinalg(): Promise<void> {
  const started = performance.now();
  const load = [os.loadavg()[0]];
  const np = await startNumpy();
  const rows: Row[] = [];
  const modes = await gpuModes();
  // numpy and the wasm rows (the ratios the targets judge) go in ROUNDS interleaved rounds
  // (see ROUNDS); the cpu kernels, ml-matrix and the gpu modes run in the first round only.
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of CASES) {
      console.log(`${c.label}, round ${round + 1}`);
      await np.time(c);
      if (round === 0) {
        for (const dtype of ['float64', 'float32'] as const) {
          rows.push(measure(c.label, `dlrt ${dtype === 'float64' ? 'f64' : 'f32'}`, dtype,
            () => dlrtCase(c, dtype)));
        }
        rows.push(measure(c.label, 'ml-matrix f64', 'float64', () => mlMatrixCase(c)));
      }
      for (const threads of [1, 2]) {
        await setBackend('wasm', { threads });
        rows.push(measure(c.label, `wasm ${threads}T f64`, 'float64',
          () => publicCase(c, 'float64')));
      }
      if (round > 0) continue;
      for (const mode of modes) {
        const runner = await useGpu(mode);
        rows.push(measure(c.label, runner, 'float32', () => publicCase(c, 'float32')));
      }
    }
  }
  np.close();
  load.push(os.loadavg()[0]);
  const seconds = (performance.now() - started) / 1e3;
  const best = bestOfRounds(rows, (r) => `${r.label}|${r.runner}`);
  np.numpy.results = bestOfRounds(np.numpy.results, (r) => `${r.label}|${r.dtype}|${r.threads}`);
  const md = report(best, np.numpy);
  console.log(`\n${md}`);
  const files = await writeResults('linalg', {
    suite: 'linalg', machine: machineInfo(), loadAverage1m: load, seconds, rounds: ROUNDS,
    numpy: np.numpy, rows: best,
  }, md);
  console.log(`\nwrote ${files.join(', ')}`);
}

/**
 * One table row per case and dtype; numpy ms is the faster of its default and 1-thread runs.
 * A second table compares the fastest calls, which the shared machine's load disturbs least.
 */
function report(rows: Row[], numpy: Numpy): string {
  const find = (c: Case, runner: string) => rows.find((r) => r.label === c.label
    && r.runner === runner);
  const npBest = (c: Case, dtype: DType, key: 'medianMs' | 'minMs') => numpy.results
    .filter((r) => r.label === c.label && r.dtype === dtype)
    .reduce((best, r) => Math.min(best, r[key]), Infinity);
  const ratioCell = (x: number) => (Number.isFinite(x) ? `${fmt(x)}×` : '–');
  const verdict = (c: Case, ratio: number) => {
    if (c.target === undefined) return '–';
    if (!Number.isFinite(ratio)) return 'no numpy';
    return `${ratio <= c.target ? 'yes' : 'NO'} (≤ ${c.target}×)`;
  };
  const dtypes = ['float64', 'float32'] as const;
  const medians = CASES.flatMap((c) => dtypes.map((dtype) => {
    const f = dtype === 'float64' ? 'f64' : 'f32';
    const dlrt = find(c, `dlrt ${f}`)?.medianMs ?? NaN;
    const ml = dtype === 'float64' ? find(c, 'ml-matrix f64')?.medianMs ?? NaN : NaN;
    const ratio = dlrt / npBest(c, dtype, 'medianMs');
    return [`${c.label} ${f}`, fmt(dlrt), fmt(npBest(c, dtype, 'medianMs')), fmt(ml),
      ratioCell(ratio), dtype === 'float64' ? verdict(c, ratio) : '–'];
  }));
  const mins = CASES.map((c) => {
    const dlrt = find(c, 'dlrt f64')?.minMs ?? NaN;
    const ratio = dlrt / npBest(c, 'float64', 'minMs');
    return [`${c.label} f64`, fmt(dlrt), fmt(npBest(c, 'float64', 'minMs')), ratioCell(ratio),
      verdict(c, ratio)];
  });
  const note = numpy.results.length > 0
    ? `numpy ${numpy.numpy} (${numpy.blas} ${numpy.blasVersion}); numpy ms = the faster of its`
      + ' default thread count and 1 thread. numpy float32 runs LAPACK in single precision;'
      + ' dlrt float32 converts to float64 and back (included in its time).'
    : numpy.note ?? 'numpy not run';
  const np1 = (c: Case) => numpy.results.find((r) => r.label === c.label
    && r.dtype === 'float64' && r.threads === '1 thread')?.medianMs ?? NaN;
  const wasm = CASES.map((c) => {
    const w1 = find(c, 'wasm 1T f64')?.medianMs ?? NaN;
    const ratio = w1 / np1(c);
    const met = c.wasmTarget === undefined ? '–' : !Number.isFinite(ratio) ? 'no numpy'
      : `${ratio <= c.wasmTarget ? 'yes' : 'NO'} (≤ ${c.wasmTarget}×)`;
    return [c.label, fmt(w1), fmt(find(c, 'wasm 2T f64')?.medianMs ?? NaN),
      fmt(find(c, 'dlrt f64')?.medianMs ?? NaN), fmt(np1(c)), ratioCell(ratio), met];
  });
  const gpuRunners = [...new Set(rows.map((r) => r.runner).filter((r) => r.startsWith('gpu ')))];
  const gpu = CASES.map((c) => [c.label, fmt(find(c, 'dlrt f32')?.medianMs ?? NaN),
    ...gpuRunners.map((r) => fmt(find(c, r)?.medianMs ?? NaN))]);
  return [
    '## linalg: dlrt kernels vs numpy and ml-matrix (medians)', '',
    markdownTable(['case', 'dlrt median ms', 'numpy ms', 'ml-matrix ms', 'dlrt/numpy',
      'target met'], medians), '',
    '## fastest calls (float64)', '',
    markdownTable(['case', 'dlrt min ms', 'numpy min ms', 'dlrt/numpy', 'target met'], mins),
    '', note, '',
    '## wasm backend (float64, medians in ms)', '',
    markdownTable(['case', 'wasm 1T', 'wasm 2T', 'cpu kernel', 'numpy 1 thread',
      'wasm 1T/numpy', 'target met'], wasm), '',
    `numpy and the wasm rows are timed in ${ROUNDS} interleaved rounds; each gives its best round`,
    '(every round\'s median is in the JSON).',
    '',
    'The wasm rows run the public op (float64 tensors in and out) on the cpu backend\'s',
    'drivers over WebAssembly inner loops; the drivers are single-threaded, so 2T gains little.',
    '',
    '## gpu backend (float32, medians in ms; every factor read back)', '',
    markdownTable(['case', 'cpu kernel f32', ...gpuRunners], gpu), '',
    'QR on the gpu backend is CholeskyQR2: AᵀA and A·R⁻¹ on the device, the n×n Cholesky on',
    'the host; SVD 1024×64 is that QR plus a host SVD of R; SVD 64×64 and eigh run on the host.',
    'Without a GPU, webgpu is Mesa llvmpipe on these CPU cores.', '',
  ].join('\n');
}
