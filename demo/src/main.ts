/**
 * The demo page: it asks the worker which backends start here, trains on the chosen one with
 * live plots, and classifies what is drawn on the pad with the model as it trains.
 * `?backend=wasm&model=mlp&steps=40&evalEvery=10&autostart` sets the controls from the URL
 * (the end-to-end test uses it), and `window.dlrtDemo` reports the page's state.
 */
import { DIGITS_FILE } from './digits.js';
import { SIDE, toMnist } from './pad.js';
import { type Curves, drawCurves, emptyCurves } from './plots.js';
import {
  DEMO_BACKENDS, DEMO_MODELS, type DemoBackend, type DemoModel, type FromWorker, type ToWorker,
} from './protocol.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  backend: $<HTMLSelectElement>('backend'), model: $<HTMLSelectElement>('model'),
  epochs: $<HTMLInputElement>('epochs'), train: $<HTMLButtonElement>('train'),
  stop: $<HTMLButtonElement>('stop'), status: $('status'), pad: $<HTMLCanvasElement>('pad'),
  preview: $<HTMLCanvasElement>('preview'), clear: $<HTMLButtonElement>('clear'),
  prediction: $('prediction'), bars: $<HTMLOListElement>('bars'),
  plots: { loss: $('loss-plot'), accuracy: $('accuracy-plot'), ranks: $('rank-plot') },
};
const params = new URLSearchParams(location.search);

/** The page's state, for people and for the end-to-end test. */
const demo = {
  state: 'loading' as 'loading' | 'idle' | 'training' | 'done' | 'error',
  available: [] as DemoBackend[],
  backend: '',
  curves: emptyCurves() as Curves,
  prediction: null as number[] | null,
  /** Seconds the last finished run trained. */
  seconds: 0,
  error: '',
};
(window as unknown as { dlrtDemo: typeof demo }).dlrtDemo = demo;

function setState(s: typeof demo.state, status: string): void {
  demo.state = s;
  document.body.dataset.state = s;
  ui.status.textContent = status;
  ui.train.disabled = s === 'loading' || s === 'training';
  ui.stop.disabled = s !== 'training';
}

const worker = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker) => worker.postMessage(m);

let redraw = 0;
function scheduleDraw(): void {
  if (redraw) return;
  redraw = requestAnimationFrame(() => {
    redraw = 0;
    drawCurves(demo.curves, ui.plots);
  });
}

function onStep(m: FromWorker & { t: 'step' }): void {
  const c = demo.curves;
  c.steps.push(m.step);
  c.losses.push(m.loss);
  for (const [layer, r] of Object.entries(m.ranks)) {
    const label = `layer ${layer}`;
    const series = c.ranks.get(label) ?? c.ranks.set(label, []).get(label)!;
    series.push(r[0]);
  }
  const acc = c.accuracies.length ? `, test accuracy ${(100 * c.accuracies.at(-1)!).toFixed(1)}%`
    : '';
  const ranks = Object.values(m.ranks).map((r) => r.join('×')).join(', ');
  setState('training', `${demo.backend}: epoch ${m.epoch}, step ${m.step} (${m.ms.toFixed(0)} ` +
    `ms), loss ${m.loss.toFixed(3)}${acc}, ranks ${ranks}, ${(100 * m.compression).toFixed(1)}% ` +
    'fewer parameters than dense');
  scheduleDraw();
}

worker.addEventListener('message', (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  if (m.t === 'backends') {
    demo.available = m.available;
    for (const b of DEMO_BACKENDS) {
      const o = new Option(m.available.includes(b) ? b : `${b} (${m.why[b]})`, b);
      o.disabled = !m.available.includes(b);
      ui.backend.add(o);
    }
    const asked = params.get('backend');
    ui.backend.value = asked && m.available.includes(asked as DemoBackend) ? asked
      : m.available[0];
    if (asked && !m.available.includes(asked as DemoBackend)) {
      demo.error = `backend ${asked} is not available here: ${m.why[asked as DemoBackend] ??
        'unknown backend'}`;
      setState('error', demo.error);
      return;
    }
    setState('idle', `Ready: ${m.available.join(', ')} start here.`);
    try {
      applyUrl();
    } catch (e) {
      demo.error = (e as Error).message;
      setState('error', `Error: ${demo.error}`);
      return;
    }
    if (params.has('autostart')) start();
  } else if (m.t === 'ready') {
    demo.backend = m.backend;
    ui.status.textContent = `${m.backend}: ${m.train} training and ${m.test} test digits loaded`;
  } else if (m.t === 'step') {
    onStep(m);
  } else if (m.t === 'eval') {
    demo.curves.evalSteps.push(m.step);
    demo.curves.accuracies.push(m.accuracy);
    scheduleDraw();
  } else if (m.t === 'done') {
    demo.seconds = m.seconds;
    const acc = demo.curves.accuracies.at(-1) ?? 0;
    setState('done', `${demo.backend}: ${m.steps} steps in ${m.seconds.toFixed(1)} s, test ` +
      `accuracy ${(100 * acc).toFixed(1)}%. Draw a digit below.`);
  } else if (m.t === 'prediction') {
    showPrediction(m.probabilities);
  } else {
    demo.error = m.message;
    setState('error', `Error: ${m.message}`);
  }
});
worker.addEventListener('error', (e) => {
  demo.error = e.message;
  setState('error', `The training worker failed: ${e.message}`);
});

