/** A one-line progress bar on a TTY; silent otherwise (the trainer prints a line per epoch). */

export type ProgressMode = 'auto' | 'bar' | 'none';

export class Progress {
  private readonly on: boolean;
  private last = 0;

  constructor(mode: ProgressMode, private readonly label: string, private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.on = mode === 'bar' || (mode === 'auto' && stream.isTTY === true);
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
