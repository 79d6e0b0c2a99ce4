// Adapters. Oracles: the base model's own outputs (an adapter starts as a zero update), the
// merged model's outputs (W₀ + ΔW folded into one weight), the base weights' bits before and
// after fine-tuning, hand counts of trainable scalars, and GeoLoRA's closed-form first step
// from S = 0 (W₀ − λ U Uᵀ G V Vᵀ, with G taken at W₀: the frozen base is in every form).
import t from 'tap';
import {
  clone, crossEntropy, dispose, type FloatDType, matmul, randn, Rng, sub, type Tensor, tensor,
  tidy,
} from '@dlrt/core';
import '@dlrt/backend-cpu';
import {
  AdaLoRA, adaloraBudget, AdaLoRAStep, applyAdapters, Conv2d, Dense, Flatten, GeoLoRA,
  GeoLoRADense, GradientStep, LoRA, mergeAdapters, type Module, ReLU, SGD, Sequential,
  trainableParameterCount,
} from '../src/index.js';

const f64: FloatDType = 'float64';

function mlp(dtype: FloatDType, seed = 1): Sequential {
  return new Sequential([new Dense(12, 8, { seed, dtype }), new ReLU(),
    new Dense(8, 6, { seed: seed + 1, dtype }), new ReLU(), new Dense(6, 3, { seed: seed + 2,
      dtype })]);
}

function cnn(dtype: FloatDType, seed = 1): Sequential {
  return new Sequential([new Conv2d(2, 4, 3, { seed, dtype, padding: 1 }), new ReLU(),
    new Conv2d(4, 3, 3, { seed: seed + 1, dtype, stride: 2 }), new Flatten(),
    new Dense(12, 3, { seed: seed + 2, dtype })]);
}

const input = (model: 'mlp' | 'cnn', dtype: FloatDType) => model === 'mlp'
  ? randn([10, 12], { seed: 7, dtype }) : randn([10, 2, 6, 6], { seed: 7, dtype });
const labels = tensor(Int32Array.from({ length: 10 }, (_, i) => i % 3), [10], 'int32');
const out = (m: Module, x: Tensor) => tidy(() => Array.from(m.forward(x).dataSync()));
const bits = (m: Module) => m.parameters().map((v) => Array.from(v.dataSync()));

function maxDiff(a: readonly number[], b: readonly number[]): number {
  return Math.max(...a.map((v, i) => Math.abs(v - b[i])));
}

/** Trains `steps` steps of cross-entropy with the integrator each method uses. */
async function fineTune(model: Module, method: 'lora' | 'adalora' | 'geolora', x: Tensor,
  steps: number, lr = 0.1): Promise<void> {
  const optimizer = new SGD({ lr });
  const step = method === 'lora' ? new GradientStep(model, { optimizer })
    : method === 'adalora' ? new AdaLoRAStep(model, { optimizer, targetRank: 1,
      totalSteps: steps, tInit: 1, tFinal: 1 })
      : new GeoLoRA(model, { optimizer, tol: 0.05 });
  for (let i = 0; i < steps; i++) await step.step(() => crossEntropy(model.forward(x), labels));
  if (step instanceof GeoLoRA) step.dispose();
  optimizer.dispose();
}

for (const model of ['mlp', 'cnn'] as const) {
  for (const method of ['lora', 'adalora', 'geolora'] as const) {
    for (const dtype of ['float32', 'float64'] as const) {
      t.test(`${method} on ${model} (${dtype}): starts as the base, keeps the base's bits, ` +
        'merges to the same outputs', async (t) => {
        const m = model === 'mlp' ? mlp(dtype) : cnn(dtype);
        const x = input(model, dtype);
        const before = out(m, x);
        const targets = model === 'mlp' ? ['0', '2'] : ['0', '2'];
        const baseBits = targets.map((n) => bits(new Map(m.namedModules()).get(n)!));
        const adapters = applyAdapters(m, { method, rank: 2, alpha: 4, targets,
          rng: new Rng(3) });
        t.same([...adapters.keys()], targets);
        t.same(out(m, x), before, 'the adapted model starts with the base outputs, bit for bit');
        // AdaLoRA starts with λ = 0 and P, Q of N(0, 0.02²): its first steps move little.
        const ada = method === 'adalora';
        await fineTune(m, method, x, ada ? 20 : 5, ada ? 1 : 0.1);
        const tuned = out(m, x);
        const moved = maxDiff(tuned, before);
        t.ok(moved > (ada ? 1e-6 : 1e-4), `fine-tuning moved the outputs: ${moved}`);
        targets.forEach((n, i) => t.same(bits(adapters.get(n)!.base), baseBits[i],
          `base ${n} bit-identical after fine-tuning`));
        mergeAdapters(m);
        t.ok(m.namedModules().every(([, l]) => !(l instanceof LoRA || l instanceof AdaLoRA ||
          l instanceof GeoLoRADense)), 'no adapter left');
        const tol = dtype === 'float64' ? 1e-12 : 1e-6;
        const d = maxDiff(out(m, x), tuned);
        t.ok(d < tol, `merged = unmerged within ${tol} (max diff ${d.toExponential(1)})`);
        dispose(x);
        m.dispose();
      });
    }
  }
}

