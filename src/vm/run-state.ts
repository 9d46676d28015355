import type { Executable } from './engine.js';

export const DEFAULT_INSTRUCTION_BUDGET = 16_000_000;

export interface RunStateOptions {
  /** Instructions one run may execute before it ends with a 'budget' fault. */
  budget?: number;
  /** Per-run state for the program type's helpers (e.g. the XDP buffer). */
  host?: unknown;
}

/**
 * Mutable state of one run (one packet through one hook): the remaining instruction budget,
 * the tail-call count (33 at most per run, shared by everything the run reaches) and the
 * host's per-run state that helpers read.
 */
export class RunState {
  budget: number;
  readonly initialBudget: number;
  tailCalls = 0;
  host: unknown;
  /**
   * Called when control enters another program's code: a tail call (which replaces the current
   * program), or a call into a replacement (freplace) or another program's function (callx).
   */
  onEnter?: (exe: Executable, kind: 'tail-call' | 'call') => void;
  /** Called when a call into another program's code returns to `exe` from `from` with `r0`. */
  onReturn?: (exe: Executable, from: Executable, r0: bigint) => void;
  /**
   * Set while `onEnter` only counts runs and `onReturn` does nothing: an engine may then call
   * another program's code directly, counting its run at `ExecutableSpec.runCounter`.
   */
  countsOnly = false;

  constructor(opts: RunStateOptions = {}) {
    this.initialBudget = opts.budget ?? DEFAULT_INSTRUCTION_BUDGET;
    this.budget = this.initialBudget;
    this.host = opts.host;
  }

  /** Reuse this object for another run. */
  reset(host?: unknown): void {
    this.budget = this.initialBudget;
    this.tailCalls = 0;
    if (host !== undefined) this.host = host;
  }

  get executed(): number {
    return this.initialBudget - this.budget;
  }
}
