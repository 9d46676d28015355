import { VmFault } from '../errors/index.js';
import type { Executable } from '../vm/engine.js';
import { RunState } from '../vm/run-state.js';
import type { XdpBuffer } from '../xdp/buffer.js';
import { XdpAction } from '../xdp/constants.js';
import { MAX_CHAIN_CALLS, type ChainTable } from './chain.js';
import type { Program } from './program.js';
import { RunTracker } from './stats.js';

export interface XdpRunResult {
  /** The last program's return code (u32). */
  retval: number;
  fault?: VmFault;
  /** Programs run, in order (chain calls included). */
  ran: number;
}

/**
 * Runs XDP programs on a buffer the way the 2019 series' bpf_prog_run_xdp did: run the program,
 * then follow its chain slots (wildcard for codes without a slot), at most 32 programs, the
 * result being the last one's. Every program's run count and time are kept, inside tail calls
 * and replacements too. A fault ends the run as XDP_ABORTED.
 */
export class XdpExecutor {
  readonly tracker: RunTracker;
  private readonly state: RunState;
  /** The helpers' view of the run, reused so that a packet allocates nothing. */
  private readonly host: { xdp: XdpBuffer | undefined } = { xdp: undefined };

  constructor(private readonly chains: ChainTable, programOf: (exe: Executable) => Program | undefined, budget?: number, opts: { timing?: boolean } = {}) {
    this.tracker = new RunTracker(programOf, opts.timing ?? true);
    this.state = new RunState({ budget });
    this.tracker.attach(this.state);
  }

  run(prog: Program, buffer: XdpBuffer): XdpRunResult {
    let p = prog;
    let ran = 0;
    for (;;) {
      this.host.xdp = buffer;
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
      buffer.syncContext();
      this.tracker.end(retval);
      ran++;
      const next = this.chains.next(p, retval);
      if (!next || ran >= MAX_CHAIN_CALLS) return { retval, ran };
      p = next;
    }
  }
}
