import type { Executable } from '../vm/engine.js';
import type { RunState } from '../vm/run-state.js';
import type { Program } from './program.js';

/**
 * Attributes run counts and time to programs as control moves between them inside one run:
 * a tail call ends the current program's share and starts the target's; a call into another
 * program (freplace, callx) pauses the caller until it returns.
 */
export class RunTracker {
  private readonly stack: Program[] = [];
  private since = 0n;

  constructor(private readonly programOf: (exe: Executable) => Program | undefined) {}

  /** Hook the tracker into a run state. */
  attach(state: RunState): void {
    state.onEnter = (exe, kind) => {
      const p = this.programOf(exe);
      if (!p) return;
      this.charge();
      if (kind === 'tail-call') this.stack.pop();
      this.stack.push(p);
      p.stats.runCount++;
    };
    state.onReturn = (exe) => {
      this.charge();
      this.stack.pop();
      const p = this.programOf(exe);
      if (p && this.stack[this.stack.length - 1] !== p) this.stack.push(p);
    };
  }

  begin(p: Program): void {
    this.stack.length = 0;
    this.stack.push(p);
    p.stats.runCount++;
    this.since = process.hrtime.bigint();
  }

  /** Time since the last switch goes to the program on top. */
  private charge(): void {
    const now = process.hrtime.bigint();
    const top = this.stack[this.stack.length - 1];
    if (top) top.stats.runTimeNs += Number(now - this.since);
    this.since = now;
  }

  end(): void {
    this.charge();
    this.stack.length = 0;
  }
}
