import { groupDigits } from './output.js';

/** A progress line on stderr for long runs; silent when stderr is not a terminal (unless forced). */
export class Progress {
  private last = 0;
  private readonly started = Date.now();
  private readonly enabled: boolean;

  constructor(
    private readonly label: string,
    force = false,
  ) {
    this.enabled = force || Boolean(process.stderr.isTTY);
  }

  /** `done` packets so far; `fraction` of the input read (0..1), when known, gives a percentage and an ETA. */
  tick(done: number, fraction?: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 200) return;
    this.last = now;
    const elapsed = Math.max(1e-3, (now - this.started) / 1000);
    const rate = done / elapsed;
    let extra = '';
    if (fraction !== undefined && fraction > 0) {
      const left = (elapsed * (1 - fraction)) / fraction;
      extra = ` ${(100 * Math.min(1, fraction)).toFixed(1)}%  ETA ${left < 60 ? `${left.toFixed(0)}s` : `${Math.floor(left / 60)}m${Math.round(left % 60)}s`}`;
    }
    process.stderr.write(`\r${this.label}: ${groupDigits(done)} packets  ${groupDigits(rate)}/s${extra}   `);
  }

  done(): void {
    if (this.enabled) process.stderr.write('\n');
  }
}
