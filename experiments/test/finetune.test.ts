// finetune: each method's learning rate is chosen on validation accuracy alone, and the
// issue's targets are checked on the chosen runs, with GeoLoRA's setting also picked without
// the test rows.
import t from 'tap';
import { chooseLr, type Chosen, LRS, targetChecks, valId } from '../src/finetune.js';
import type { RunRecord } from '../src/runs.js';

/** A finished 5-epoch record whose last epoch has these accuracies and trainable count. */
function record(validation: number, test: number, trainable = 1000): RunRecord {
  const epoch = (e: number) => ({ epoch: e, loss: 0.1, testLoss: 0.1, testAccuracy: test,
    validationLoss: 0.1, validationAccuracy: validation, seconds: 1, evalSeconds: 0.1,
    ranks: {}, parameters: trainable, compression: 0, liveTensors: 0, trainable,
    secondsPerStep: 0.01 });
  return { args: {} as RunRecord['args'], epochs: [1, 2, 3, 4, 5].map(epoch) };
}

t.test('chooseLr: the lr of highest mean validation accuracy, never the test rows', async (t) => {
  const runs = new Map<string, RunRecord>();
  // Validation favours LRS[1] on the mean (0.9 against 0.85); the test rows favour LRS[2].
  const val = [[0.8, 0.8], [0.95, 0.85], [0.9, 0.8], [0.5, 0.6]];
  const test = [[0.8, 0.8], [0.9, 0.9], [0.99, 0.99], [0.5, 0.5]];
  LRS.forEach((lr, i) => [0, 1].forEach((s) =>
    runs.set(valId('task', 'm', lr, s), record(val[i][s], test[i][s]))));
  const read = (id: string) => runs.get(id) ?? null;
  const c = chooseLr('task', 'm', [0, 1], read);
  t.equal(c.lr, LRS[1]);
  t.ok(Math.abs(c.validation! - 0.9) < 1e-12, `${c.validation}`);
  t.same(c.last.map((e) => e.testAccuracy), [0.9, 0.9]);
  t.same(c.means, ['80.00', '90.00', '85.00', '55.00']);
  // A lr with a failed run is out, whatever its other seed did.
  runs.set(valId('task', 'm', LRS[1], 1), { ...record(0.99, 0.99), error: 'loss is NaN' });
  const failed = chooseLr('task', 'm', [0, 1], read);
  t.equal(failed.lr, LRS[2]);
  t.equal(failed.means[1], '✗');
  // Until every lr has run on every seed, nothing is chosen.
  runs.delete(valId('task', 'm', LRS[3], 0));
  const partial = chooseLr('task', 'm', [0, 1], read);
  t.equal(partial.lr, undefined);
  t.equal(partial.means[3], '–');
});

t.test('targetChecks: GeoLoRA within LoRA r = 8\'s parameters, picked on validation',
  async (t) => {
    const chosen = (validation: number, test: number[], trainable: number): Chosen =>
      ({ lr: 0.01, means: [], validation, last: test.map((a) => record(validation, a,
        trainable).epochs[4]) });
    const rows = new Map<string, Chosen>([
      ['lora r8', chosen(0.9, [0.95, 0.95], 17000)],
      // Over LoRA's count: left out though its test accuracy is the best.
      ['geolora τ 0.05', chosen(0.99, [0.99, 0.99], 30000)],
      // Within the count, the higher validation accuracy: picked though its test is lower.
      ['geolora τ 0.15', chosen(0.93, [0.94, 0.94], 9000)],
      ['geolora τ 0.3', chosen(0.91, [0.97, 0.97], 7000)],
      ['geolora B 24', chosen(0.9, [0.96, 0.96], 29000)],
      ['adalora 12→8', chosen(0.9, [0.955, 0.955], 25000)],
    ]);
    const lines = targetChecks(rows);
    t.match(lines[0], /within LoRA's 17,000 \(geolora τ 0\.15, geolora τ 0\.3\), geolora τ 0\.15/);
    t.match(lines[0], /test 94\.00 ± 0\.00% with 9,000 .* against LoRA r = 8's 95\.00 /);
    t.match(lines[0], /: −1\.00 points ✗$/);
    t.match(lines[1], /geolora B 24 against adalora 12→8.*: \+0\.50 points ✓$/);
    t.equal(lines.length, 2, 'no B 12 row without its runs');
  });
