// The progress bar: drawn on a TTY, silent otherwise; the trainer prints plain epoch lines
// either way (checked in training.test.ts). Without Node's `process` (a browser) it stays off.
import t from 'tap';
import { Progress } from '../src/index.js';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; out: string[] } {
  const out: string[] = [];
  const stream = { isTTY, write: (s: string) => out.push(s) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, out };
}

t.test('auto mode draws only on a TTY', async (t) => {
  const tty = fakeStream(true);
  const bar = new Progress('auto', 'epoch 1/2', 4, tty.stream);
  bar.tick(4, 'loss 0.5');
  bar.done();
  t.match(tty.out[0], /^\repoch 1\/2 █{30} 4\/4 {2}loss 0\.5/);
  t.equal(tty.out[1], '\r\x1b[K', 'the line is cleared at the end');
  const pipe = fakeStream(false);
  const quiet = new Progress('auto', 'epoch 1/2', 4, pipe.stream);
  quiet.tick(4);
  quiet.done();
  t.same(pipe.out, [], 'nothing on a pipe');
  const forced = fakeStream(false);
  new Progress('bar', 'e', 2, forced.stream).tick(1);
  t.match(forced.out[0], /█{15}░{15} 1\/2/, "'bar' forces it, half full at 1 of 2");
});

t.test('without process (as in a browser) the bar is off and nothing throws', async (t) => {
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'process')!;
  let error: unknown;
  try {
    Object.defineProperty(globalThis, 'process', { value: undefined, configurable: true });
    const bar = new Progress('bar', 'epoch 1/1', 2);
    bar.tick(2, 'loss 0.5');
    bar.done();
  } catch (e) {
    error = e;
  } finally {
    Object.defineProperty(globalThis, 'process', saved);
  }
  t.equal(error, undefined, 'constructed, ticked and cleared with no process');
});
