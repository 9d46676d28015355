import type { Executable } from '../vm/engine.js';
import type { RunState } from '../vm/run-state.js';
import type { Program } from './program.js';

/** Told when a program starts and finishes inside a run (capture uses it). */
export interface ProgramObserver {
  started(p: Program, state: RunState): void;
  /** `retval` is undefined when the program left by a tail call. */
  finished(p: Program, state: RunState, retval: number | undefined): void;
}

/**
 * Attributes run counts and time to programs as control moves between them inside one run:
 * a tail call ends the current program's share and starts the target's; a call into another
 * program (freplace, callx) pauses the caller until it returns.
 */
export class RunTracker {
  private readonly stack: Program[] = [];
  private since = 0n;
  private state: RunState | undefined;
  observer: ProgramObserver | undefined;

  constructor(private readonly programOf: (exe: Executable) => Program | undefined) {}

  /** Hook the tracker into a run state. */
  attach(state: RunState): void {
    this.state = state;
    state.onEnter = (exe, kind) => {
      const p = this.programOf(exe);
      if (!p) return;
      this.charge();
      if (kind === 'tail-call') {
        const left = this.stack.pop();
        if (left) this.observer?.finished(left, state, undefined);
      }
      this.stack.push(p);
      p.stats.runCount++;
      this.observer?.started(p, state);
    };
    state.onReturn = (exe, from, r0) => {
      this.charge();
      const done = this.stack.pop();
      if (done && this.programOf(from) === done) this.observer?.finished(done, state, Number(r0 & 0xffffffffn));
      const p = this.programOf(exe);
      if (p && this.stack[this.stack.length - 1] !== p) this.stack.push(p);
    };
  }

  begin(p: Program): void {
    this.stack.length = 0;
    this.stack.push(p);
    p.stats.runCount++;
    this.since = process.hrtime.bigint();
    if (this.observer && this.state) this.observer.started(p, this.state);
  }

  /** Time since the last switch goes to the program on top. */
  private charge(): void {
    const now = process.hrtime.bigint();
    const top = this.stack[this.stack.length - 1];
    if (top) top.stats.runTimeNs += Number(now - this.since);
    this.since = now;
  }

  /** The run ended with `retval` from the program on top. */
  end(retval?: number): void {
    this.charge();
    const top = this.stack[this.stack.length - 1];
    if (top && this.observer && this.state) this.observer.finished(top, this.state, retval);
    this.stack.length = 0;
  }
}
