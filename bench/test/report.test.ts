import t from 'tap';
import { bestOfRounds } from '../src/report.js';

t.test('bestOfRounds keeps each key\'s least median, lists every round, and keeps skipped rows',
  async (t) => {
    const rows = [
      { k: 'a', medianMs: 5, samples: 10 }, { k: 'b', error: 'no wasm' },
      { k: 'a', medianMs: 3, samples: 12 }, { k: 'c', medianMs: 7 },
      { k: 'a', medianMs: 4, samples: 11 }, { k: 'b', error: 'no wasm' },
    ];
    const best = bestOfRounds(rows, (r) => r.k);
    t.same(best.map((r) => r.k), ['a', 'b', 'c'], 'one row per key, in first-seen order');
    t.same(best[0], { k: 'a', medianMs: 3, samples: 12, roundsMs: [5, 3, 4] });
    t.same(best[1], { k: 'b', error: 'no wasm' });
    t.same(best[2], { k: 'c', medianMs: 7 }, 'a single round lists no rounds');
  });
