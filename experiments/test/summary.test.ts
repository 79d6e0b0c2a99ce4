// Experiment tables: the time ratio to dense is only given between runs of one CPU model, and
// the DLRT paper's parameter count reproduces its own LeNet5 table.
import t from 'tap';
import { machineNote, timeRatio, type GroupSummary } from '../src/summary.js';
import { paperCount } from '../src/lenet5-sweep.js';

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

t.test("paperCount: the DLRT paper's LeNet5 table, reproduced from its ranks", async (t) => {
  // Schotthöfer et al., NeurIPS 2022: ranks [10, 20, 48] with 30,278 test parameters (93.0%),
  // [8, 8, 15] at 97.0%; the dense LeNet5 counts 430,500.
  t.same(paperCount([10, 20, 48]), { parameters: 30_278, compression: 1 - 30_278 / 430_500 });
  t.equal(paperCount([10, 20, 48]).compression.toFixed(3), '0.930');
  t.equal(paperCount([8, 8, 15]).compression.toFixed(3), '0.970');
  t.throws(() => paperCount([10, 20]), /^paperCount: expected LeNet5's 3 ranks, got \[10, 20\]/);
});
