// dlrt plot on committed run records: a well-formed SVG with the three panels and a legend entry
// per run (and per layer for the ranks); errors name the file or the option.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import t from 'tap';
import { parseCommand, parsePlotArgs, plot } from '../src/index.js';
import { checkXml } from './xml.js';

const runs = new URL('../../../docs/results/runs/lenet5-sweep/', import.meta.url).pathname;

t.test('the committed LeNet5 runs: loss, accuracy and ranks, overlaid', async (t) => {
  const dir = mkdtempSync(`${os.tmpdir()}/dlrt-plot-`);
  try {
    const files = ['dense-seed0.json', 'bug-theta0.11-seed0.json'].map((f) => runs + f);
    const out = `${dir}/fig.svg`;
    const lines: string[] = [];
    plot(parsePlotArgs([...files, '-o', out]), (l) => lines.push(l));
    const svg = readFileSync(out, 'utf8');
    const { elements } = checkXml(svg);
    t.equal(elements.get('svg'), 4, 'the figure and its three panels');
    t.match(svg, /training loss/);
    t.match(svg, /test accuracy/);
    t.match(svg, />bug-theta0\.11-seed0 · 1</, 'a rank line per layer of the low-rank run');
    t.equal(elements.get('polyline'), 2 + 2 + 3, 'loss and accuracy per run, a rank per layer');
    t.same(lines, [`dlrt plot: 2 runs → ${out}`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.test('bad input names the file or the option', async (t) => {
  const dir = mkdtempSync(`${os.tmpdir()}/dlrt-plot-`);
  try {
    writeFileSync(`${dir}/bad.json`, '{"epochs": []}');
    writeFileSync(`${dir}/broken.json`, '{"epochs": [');
    t.throws(() => plot(parsePlotArgs([`${dir}/bad.json`, '-o', `${dir}/x.svg`]), () => {}),
      /bad\.json is not a run record with epochs/);
    t.throws(() => plot(parsePlotArgs([`${dir}/broken.json`, '-o', `${dir}/x.svg`]), () => {}),
      /dlrt plot: .*broken\.json: /);
    t.throws(() => parsePlotArgs(['-o', 'x.svg']), /give at least one run record/);
    t.throws(() => parsePlotArgs(['a.json']), /-o FILE\.svg is required/);
    t.throws(() => parsePlotArgs(['a.json', '-o', 'x.png']), /-o x\.png: the figure is SVG/);
    t.throws(() => parsePlotArgs(['a.json', '--dpi', '3']), /unknown option '--dpi'/);
    t.match(parseCommand(['plot', 'a.json', '-o', 'f.svg']), { kind: 'plot',
      args: { runs: ['a.json'], out: 'f.svg' } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
