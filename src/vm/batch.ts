import type { Executable } from './engine.js';
import type { RunState } from './run-state.js';

/** Successor slots per node, as the chain table has them: 0 is the wildcard, r + 1 follows return code r. */
export const BATCH_SLOTS = 8;
/** Bytes per node in the counters array: the run count (f64), then the run time in ns (f64). */
export const COUNTER_BYTES = 16;

/**
 * The graph a batch runs through, kept by the runtime in private memory so a driver follows it
 * without leaving compiled code. Node n is one loaded program:
 * - its counters (f64 run count, f64 run time) at `counters + 16·n`;
 * - its successors, i32 × 8 at `successors + 32·n`: the next node + 1 after return code r
 *   (slot r + 1, else the wildcard slot 0), 0 where nothing follows.
 */
export interface BatchLayout {
  counters: number;
  successors: number;
  /** i32 cells the driver keeps up to date: where it is, for the host to read after a fault. */
  cursor: number;
  /** At most this many programs run for one packet (the chain-call limit). */
  maxChain: number;
}

/** The cursor cells, as i32 indices from `BatchLayout.cursor`. */
export const Cursor = {
  /** Index of the packet being run. */
  packet: 0,
  /** Node of the program being run. */
  node: 1,
  /** Programs that had finished for this packet before it. */
  ran: 2,
  size: 16,
} as const;

/** Called around every program of a tracked batch (timing, capture). */
export interface BatchHooks {
  enter(node: number): void;
  leave(retval: number): void;
}

export interface BatchRequest {
  state: RunState;
  /** The node every packet starts at. */
  entry: number;
  /** Packet i's context address is the u32 at `ctxList + i·ctxStride` (stride 0: one buffer, run again). */
  ctxList: number;
  ctxStride: number;
  /** Packet i's result (u32) goes to `results + i·resultStride`. */
  results: number;
  resultStride: number;
  from: number;
  count: number;
  /** With hooks, every program is reported to them; without, the driver only counts runs in memory. */
  hooks?: BatchHooks;
}

/**
 * Runs many packets through a graph of programs in one call into compiled code: the XDP
 * NAPI-style loop. Each program starts with a fresh budget and tail-call count, as a run does.
 */
export interface BatchDriver {
  /** Node `node` runs `exe` from now on (null: nothing). */
  bind(node: number, exe: Executable | null): void;
  /** The successor table in memory changed (a chain call was added or removed). */
  successorsChanged(): void;
  /**
   * Run packets `from..count-1`. A fault (VmFault) ends the call: the cursor names the packet
   * and the node, and the caller resumes after it.
   */
  run(req: BatchRequest): void;
  /**
   * Get ready to run `count` packets from node `entry`: compile what that run would compile on
   * its way (programs, the driver, the entry's graph when the run makes it hot), so a timed run
   * times only packets, as the kernel's test-run does with code it compiled at load.
   */
  prepare(entry: number, count: number): void;
  /** The largest budget a batch can give each program (larger budgets run packet by packet). */
  readonly maxBudget: number;
}
