import { groupDigits } from './output.js';

/** A progress line on stderr for long runs; silent when stderr is not a terminal. */
export class Progress {
  private last = 0;
  private readonly started = Date.now();
  private readonly enabled: boolean;

  constructor(private readonly label: string, private readonly total?: number, force = false) {
    this.enabled = force || Boolean(process.stderr.isTTY);
  }

  tick(done: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 200) return;
    this.last = now;
    const rate = done / Math.max(1e-3, (now - this.started) / 1000);
    const pct = this.total ? ` ${((100 * done) / this.total).toFixed(1)}%` : '';
    process.stderr.write(`\r${this.label}: ${groupDigits(done)} packets${pct}  ${groupDigits(rate)}/s   `);
  }

  done(): void {
    if (this.enabled) process.stderr.write('\n');
  }
}
