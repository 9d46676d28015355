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
  /** Programs in progress, innermost last: `stack[0..depth)` (no array resizing per packet). */
  private readonly stack: Program[] = [];
  private depth = 0;
  private since = 0n;
  private state: RunState | undefined;
  observer: ProgramObserver | undefined;
  /**
   * Set while a compiled batch runs untracked: it counts the programs it starts itself, so
   * entering another program (tail call, replacement) only counts that run.
   */
  get countOnly(): boolean {
    return this.state?.countsOnly ?? false;
  }
  set countOnly(on: boolean) {
    if (this.state) this.state.countsOnly = on;
  }

  /**
   * With `timing` off only run counts are kept, as the kernel keeps run_time_ns only with
   * kernel.bpf_stats_enabled: reading a clock twice per program costs more than a small program.
   */
  constructor(
    private readonly programOf: (exe: Executable) => Program | undefined,
    readonly timing = true,
  ) {}

  /** Hook the tracker into a run state. */
  attach(state: RunState): void {
    this.state = state;
    state.onEnter = (exe, kind) => {
      const p = this.programOf(exe);
      if (!p) return;
      if (this.countOnly) {
        p.stats.runCount++;
        return;
      }
      this.charge();
      if (kind === 'tail-call') {
        const left = this.pop();
        if (left) this.observer?.finished(left, state, undefined);
      }
      this.push(p);
      p.stats.runCount++;
      this.observer?.started(p, state);
    };
    state.onReturn = (exe, from, r0) => {
      if (this.countOnly) return;
      this.charge();
      const done = this.pop();
      if (done && this.programOf(from) === done) this.observer?.finished(done, state, Number(r0 & 0xffffffffn));
      const p = this.programOf(exe);
      if (p && this.top() !== p) this.push(p);
    };
  }

  begin(p: Program): void {
    this.depth = 0;
    this.push(p);
    p.stats.runCount++;
    if (this.timing) this.since = process.hrtime.bigint();
    if (this.observer && this.state) this.observer.started(p, this.state);
  }

  /** Time since the last switch goes to the program on top. */
  private charge(): void {
    if (!this.timing) return;
    const now = process.hrtime.bigint();
    const top = this.top();
    if (top) top.stats.runTimeNs += Number(now - this.since);
    this.since = now;
  }

  /** The run ended with `retval` from the program on top. */
  end(retval?: number): void {
    this.charge();
    const top = this.top();
    if (top && this.observer && this.state) this.observer.finished(top, this.state, retval);
    this.depth = 0;
  }

  private push(p: Program): void {
    this.stack[this.depth++] = p;
  }
  private pop(): Program | undefined {
    return this.depth > 0 ? this.stack[--this.depth] : undefined;
  }
  private top(): Program | undefined {
    return this.depth > 0 ? this.stack[this.depth - 1] : undefined;
  }
}
