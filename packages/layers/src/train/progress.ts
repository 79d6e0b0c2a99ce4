/** A one-line progress bar on a TTY; silent otherwise (the trainer prints a line per epoch). */

/**
 * 'auto': a bar on a TTY only; 'bar': always; 'none': never.
 * @example PROGRESS_MODES.includes(arg as ProgressMode)
 */
export const PROGRESS_MODES = ['auto', 'bar', 'none'] as const;
/** One of `PROGRESS_MODES`. */
export type ProgressMode = (typeof PROGRESS_MODES)[number];

/** Where the bar is drawn: Node's `process.stderr`, or anything with its `write` and `isTTY`. */
export interface ProgressStream {
  /** Whether the stream is a terminal ('auto' draws the bar only then). */
  isTTY?: boolean;
  /** Writes text as is (the bar redraws its line with a carriage return). */
  write(text: string): unknown;
}

/** Node's stderr; undefined in a browser, where there is no `process`. */
function stderr(): ProgressStream | undefined {
  return (globalThis as { process?: { stderr?: ProgressStream } }).process?.stderr;
}

/**
 * A progress bar of `total` steps behind `label`, drawn on `stream` (default: Node's stderr)
 * when the mode asks for it; otherwise every call is a no-op.
 * @example const bar = new Progress('auto', 'epoch 1/10', batches.length);
 *          bar.tick(i + 1, `loss ${loss.toFixed(4)}`); bar.done();
 */
export class Progress {
  private readonly on: boolean;
  private readonly stream: ProgressStream;
  private last = 0;

  /** Without a stream (none given, and no `process.stderr`) the bar stays off. */
  constructor(mode: ProgressMode, private readonly label: string, private readonly total: number,
    stream: ProgressStream | undefined = stderr()) {
    this.stream = stream ?? { write: () => undefined };
    const wanted = mode === 'bar' || (mode === 'auto' && stream?.isTTY === true);
    this.on = stream !== undefined && wanted;
  }

  /** Redraws at most every 100 ms, and always on the last step. */
  tick(done: number, note = ''): void {
    if (!this.on) return;
    const now = performance.now();
    if (done < this.total && now - this.last < 100) return;
    this.last = now;
    const width = 30;
    const filled = Math.round((width * done) / Math.max(this.total, 1));
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    this.stream.write(`\r${this.label} ${bar} ${done}/${this.total}  ${note}\x1b[K`);
  }

  /** Clears the bar's line. */
  done(): void {
    if (this.on) this.stream.write('\r\x1b[K');
  }
}
