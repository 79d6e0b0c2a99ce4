// Experiment tables: the time ratio to dense is only given between runs of one CPU model.
import t from 'tap';
import { machineNote, timeRatio, type GroupSummary } from '../src/experiments/summary.js';

const group = (name: string, seconds: number, machines: string[]): GroupSummary => ({
  group: name, runs: 3, planned: 3, epochs: '20', accuracy: null, lastThree: null,
  selected: null, trainLoss: null, compression: null, ranks: '–', parameters: '–',
  secondsPerEpoch: seconds, machines, notes: [],
});

t.test('timeRatio: same CPU gives the ratio, other or mixed CPUs give –', async (t) => {
  const dense = group('dense', 50, ['EPYC']);
  t.equal(timeRatio(group('θ = 0.1', 90, ['EPYC']), dense), '1.80');
  t.equal(timeRatio(group('θ = 0.1', 90, ['Xeon']), dense), '–');
  t.equal(timeRatio(group('θ = 0.1', 90, ['EPYC', 'Xeon']), dense), '–');
  t.equal(timeRatio(group('θ = 0.1', 90, ['EPYC']), undefined), '–');
});

t.test('machineNote: silent for one CPU, names each group for several', async (t) => {
  t.same(machineNote([group('dense', 1, ['EPYC']), group('a', 1, ['EPYC'])]), []);
  const note = machineNote([group('dense', 1, ['EPYC']), group('a', 1, ['Xeon'])]);
  t.equal(note.length, 1);
  t.match(note[0], /EPYC: dense; Xeon: a/);
});
