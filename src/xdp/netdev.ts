import { XdpchainError } from '../errors/index.js';
import type { AddressSpace } from '../vm/address-space.js';
import { XdpBuffer } from './buffer.js';
import { ETH_HLEN } from './constants.js';
import type { RxMetadataOp } from './rx-metadata.js';

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
  /** Run each buffer's frame through the hook in one batch, in order (hooks that can; others run frame by frame). */
  runEach?(buffers: readonly XdpBuffer[], device: Netdev, each: (i: number, verdict: HookVerdict) => void): void;
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
  /** Frames from the wire shorter than an Ethernet header, dropped before XDP (ip -s link's length errors). */
  rxLengthErrors: number;
}

/** Where a device hands a frame it is done with: its network stack (XDP_PASS) or the wire (no peer to receive it). */
export type DeliveryKind = 'stack' | 'wire';

/** A frame that left the XDP layer: to the stack, onto the wire, or into a queue. */
export interface DeliveredFrame {
  data: Uint8Array;
  /** ifindex the frame arrived on. */
  ingressIfindex: number;
}

export const emptyStats = (): NetdevStats => ({
  rxPackets: 0,
  rxBytes: 0,
  txPackets: 0,
  txBytes: 0,
  passed: 0,
  dropped: 0,
  aborted: 0,
  transmitted: 0,
  redirected: 0,
  redirectErrors: 0,
  rxLengthErrors: 0,
});

/**
 * A network device: an XDP hook on receive, a "stack" that collects passed frames, and an
 * optional veth-style peer that receives whatever this device transmits.
 */
export class Netdev {
  hook: XdpHook | null = null;
  peer: Netdev | null = null;
  readonly stats: NetdevStats = emptyStats();
  /**
   * The first frames XDP_PASSed to the stack, kept for inspection: at most `keepFrames` of
   * them, so that memory does not grow with the traffic. `delivered.stack` counts them all.
   */
  readonly stack: DeliveredFrame[] = [];
  /** The first frames sent out of a device without a peer (the wire), as many as `stack` keeps; `delivered.wire` counts them all. */
  readonly wire: DeliveredFrame[] = [];
  keepFrames = 10_000;
  /** Frames handed to the stack and the wire, kept or not (`stack.length` of `delivered.stack` were kept). */
  readonly delivered: Record<DeliveryKind, number> = { stack: 0, wire: 0 };
  mtu = 1500;
  /** The RX metadata kfuncs this device implements (its driver's xdp_metadata_ops); none by default. */
  rxMetadata: ReadonlySet<RxMetadataOp> = new Set();
  /** RX VLAN offload: frames from the wire lose their outer tag, which bpf_xdp_metadata_rx_vlan_tag reports. */
  rxVlanStrip = false;
  /** Locally administered MAC derived from the ifindex unless set. */
  mac: Uint8Array;
  private readonly ring: XdpBuffer[] = [];

  constructor(
    readonly name: string,
    readonly ifindex: number,
    readonly rxQueues = 1,
  ) {
    this.mac = Uint8Array.from([0x02, 0, 0, 0, (ifindex >> 8) & 0xff, ifindex & 0xff]);
    if (!/^[A-Za-z0-9_.:-]{1,15}$/.test(name)) {
      throw new XdpchainError('EINVAL', `invalid device name "${name}": 1 to 15 characters of letters, digits, _ . : -`);
    }
  }

  /** The device's receive buffer for one frame. */
  rxBuffer(space: AddressSpace): XdpBuffer {
    this.grow(space, 1);
    return this.ring[0];
  }

  /**
   * The first `n` buffers of the device's receive ring (a NAPI poll's worth of frames in flight);
   * the first is `rxBuffer`. A full poll gets the ring itself, not a copy: polls run per 64 frames.
   */
  rxRing(space: AddressSpace, n: number): readonly XdpBuffer[] {
    this.grow(space, n);
    return this.ring.length === n ? this.ring : this.ring.slice(0, n);
  }

  private grow(space: AddressSpace, n: number): void {
    while (this.ring.length < n) {
      const b = new XdpBuffer(space, `netdev ${this.name}`);
      b.device = this.name;
      this.ring.push(b);
    }
  }

  release(): void {
    for (const b of this.ring) b.free();
    this.ring.length = 0;
  }

  /**
   * Whether a frame from the wire is long enough to receive. A NIC drops a runt (shorter than an
   * Ethernet header) in hardware, so XDP never sees it; the kernel's test-run refuses one too.
   */
  acceptsFromWire(frame: Uint8Array): boolean {
    if (frame.length >= ETH_HLEN) return true;
    this.stats.rxLengthErrors++;
    return false;
  }

  /**
   * Sees every frame delivered to the stack or the wire, however many (the lists keep only the
   * first `keepFrames`): a caller that wants them all, such as a capture file, streams them here.
   */
  onDeliver: ((kind: DeliveryKind, frame: DeliveredFrame) => void) | undefined;

  /**
   * Whether a frame handed to the stack or the wire now would be seen: by a listener, or kept
   * because the list has room. When not, `count` it instead and spare the copy of its bytes.
   */
  observes(kind: DeliveryKind): boolean {
    return this.onDeliver !== undefined || this[kind].length < this.keepFrames;
  }

  /** Hand a frame to the stack or the wire. */
  deliver(kind: DeliveryKind, frame: DeliveredFrame): void {
    this.delivered[kind]++;
    this.onDeliver?.(kind, frame);
    const list = this[kind];
    if (list.length < this.keepFrames) list.push(frame);
  }

  /** A frame went to the stack or the wire that nobody observes (see `observes`): only counted. */
  count(kind: DeliveryKind): void {
    this.delivered[kind]++;
  }
}
