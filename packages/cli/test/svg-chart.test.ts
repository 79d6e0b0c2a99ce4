// The SVG line charts of the docs' figures. Oracles: a small XML well-formedness check (every
// tag closed in order, attributes quoted), the ticks' arithmetic, and the errors.
import t from 'tap';
import { lineChart, niceTicks } from '../src/svg-chart.js';
import { checkXml } from './xml.js';

t.test('ticks are round values covering the range', async (t) => {
  t.same(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  t.same(niceTicks(73.2, 94.1), [75, 80, 85, 90]);
  t.same(niceTicks(1, 189), [50, 100, 150]);
  t.same(niceTicks(3, 3), [3]);
});

t.test('a chart is well-formed SVG with a line, markers, band and legend per series', async (t) => {
  const svg = lineChart([
    { label: 'a & b', x: [1, 2, 3], y: [0.5, 0.2, 0.1], band: [0.1, 0.05, 0.01] },
    { label: 'c', x: [1, 3], y: [0.9, 0.3] },
  ], { title: 'loss <per step>', xLabel: 'step', yLabel: 'loss', yScale: 'log' });
  const { elements } = checkXml(svg);
  t.equal(elements.get('svg'), 1);
  t.equal(elements.get('polyline'), 2, 'one line per series');
  t.equal(elements.get('polygon'), 1, 'one band');
  t.equal(elements.get('circle'), 5, 'a marker per point');
  t.match(svg, /loss &lt;per step&gt;/, 'text is escaped');
  t.match(svg, />a &amp; b</, 'the legend names each series');
  t.notMatch(svg, /NaN|Infinity/);
});

t.test('values an axis cannot show are errors naming the series', async (t) => {
  t.throws(() => lineChart([{ label: 'z', x: [1, 2], y: [1, 0] }],
    { title: '', xLabel: '', yLabel: '', yScale: 'log' }), /series 'z' has a value a log axis/);
  t.throws(() => lineChart([{ label: 'n', x: [1], y: [Number.NaN] }],
    { title: '', xLabel: '', yLabel: '' }), /series 'n' has a value a linear axis/);
  t.throws(() => lineChart([{ label: 'm', x: [1, 2], y: [1] }],
    { title: '', xLabel: '', yLabel: '' }), /series 'm' needs as many x as y/);
});
