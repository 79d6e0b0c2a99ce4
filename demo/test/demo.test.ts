/**
 * The browser demo end to end: builds the page with Vite, serves it with `vite preview`, and
 * drives Debian's Chromium (playwright-core) through a short training run of the MLP on every
 * backend the page finds there (WebGPU runs on SwiftShader, Chromium's CPU renderer), and of
 * LeNet5 on wasm. Each run must raise the test accuracy well above its value before training,
 * draw its three plots, and classify a digit drawn on the pad. Screenshots go to
 * demo/test-output/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import t from 'tap';
import { build, preview } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const configFile = join(root, 'vite.config.ts');
const shots = join(root, 'test-output');
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
/**
 * Steps per backend, and how far the test accuracy must rise over them: WebGPU on SwiftShader
 * takes 2–3 s a step, so it trains 6 (about 14% → 25%; 12 steps reach about 70%).
 */
const PLAN: Record<string, { steps: number; rise: number }> = {
  webgpu: { steps: 6, rise: 0.08 }, wasm: { steps: 12, rise: 0.25 }, cpu: { steps: 12, rise: 0.25 },
};

interface DemoState {
  state: string;
  error: string;
  available: string[];
  backend: string;
  curves: { steps: number[]; evalSteps: number[]; accuracies: number[] };
  prediction: number[] | null;
  seconds: number;
}

const readState = (page: Page) =>
  page.evaluate(() => (window as unknown as { dlrtDemo?: DemoState }).dlrtDemo ?? null);

async function waitFor(page: Page, done: (s: DemoState) => boolean, ms: number):
  Promise<DemoState> {
  const end = Date.now() + ms;
  for (;;) {
    const s = await readState(page);
    if (s && (done(s) || s.state === 'error')) return s;
    if (Date.now() > end) throw new Error(`demo: still '${s?.state}' after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

t.test('the demo in headless Chromium', async (t) => {
  if (!existsSync(executablePath)) {
    t.fail(`no Chromium at ${executablePath}: scripts/test.sh installs Debian's chromium ` +
      '(apt-get install chromium); or set CHROMIUM to a Chromium binary');
    return;
  }
  const out = mkdtempSync(join(tmpdir(), 'dlrt-demo-'));
  await build({ root, configFile, logLevel: 'error', build: { outDir: out, emptyOutDir: true } });
  const server = await preview({ root, configFile, logLevel: 'error',
    preview: { port: 0, host: '127.0.0.1' }, build: { outDir: out } });
  const url = server.resolvedUrls!.local[0];
  const browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox',
    '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu'] });
  t.teardown(async () => {
    await browser.close();
    await server.close();
    rmSync(out, { recursive: true, force: true });
  });
  mkdirSync(shots, { recursive: true });

  const page = await browser.newPage();
  await page.goto(url);
  const first = await waitFor(page, (s) => s.state === 'idle', 60_000);
  t.equal(first.error, '', 'the page starts without an error');
  t.ok(first.available.includes('cpu') && first.available.includes('wasm'),
    `Chromium runs the cpu and wasm backends (found: ${first.available.join(', ')})`);
  t.comment(`backends in this Chromium: ${first.available.join(', ')}`);
  // Bad settings in the URL are errors that name them, shown in the page.
  for (const [query, want] of [['model=resnet', /model must be one of mlp, lenet5, got 'resnet'/],
    ['backend=tpu', /backend tpu is not available here: unknown backend/],
    ['model=mlp&steps=-1', /steps must be an integer ≥ 0, got '-1'/]] as const) {
    await page.goto(`${url}?${query}&autostart`);
    const s = await waitFor(page, (s) => s.state !== 'loading', 60_000);
    t.match(s.error, want, `?${query}: ${s.error}`);
  }
  await page.close();

  // The MLP on every backend, and LeNet5 on wasm (about 0.2 s a step there).
  const runs = [...first.available.map((backend) => ({ backend, model: 'mlp',
    ...PLAN[backend] ?? { steps: 12, rise: 0.25 } })),
  { backend: 'wasm', model: 'lenet5', steps: 20, rise: 0.15 }];
  const record = { machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version,
    chromium: browser.version() }, runs: [] as object[] };
  for (const { backend, model, steps, rise } of runs) {
    await t.test(`${model} trains on ${backend}`, async (t) => {
      const p = await browser.newPage();
      const errors: string[] = [];
      p.on('pageerror', (e) => errors.push(e.message));
      await p.goto(`${url}?backend=${backend}&model=${model}&steps=${steps}&evalEvery=` +
        `${steps / 2}&autostart`);
      const s = await waitFor(p, (s) => s.state === 'done', 240_000);
      t.equal(s.error, '', 'no error');
      t.equal(s.curves.steps.length, steps, `${steps} steps reported`);
      const acc = s.curves.accuracies;
      t.same(s.curves.evalSteps, [0, steps / 2, steps], 'evaluated before, midway and after');
      t.ok(acc[0] < 0.3, `accuracy before training is near chance (${acc[0]})`);
      t.ok(acc.at(-1)! > acc[0] + rise, `accuracy rises by over ${rise}: ` +
        `${acc.map((a) => a.toFixed(3))}`);
      for (const id of ['loss-plot', 'accuracy-plot', 'rank-plot']) {
        const lines = await p.locator(`#${id} svg polyline`).count();
        t.ok(lines >= 1, `#${id} draws its curve (${lines} lines)`);
      }
      // A "1": a vertical stroke on the pad.
      const box = (await p.locator('#pad').boundingBox())!;
      await p.mouse.move(box.x + 140, box.y + 50);
      await p.mouse.down();
      for (let y = 60; y <= 230; y += 10) await p.mouse.move(box.x + 140, box.y + y);
      await p.mouse.up();
      const drawn = await waitFor(p, (s) => s.prediction !== null, 60_000);
      const probs = drawn.prediction ?? [];
      t.equal(probs.length, 10, 'the pad gets ten class probabilities');
      t.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-4, 'they sum to 1');
      const name = `${backend}-${model}.png`;
      await p.screenshot({ path: join(shots, name), fullPage: true });
      t.comment(`screenshot: demo/test-output/${name}; ${await p.textContent('#status')}`);
      t.same(errors, [], 'no uncaught error in the page');
      record.runs.push({ backend: s.backend, model, steps, seconds: s.seconds,
        evalSteps: s.curves.evalSteps, testAccuracy: acc });
      await p.close();
    });
  }
  // The numbers docs/demo.md shows come from this record (copied to docs/results/demo.json).
  writeFileSync(join(shots, 'record.json'), `${JSON.stringify(record, null, 2)}\n`);
});