t.test('trainable parameters: the adapters and what is added after, not the base', async (t) => {
  const m = mlp(f64);
  applyAdapters(m, { method: 'lora', rank: 2, targets: ['0', '2'], rng: new Rng(1) });
  t.equal(trainableParameterCount(m), 2 * (12 + 8) + 2 * (8 + 6), 'r(in + out) per layer');
  m.replaceModule('4', new Dense(6, 3, { seed: 9, dtype: f64 }));
  t.equal(trainableParameterCount(m), 2 * (12 + 8) + 2 * (8 + 6) + 6 * 3 + 3, 'plus a new head');
  const g = mlp(f64);
  applyAdapters(g, { method: 'geolora', rank: 2, targets: ['0'], rng: new Rng(1) });
  t.equal(trainableParameterCount(g), 2 * 8 + 2 * 12 + 2 * 2, 'U, V and S');
  m.dispose();
  g.dispose();
});

t.test('GeoLoRA adapter, first step from S = 0: W₀ − λ U Uᵀ G V Vᵀ with G at W₀', async (t) => {
  const base = new Dense(7, 5, { seed: 1, dtype: f64, bias: false });
  const W0 = clone(base.weight);
  const a = new GeoLoRADense(base, { rank: 2, seed: 2 });
  const U = clone(a.U), V = clone(a.V);
  const X = randn([9, 7], { seed: 3, dtype: f64 }), Y = randn([9, 5], { seed: 4, dtype: f64 });
  // ℓ = ½‖X Wᵀ − Y‖²/N, so G = (X W₀ᵀ − Y)ᵀ X / N at W = W₀.
  const G = tidy(() => matmul(sub(matmul(X, W0, { transposeB: true }), Y), X,
    { transposeA: true }).mul(1 / 9));
  const lr = 0.5;
  const geo = new GeoLoRA(a, { optimizer: new SGD({ lr }), tol: 1e-10 });
  await geo.step(() => tidy(() => sub(a.forward(X), Y).square().sum().mul(0.5 / 9)));
  const want = tidy(() => Array.from(matmul(matmul(U, matmul(matmul(U, G, { transposeA: true }),
    V)), V, { transposeB: true }).mul(-lr).dataSync()));
  const got = tidy(() => Array.from(a.delta().dataSync()));
  t.ok(maxDiff(got, want) < 1e-13, `ΔW = −λ P_U G P_V (max diff ${maxDiff(got, want)})`);
  t.same(Array.from(base.weight.dataSync()), Array.from(W0.dataSync()), 'W₀ untouched');
  geo.dispose();
  dispose([W0, U, V, X, Y, G]);
  a.dispose();
});

t.test('bad input names the adapter, the target and the value', async (t) => {
  const m = mlp(f64);
  const rng = new Rng(1);
  t.throws(() => applyAdapters(m, { method: 'lora', rank: 2, targets: ['7'], rng }),
    /^applyAdapters: no module '7' \(modules: 0, 1, 2, 3, 4\)/);
  t.throws(() => applyAdapters(m, { method: 'lora', rank: 2, targets: ['1'], rng }),
    /^applyAdapters: '1' is a ReLU, not a Dense or Conv2d/);
  t.throws(() => applyAdapters(m, { method: 'dora' as 'lora', rank: 2, rng }),
    /^applyAdapters: method 'dora' is not one of lora, adalora, geolora/);
  t.throws(() => new LoRA(new Dense(4, 3, { seed: 1 }), { rank: 4, seed: 1 }),
    /^LoRA: rank 4 is outside \[1, min\(3, 4\)\]/);
  t.throws(() => new LoRA(new Dense(4, 3, { seed: 1 }), { rank: 2, alpha: 0, seed: 1 }),
    /^LoRA: alpha must be a finite number > 0, got 0/);
  applyAdapters(m, { method: 'lora', rank: 2, targets: ['0'], rng });
  t.throws(() => applyAdapters(m, { method: 'lora', rank: 2, targets: ['0.base'], rng }),
    /^applyAdapters: '0\.base' is a Dense already adapted/);
  m.dispose();
});

