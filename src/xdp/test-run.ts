import { VmFault, XdpchainError } from '../errors/index.js';
import type { AttachType } from '../object-spec/program-spec.js';
import type { AddressSpace } from '../vm/address-space.js';
import type { Executable } from '../vm/engine.js';
import { RunState } from '../vm/run-state.js';
import { XdpBuffer, type RedirectTarget } from './buffer.js';
import { ETH_HLEN, LOOPBACK_IFINDEX, XDP_TEST_RUN_METADATA_MAX, XdpAction } from './constants.js';

/** `struct xdp_md` as BPF_PROG_TEST_RUN's ctx_in/ctx_out carries it (offsets, not pointers). */
export interface XdpMd {
  /** Metadata length: offset of the packet data from data_meta. */
  data: number;
  /** Offset of the end of the packet from data_meta. */
  dataEnd: number;
  dataMeta: number;
  ingressIfindex: number;
  rxQueueIndex: number;
  egressIfindex: number;
}

/** What the test-run needs to know about the devices an ifindex may name. */
export interface IngressDevices {
  /** Number of RX queues with XDP registered, or undefined when no such device exists. */
  rxQueues(ifindex: number): number | undefined;
}

/** Only loopback exists by default, as in a fresh network namespace. */
export const loopbackOnly: IngressDevices = {
  rxQueues: (ifindex) => (ifindex === LOOPBACK_IFINDEX ? 1 : undefined),
};

/** The program as test-run needs it. */
export interface TestRunProgram {
  readonly name: string;
  readonly attachType: AttachType;
  /** Loaded with BPF_F_XDP_HAS_FRAGS. */
  readonly hasFrags: boolean;
  /** Bound to a device at load: the kernel refuses to test-run it. */
  readonly boundIfindex?: number;
  readonly executable: Executable;
}

export interface XdpTestRunInput {
  data: Uint8Array;
  /** ctx_in: fields left out are 0; `dataEnd` defaults to data.length as the kernel requires. */
  ctx?: Partial<XdpMd>;
  /** 0 counts as 1. */
  repeat?: number;
  budget?: number;
  devices?: IngressDevices;
  /**
   * How the runs execute, `times` of them on the buffer, returning the last one's outcome (the
   * runtime passes its chain-aware batch executor); by default the program's code runs alone.
   */
  execute?: (buffer: XdpBuffer, times: number) => { retval: number; fault?: VmFault };
}

export interface XdpTestRunOutput {
  retval: number;
  /** data_meta .. data_end after the last run. */
  dataOut: Uint8Array;
  /** Present when ctx_in was given, as the kernel returns it. */
  ctxOut?: XdpMd;
  /** Mean ns per run. */
  durationNs: number;
  /** Set when the last run faulted; retval is then XDP_ABORTED. */
  fault?: VmFault;
  /** Where a redirect helper pointed the frame during the last run. */
  redirect: RedirectTarget | null;
}

/** Run the program's own code, nothing else; a fault makes the run XDP_ABORTED. */
function runAlone(prog: TestRunProgram, budget?: number): (buffer: XdpBuffer, times: number) => { retval: number; fault?: VmFault } {
  const state = new RunState({ budget });
  const once = (buffer: XdpBuffer): { retval: number; fault?: VmFault } => {
    state.reset({ xdp: buffer });
    try {
      return { retval: Number(prog.executable.run(state, buffer.ctx.addr) & 0xffffffffn) };
    } catch (e) {
      if (!(e instanceof VmFault)) throw e;
      return { retval: XdpAction.ABORTED, fault: e };
    }
  };
  return (buffer, times) => {
    let last = once(buffer);
    for (let i = 1; i < times; i++) last = once(buffer);
    return last;
  };
}

/**
 * BPF_PROG_TEST_RUN for XDP: the same input checks and errors, the same output. With repeat > 1
 * every run sees the buffer the previous run left (the kernel reuses it), and the result is
 * the last run's.
 */
