import { XdpchainError } from '../errors/index.js';
import type { AddressSpace } from '../vm/address-space.js';
import { XdpBuffer } from './buffer.js';

/** The result of running a device's XDP hook on one frame. */
export interface HookVerdict {
  /** XDP action code (0..4; anything else is treated as ABORTED, as drivers do). */
  action: number;
  /** Set when a program faulted (the frame is then ABORTED). */
  error?: Error;
}

/**
 * Whatever is attached to a device's XDP hook: one program, a chain, a dispatcher, an mprog
 * list. It runs on the device's buffer and leaves the rewritten frame and redirect target there.
 */
export interface XdpHook {
  /** A short description for status output (mode and ids). */
  readonly description: string;
  run(buffer: XdpBuffer, device: Netdev): HookVerdict;
}

/** Per-device counters, like `ip -s link` plus XDP action counts. */
export interface NetdevStats {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  /** Frames handed to the stack (XDP_PASS or no program). */
  passed: number;
  dropped: number;
  aborted: number;
  transmitted: number;
  redirected: number;
  /** Redirects whose target did not exist or could not take the frame. */
  redirectErrors: number;
}

/** A frame that left the XDP layer: to the stack, onto the wire, or into a queue. */
export interface DeliveredFrame {
  data: Uint8Array;
  /** ifindex the frame arrived on. */
  ingressIfindex: number;
}

export const emptyStats = (): NetdevStats => ({
  rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, passed: 0, dropped: 0, aborted: 0, transmitted: 0, redirected: 0, redirectErrors: 0,
});

/**
 * A network device: an XDP hook on receive, a "stack" that collects passed frames, and an
 * optional veth-style peer that receives whatever this device transmits.
 */
export class Netdev {
  hook: XdpHook | null = null;
  peer: Netdev | null = null;
  readonly stats: NetdevStats = emptyStats();
  /** Frames XDP_PASSed to the stack, kept for inspection (bounded by `keepFrames`). */
  readonly stack: DeliveredFrame[] = [];
  /** Frames sent out of a device without a peer (the wire). */
  readonly wire: DeliveredFrame[] = [];
  keepFrames = 10_000;
  mtu = 1500;
  /** Locally administered MAC derived from the ifindex unless set. */
  mac: Uint8Array;
  private buffer: XdpBuffer | null = null;

  constructor(readonly name: string, readonly ifindex: number, readonly rxQueues = 1) {
    this.mac = Uint8Array.from([0x02, 0, 0, 0, (ifindex >> 8) & 0xff, ifindex & 0xff]);
    if (!/^[A-Za-z0-9_.:-]{1,15}$/.test(name)) {
      throw new XdpchainError('EINVAL', `invalid device name "${name}": 1 to 15 characters of letters, digits, _ . : -`);
    }
  }

  /** The device's receive buffer (one frame in flight per device, like one NAPI poll). */
  rxBuffer(space: AddressSpace): XdpBuffer {
    if (!this.buffer) {
      this.buffer = new XdpBuffer(space, `netdev ${this.name}`);
      this.buffer.device = this.name;
    }
    return this.buffer;
  }

  release(): void {
    this.buffer?.free();
    this.buffer = null;
  }

  keep(list: DeliveredFrame[], frame: DeliveredFrame): void {
    if (list.length < this.keepFrames) list.push(frame);
  }
}