/** The URL's `name` (else `fallback`) as an integer ≥ 0; else an error naming both. */
function count(name: string, fallback: number): number {
  const text = params.get(name);
  const v = Number(text ?? fallback);
  if (!Number.isInteger(v) || v < 0) {
    throw new Error(`${name} must be an integer ≥ 0, got '${text ?? fallback}'`);
  }
  return v;
}

/** The URL's model and epochs into the controls, which a run then reads. */
function applyUrl(): void {
  const model = params.get('model');
  if (model !== null && !DEMO_MODELS.includes(model as DemoModel)) {
    throw new Error(`model must be one of ${DEMO_MODELS.join(', ')}, got '${model}'`);
  }
  if (model) ui.model.value = model;
  if (params.has('epochs')) ui.epochs.value = String(Math.max(1, count('epochs', 2)));
}

/** Starts a run with the controls' settings; bad settings show as the page's error. */
function start(): void {
  try {
    startRun();
  } catch (e) {
    demo.error = (e as Error).message;
    setState('error', `Error: ${demo.error}`);
  }
}

function startRun(): void {
  const model = ui.model.value as DemoModel;
  demo.curves = emptyCurves();
  demo.backend = ui.backend.value;
  setState('training', `Starting ${ui.backend.value}…`);
  send({ t: 'start', run: {
    backend: ui.backend.value as DemoBackend, model,
    digitsUrl: new URL(DIGITS_FILE, document.baseURI).href,
    epochs: Math.max(1, Number(ui.epochs.value) | 0), maxSteps: count('steps', 0),
    evalEvery: Math.max(1, count('evalEvery', 20)), seed: count('seed', 0),
  } });
}

ui.train.addEventListener('click', start);
ui.stop.addEventListener('click', () => send({ t: 'stop' }));

// The drawing pad: white ink on black, as MNIST's digits are.
const pen = ui.pad.getContext('2d', { willReadFrequently: true })!;
let drawing = false;
function clearPad(): void {
  pen.fillStyle = '#000';
  pen.fillRect(0, 0, ui.pad.width, ui.pad.height);
  ui.preview.getContext('2d')!.clearRect(0, 0, SIDE, SIDE);
  ui.bars.replaceChildren();
  demo.prediction = null;
}
clearPad();
ui.pad.addEventListener('pointerdown', (e) => {
  drawing = true;
  ui.pad.setPointerCapture(e.pointerId);
  pen.beginPath();
  pen.moveTo(e.offsetX, e.offsetY);
});
ui.pad.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  pen.strokeStyle = '#fff';
  pen.lineWidth = 20;
  pen.lineCap = pen.lineJoin = 'round';
  pen.lineTo(e.offsetX, e.offsetY);
  pen.stroke();
});
ui.pad.addEventListener('pointerup', () => {
  drawing = false;
  classifyPad();
});
ui.clear.addEventListener('click', clearPad);

function classifyPad(): void {
  const { width, height } = ui.pad;
  const rgba = pen.getImageData(0, 0, width, height).data;
  const ink = Float32Array.from({ length: width * height }, (_, i) => rgba[4 * i] / 255);
  const pixels = toMnist(ink, width, height);
  if (!pixels) return;
  const img = new ImageData(SIDE, SIDE);
  pixels.forEach((v, i) => img.data.set([255 * v, 255 * v, 255 * v, 255], 4 * i));
  ui.preview.getContext('2d')!.putImageData(img, 0, 0);
  if (demo.state === 'idle' || demo.state === 'loading') {
    ui.prediction.textContent = 'Train the network first.';
    return;
  }
  send({ t: 'classify', pixels });
}

function showPrediction(p: number[]): void {
  demo.prediction = p;
  const best = p.indexOf(Math.max(...p));
  ui.prediction.textContent = `The network reads a ${best} (${(100 * p[best]).toFixed(0)}%).`;
  ui.bars.replaceChildren(...p.map((v, d) => {
    const li = document.createElement('li');
    li.className = d === best ? 'best' : '';
    li.textContent = `${(100 * v).toFixed(1)}%`;
    const bar = document.createElement('span');
    bar.style.width = `${Math.round(120 * v)}px`;
    li.append(bar);
    return li;
  }));
}

send({ t: 'probe' });