export function xdpTestRun(prog: TestRunProgram, space: AddressSpace, input: XdpTestRunInput): XdpTestRunOutput {
  const fail = (errno: 'EINVAL' | 'ENODEV', why: string): never => {
    throw new XdpchainError(errno, `test-run of ${prog.name}: ${why}`, { program: prog.name });
  };
  if (prog.attachType === 'xdp_devmap' || prog.attachType === 'xdp_cpumap') {
    fail('EINVAL', `programs for ${prog.attachType} cannot be test-run (the kernel refuses them too)`);
  }
  if (prog.boundIfindex !== undefined) {
    fail(
      'EINVAL',
      `the program is bound to the device with ifindex ${prog.boundIfindex}, and the kernel does not test-run device-bound programs: receive frames on the device instead (inject)`,
    );
  }
  const size = input.data.length;
  if (size < ETH_HLEN) fail('EINVAL', `packet of ${size} bytes is shorter than an Ethernet header (${ETH_HLEN})`);

  const ctx = input.ctx;
  let meta = 0;
  let ingressIfindex = LOOPBACK_IFINDEX;
  let rxQueueIndex = 0;
  if (ctx) {
    const c: XdpMd = { data: 0, dataEnd: size, dataMeta: 0, ingressIfindex: 0, rxQueueIndex: 0, egressIfindex: 0, ...ctx };
    if (c.dataMeta !== 0) fail('EINVAL', 'ctx data_meta must be 0 (metadata comes first in data_in)');
    if (c.dataEnd !== size) fail('EINVAL', `ctx data_end (${c.dataEnd}) must equal the packet length (${size})`);
    if (c.data > c.dataEnd) fail('EINVAL', `ctx data (${c.data}) is past data_end (${c.dataEnd})`);
    if (c.data > XDP_TEST_RUN_METADATA_MAX || c.data % 4 !== 0)
      fail('EINVAL', `metadata length ${c.data} must be a multiple of 4 and at most ${XDP_TEST_RUN_METADATA_MAX}`);
    if (c.egressIfindex !== 0) fail('EINVAL', 'ctx egress_ifindex must be 0');
    if (!c.ingressIfindex && c.rxQueueIndex) fail('EINVAL', 'ctx rx_queue_index needs ingress_ifindex');
    if (c.ingressIfindex) {
      const queues = (input.devices ?? loopbackOnly).rxQueues(c.ingressIfindex);
      if (queues === undefined) fail('ENODEV', `no device with ifindex ${c.ingressIfindex}`);
      if (c.rxQueueIndex >= queues!) fail('EINVAL', `rx_queue_index ${c.rxQueueIndex} is not below the device's ${queues} queues`);
    }
    meta = c.data;
    ingressIfindex = c.ingressIfindex || LOOPBACK_IFINDEX;
    rxQueueIndex = c.rxQueueIndex;
  }
  // The 14-byte minimum applies to the frame after the metadata.
  if (size - meta < ETH_HLEN)
    fail('EINVAL', `packet of ${size - meta} bytes (after ${meta} bytes of metadata) is shorter than an Ethernet header (${ETH_HLEN})`);

  const buffer = new XdpBuffer(space, `test-run ${prog.name}`);
  try {
    buffer.load(input.data, meta);
    buffer.ingressIfindex = ingressIfindex;
    buffer.rxQueueIndex = rxQueueIndex;
    buffer.syncContext();
    const repeat = Math.max(1, input.repeat ?? 1);
    const execute = input.execute ?? runAlone(prog, input.budget);
    const started = process.hrtime.bigint();
    const { retval, fault } = execute(buffer, repeat);
    const durationNs = Number(process.hrtime.bigint() - started) / repeat;
    const out: XdpTestRunOutput = { retval, dataOut: buffer.packetWithMeta(), durationNs, redirect: buffer.redirect };
    if (fault) out.fault = fault;
    if (ctx) {
      out.ctxOut = {
        data: buffer.data - buffer.dataMeta,
        dataEnd: buffer.dataEnd - buffer.dataMeta,
        dataMeta: 0,
        ingressIfindex: ctx.ingressIfindex ?? 0,
        rxQueueIndex: ctx.rxQueueIndex ?? 0,
        egressIfindex: 0,
      };
    }
    return out;
  } finally {
    buffer.free();
  }
}
