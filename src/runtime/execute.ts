import { VmFault } from '../errors/index.js';
import { Cursor, type BatchHooks } from '../vm/batch.js';
import type { Executable } from '../vm/engine.js';
import { RunState } from '../vm/run-state.js';
import type { XdpBuffer } from '../xdp/buffer.js';
import { XdpAction } from '../xdp/constants.js';
import { MAX_CHAIN_CALLS, type ChainTable } from './chain.js';
import type { ProgramNodes } from './nodes.js';
import type { Program } from './program.js';
import { RunTracker } from './stats.js';

export interface XdpRunResult {
  /** The last program's return code (u32). */
  retval: number;
  fault?: VmFault;
  /** Programs run, in order (chain calls included). */
  ran: number;
}

/** A packet's outcome in a batch. */
export interface XdpBatchResult {
  retval: number;
  fault?: VmFault;
}

/** Packets per call into a batch driver (the kernel's NAPI budget is 64; more amortises better here). */
export const BATCH_SIZE = 256;

/** What helpers see as the run's host: the buffer of the packet running (in a batch, the cursor's). */
class XdpRunHost {
  single: XdpBuffer | undefined;
  ring: readonly XdpBuffer[] = [];
  constructor(private readonly nodes: ProgramNodes) {}
  get xdp(): XdpBuffer {
    return this.single ?? this.ring[this.nodes.cursor(Cursor.packet)];
  }
}

/**
 * Runs XDP programs on a buffer the way the 2019 series' bpf_prog_run_xdp did: run the program,
 * then follow its chain slots (wildcard for codes without a slot), at most 32 programs, the
 * result being the last one's. Every program's run count and time are kept, inside tail calls
 * and replacements too. A fault ends the run as XDP_ABORTED.
 *
 * Many packets at once go through the engine's batch driver where it has one: the whole loop,
 * chain calls included, runs in compiled code.
 */
export class XdpExecutor {
  readonly tracker: RunTracker;
  private readonly state: RunState;
  private readonly host: XdpRunHost;
  private readonly ctxList: number;
  private readonly results: number;
  private readonly hooks: BatchHooks;

  constructor(
    private readonly chains: ChainTable,
    programOf: (exe: Executable) => Program | undefined,
    private readonly nodes: ProgramNodes,
    private readonly programAt: (node: number) => Program,
    budget?: number,
    opts: { timing?: boolean } = {},
  ) {
    this.tracker = new RunTracker(programOf, opts.timing ?? true);
    this.state = new RunState({ budget });
    this.tracker.attach(this.state);
    this.host = new XdpRunHost(nodes);
    this.ctxList = nodes.space.allocPrivate(BATCH_SIZE * 4, 'batch contexts');
    this.results = nodes.space.allocPrivate(BATCH_SIZE * 4, 'batch results');
    this.hooks = {
      enter: (node) => this.tracker.begin(this.programAt(node)),
      leave: (retval) => this.tracker.end(retval),
    };
  }

  run(prog: Program, buffer: XdpBuffer): XdpRunResult {
    let p = prog;
    let ran = 0;
    this.host.single = buffer;
    for (;;) {
      this.state.reset(this.host);
      this.tracker.begin(p);
      let retval: number;
      try {
        retval = p.executable.runU32(this.state, buffer.ctx.addr);
      } catch (e) {
        buffer.syncContext();
        this.tracker.end(XdpAction.ABORTED);
        if (!(e instanceof VmFault)) throw e;
        return { retval: XdpAction.ABORTED, fault: e, ran: ran + 1 };
      }
      this.tracker.end(retval);
      ran++;
      const next = this.chains.next(p, retval);
      if (!next || ran >= MAX_CHAIN_CALLS) return { retval, ran };
      p = next;
    }
  }

  /** Run `times` packets on one buffer, each seeing what the previous left (test-run's repeat); the last one's result. */
  repeat(prog: Program, buffer: XdpBuffer, times: number): XdpBatchResult {
    let last: XdpBatchResult = { retval: XdpAction.ABORTED };
    this.batch(prog, [buffer], times, 0, (_, r) => (last = r));
    return last;
  }