t.test("AdaLoRA's budget: peft's cubic schedule, and exactly the target at the end", async (t) => {
  const o = { initial: 24, target: 8, totalSteps: 100, tInit: 10, tFinal: 20, deltaT: 5 };
  const b = Array.from({ length: 100 }, (_, i) => adaloraBudget(i + 1, o));
  t.ok(b.slice(0, 10).every((x) => x.budget === 24 && !x.mask), 'initial budget up to t_init');
  t.ok(b.slice(80).every((x) => x.budget === 8 && x.mask), 'the target after T − t_final');
  t.ok(b.every((x, i) => i === 0 || x.budget <= b[i - 1].budget), 'never rises');
  // t = 45: halfway through the fall, 8 + 16·(1 − 35/70)³ = 10.
  t.same(b[44], { budget: 10, mask: true }, 'the cubic at t = 45, a multiple of ΔT');
  t.equal(b[45].mask, false, 'no pruning between multiples of ΔT');
  // A run through the whole schedule ends with exactly the target triplets in use.
  const m = mlp(f64);
  const x = input('mlp', f64);
  applyAdapters(m, { method: 'adalora', rank: 4, targets: ['0', '2'], rng: new Rng(5) });
  const optimizer = new SGD({ lr: 0.1 });
  const step = new AdaLoRAStep(m, { optimizer, targetRank: 2, totalSteps: 12, tInit: 2,
    tFinal: 3, deltaT: 2 });
  let ranks: number[] = [];
  for (let i = 0; i < 12; i++) {
    const r = await step.step(() => crossEntropy(m.forward(x), labels));
    ranks = Object.values(r.ranks) as number[];
    if (i === 1) t.ok(ranks.every((k) => k === 4), `all triplets up to t_init: ${ranks}`);
  }
  t.equal(ranks.reduce((a, k) => a + k, 0), 4,
    `the target budget (2 × 2 adapters) in total at the end: ${ranks}`);
  // ΔT = 5: the fall's last pruning (t = 5) keeps 3 triplets; the final phase still ends at 2.
  const m2 = mlp(f64, 4);
  applyAdapters(m2, { method: 'adalora', rank: 4, targets: ['0', '2'], rng: new Rng(6) });
  const o2 = { targetRank: 1, totalSteps: 12, tInit: 2, tFinal: 3, deltaT: 5 };
  const step2 = new AdaLoRAStep(m2, { optimizer, ...o2 });
  t.equal(step2.budget(5).budget, 3, 'the budget at the last pruning of the fall');
  let ranks2: number[] = [];
  for (let i = 0; i < 12; i++) {
    const r = await step2.step(() => crossEntropy(m2.forward(x), labels));
    ranks2 = Object.values(r.ranks) as number[];
    if (i === 4) t.equal(ranks2.reduce((a, k) => a + k, 0), 3, `3 right after t = 5: ${ranks2}`);
  }
  t.equal(ranks2.reduce((a, k) => a + k, 0), 2, `exactly the target at the end: ${ranks2}`);
  m2.dispose();
  t.throws(() => new AdaLoRAStep(m, { optimizer, targetRank: 5, totalSteps: 12, tInit: 2,
    tFinal: 3 }), /^AdaLoRAStep: targetRank 5 is above an adapter's 4 triplets/);
  t.throws(() => new AdaLoRAStep(m, { optimizer, targetRank: 2, totalSteps: 5, tInit: 2,
    tFinal: 3 }), /^AdaLoRAStep: tInit 2 \+ tFinal 3 must be below totalSteps 5/);
  t.throws(() => new AdaLoRAStep(mlp(f64), { optimizer, targetRank: 2, totalSteps: 5, tInit: 1,
    tFinal: 1 }), /^AdaLoRAStep: the model has no AdaLoRA adapter/);
  dispose(x);
  m.dispose();
});
