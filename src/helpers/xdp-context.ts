import type { HelperCall } from '../vm/helper.js';
import type { XdpBuffer } from '../xdp/buffer.js';

/** Per-run state an XDP run gives its helpers (RunState.host). */
export interface XdpRunHost {
  readonly xdp: XdpBuffer;
}

export function isXdpRunHost(host: unknown): host is XdpRunHost {
  return typeof host === 'object' && host !== null && 'xdp' in host;
}

/** The XDP buffer of the current run; a helper called outside an XDP run faults clearly. */
export function xdpBufferOf(call: HelperCall, helper: string): XdpBuffer {
  // On the hot path of every packet helper: one property read, no `in` walk.
  const xdp = (call.state.host as Partial<XdpRunHost> | null | undefined)?.xdp;
  if (!xdp) call.fault(`${helper} needs an XDP context, but this run has none`);
  return xdp!;
}