  /** Run one packet on each buffer, in order; `each` hears every packet's outcome. */
  runEach(prog: Program, buffers: readonly XdpBuffer[], each: (i: number, result: XdpBatchResult) => void): void {
    for (let from = 0; from < buffers.length; from += BATCH_SIZE) {
      const part = buffers.slice(from, from + BATCH_SIZE);
      this.batch(prog, part, part.length, 4, (i, r) => each(from + i, r));
    }
  }

  /**
   * Run one packet on each of `buffers[0 .. count)`, in order, writing each one's return code to
   * `retvals[i]`: the capture replay's loop, with no object per packet. A faulted packet gets
   * XDP_ABORTED, and `onFault` hears it (in packet order).
   */
  runRing(prog: Program, buffers: readonly XdpBuffer[], count: number, retvals: Uint32Array, onFault?: (i: number, fault: VmFault) => void): void {
    if (!this.batched()) {
      for (let i = 0; i < count; i++) {
        const r = this.run(prog, buffers[i]);
        retvals[i] = r.retval;
        if (r.fault) onFault?.(i, r.fault);
      }
      return;
    }
    const faults = this.drive(prog, buffers, count, 4);
    const dv = this.nodes.space.dv;
    for (let i = 0; i < count; i++) retvals[i] = dv.getUint32(this.results + i * 4, true);
    for (const [i, fault] of faults) {
      retvals[i] = XdpAction.ABORTED;
      onFault?.(i, fault);
    }
  }

  /** Whether runs go through the engine's batch driver (it has one, and the budget fits its cell). */
  private batched(): boolean {
    const driver = this.nodes.driver;
    return driver !== undefined && this.state.initialBudget <= driver.maxBudget;
  }

  /**
   * Packets 0..count-1, on `buffers[i]` (stride 4) or all on `buffers[0]` (stride 0), through the
   * batch driver; engines without one (and budgets above its cell) run packet by packet.
   */
  private batch(prog: Program, buffers: readonly XdpBuffer[], count: number, stride: 0 | 4, each: (i: number, result: XdpBatchResult) => void): void {
    if (!this.batched()) {
      for (let i = 0; i < count; i++) each(i, this.run(prog, buffers[stride ? i : 0]));
      return;
    }
    const faults = this.drive(prog, buffers, count, stride);
    const dv = this.nodes.space.dv;
    if (!stride) {
      // Only the last packet's outcome is kept in repeat mode, after any fault's own.
      for (const [i, fault] of faults) each(i, { retval: XdpAction.ABORTED, fault });
      if (!faults.has(count - 1)) each(count - 1, { retval: dv.getUint32(this.results, true) });
      return;
    }
    for (let i = 0; i < count; i++) {
      const fault = faults.get(i);
      each(i, fault ? { retval: XdpAction.ABORTED, fault } : { retval: dv.getUint32(this.results + i * 4, true) });
    }
  }

  /** Run the packets through the batch driver, resuming after each fault; the faults by packet. */
  private drive(prog: Program, buffers: readonly XdpBuffer[], count: number, stride: 0 | 4): Map<number, VmFault> {
    const driver = this.nodes.driver!;
    const dv = this.nodes.space.dv;
    const contexts = stride ? count : 1;
    for (let i = 0; i < contexts; i++) dv.setUint32(this.ctxList + i * 4, buffers[i].ctx.addr, true);
    this.host.single = stride ? undefined : buffers[0];
    this.host.ring = buffers;
    this.state.reset(this.host);
    // Untracked, the driver counts runs itself and the tracker only counts what it cannot see.
    const tracked = this.tracker.timing || this.tracker.observer !== undefined;
    this.tracker.countOnly = !tracked;
    const faults = new Map<number, VmFault>();
    let from = 0;
    try {
      while (from < count) {
        try {
          driver.run({
            state: this.state,
            entry: prog.node,
            ctxList: this.ctxList,
            ctxStride: stride,
            results: this.results,
            resultStride: stride,
            from,
            count,
            ...(tracked ? { hooks: this.hooks } : {}),
          });
          break;
        } catch (e) {
          if (!(e instanceof VmFault)) throw e;
          const i = this.nodes.cursor(Cursor.packet);
          buffers[stride ? i : 0].syncContext();
          if (tracked) this.tracker.end(XdpAction.ABORTED);
          faults.set(i, e);
          from = i + 1;
        }
      }
    } finally {
      this.tracker.countOnly = false;
      this.host.ring = [];
    }
    return faults;
  }
}
