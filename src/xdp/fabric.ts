import { XdpchainError } from '../errors/index.js';
import type { AddressSpace } from '../vm/address-space.js';
import type { RedirectTarget, XdpBuffer } from './buffer.js';
import { LOOPBACK_IFINDEX, XdpAction, xdpActionName } from './constants.js';
import { Netdev, type HookVerdict } from './netdev.js';
import { Routing } from './routing.js';
import { receiveRecord, withVlanTag, type RxMetadata, type RxMetadataOp } from './rx-metadata.js';

/** Where a redirect sends a frame, as resolved from the helper's target (maps live in the runtime). */
export type RedirectDestination =
  | { kind: 'netdev'; ifindexes: number[] }
  | { kind: 'queue'; description: string; push(frame: Uint8Array, ingressIfindex: number): boolean };

export interface RedirectResolver {
  resolve(target: RedirectTarget, ingress: Netdev): RedirectDestination | undefined;
}

/** One hook run while a frame travelled: which device, which verdict. */
export interface HookEvent {
  device: string;
  ifindex: number;
  action: string;
  hop: number;
  error?: string;
}

export interface InjectResult {
  /** XDP verdicts of every hook the frames reached, by action name. */
  actions: Record<string, number>;
  events: HookEvent[];
  /** Frames dropped because they bounced between devices more than `maxHops` times. */
  loops: number;
  /** Frames from the wire shorter than an Ethernet header, dropped by the device before XDP. */
  runts: number;
}

/** Sees every frame before and after a device's hook runs (whole-hook capture). */
export interface HookObserver {
  before(dev: Netdev, buffer: XdpBuffer): void;
  after(dev: Netdev, buffer: XdpBuffer, action: number): void;
}

/** Frames per batch through a hook (the kernel's NAPI poll budget). */
export const NAPI_POLL_FRAMES = 64;

/** A frame received from the wire, with the time it was captured when known (a pcap record's). */
export interface ReceivedFrame {
  data: Uint8Array;
  timestampNs?: bigint;
}

/**
 * A frame on its way to a device's receive path, `hop` devices after it was injected: hop 0 came
 * from the wire; later hops arrive as XDP frames (a peer's XDP_TX, a redirect).
 */
interface Hop {
  dev: Netdev;
  data: Uint8Array;
  hop: number;
  timestampNs?: bigint;
}

const received = (f: Uint8Array | ReceivedFrame): ReceivedFrame => (f instanceof Uint8Array ? { data: f } : f);

/** More hops than this and a frame is dropped: XDP_TX ping-pong between peers would never end. */
export const DEFAULT_MAX_HOPS = 32;

/** The set of devices of one runtime, and the movement of frames between them. */
export class Fabric {
  private readonly byIndex = new Map<number, Netdev>();
  private nextIfindex = 2;
  maxHops = DEFAULT_MAX_HOPS;
  /** Keep per-hook events in inject results (off for million-packet runs). */
  recordEvents = true;
  observer: HookObserver | undefined;
  /** Addresses, routes, neighbours and forwarding switches (what bpf_fib_lookup consults). */
  routing = new Routing();

  constructor(private readonly space: AddressSpace, private readonly redirects: RedirectResolver) {
    const lo = new Netdev('lo', LOOPBACK_IFINDEX);
    lo.mtu = 65536;
    lo.mac = new Uint8Array(6);
    this.byIndex.set(LOOPBACK_IFINDEX, lo);
  }

  /** MTU and MAC of a device, for bpf_fib_lookup. */
  device(ifindex: number): { mtu: number; mac: Uint8Array } | undefined {
    return this.byIndex.get(ifindex);
  }

  /**
   * Create a device, or a veth-style pair when `peer` is given. `rxMetadata` lists the RX metadata
   * kfuncs the device (both ends of a pair) implements; `rxVlanStrip` turns on RX VLAN offload.
   */
  add(name: string, opts: { peer?: string; ifindex?: number; peerIfindex?: number; rxMetadata?: readonly RxMetadataOp[]; rxVlanStrip?: boolean } = {}): Netdev {
    if (opts.peer === name) throw new XdpchainError('EINVAL', `device ${name} cannot be its own peer`);
    for (const n of [name, opts.peer]) {
      if (n !== undefined && this.find(n)) throw new XdpchainError('EEXIST', `device ${n} already exists`);
    }
    const dev = this.create(name, opts.ifindex);
    if (opts.peer !== undefined) {
      const peer = this.create(opts.peer, opts.peerIfindex);
      dev.peer = peer;
      peer.peer = dev;
    }
    for (const d of [dev, dev.peer]) {
      if (!d) continue;
      d.rxMetadata = new Set(opts.rxMetadata ?? []);
      d.rxVlanStrip = opts.rxVlanStrip ?? false;
    }
    return dev;
  }

  private create(name: string, ifindex?: number): Netdev {
    const index = ifindex ?? this.nextIfindex;
    if (this.byIndex.has(index)) throw new XdpchainError('EEXIST', `ifindex ${index} is taken by ${this.byIndex.get(index)!.name}`);
    const dev = new Netdev(name, index);
    this.byIndex.set(index, dev);
    this.nextIfindex = Math.max(this.nextIfindex, index + 1);
    return dev;
  }

  /** Delete a device (and its peer, as deleting one end of a veth pair does). */
  delete(name: string): Netdev[] {
    const dev = this.get(name);
    if (dev.ifindex === LOOPBACK_IFINDEX) throw new XdpchainError('EINVAL', 'the loopback device cannot be deleted');
    const gone = dev.peer ? [dev, dev.peer] : [dev];
    for (const d of gone) {
      this.byIndex.delete(d.ifindex);
      d.release();
    }
    return gone;
  }

  find(nameOrIndex: string | number): Netdev | undefined {
    if (typeof nameOrIndex === 'number' || /^\d+$/.test(nameOrIndex)) return this.byIndex.get(Number(nameOrIndex));
    for (const d of this.byIndex.values()) if (d.name === nameOrIndex) return d;
    return undefined;
  }

  get(nameOrIndex: string | number): Netdev {
    const d = this.find(nameOrIndex);
    if (!d) throw new XdpchainError('ENODEV', `no device ${nameOrIndex} (see netdev list)`);
    return d;
  }

  list(): Netdev[] {
    return [...this.byIndex.values()].sort((a, b) => a.ifindex - b.ifindex);
  }

  /** RX queue counts for test-run's ingress_ifindex checks. */
  rxQueues(ifindex: number): number | undefined {
    return this.byIndex.get(ifindex)?.rxQueues;
  }

  /**
   * Receive `frames` on `device` and follow everything they lead to: XDP on the device, then
   * TX out of the same device (to its peer), redirects to other devices (their XDP does not run
   * on egress; their peer's does on receive), queues (cpumap, AF_XDP), or the stack.
   */
  inject(device: Netdev, frames: Iterable<Uint8Array | ReceivedFrame>, into?: InjectResult): InjectResult {
    const result = into ?? { actions: {}, events: [], loops: 0, runts: 0 };
    const queue: Hop[] = [];
    const drain = (): void => {
      while (queue.length > 0) this.receive(queue.shift()!, queue, result);
    };
    // A whole-hook observer sees each frame before and after its hook, frame by frame.
    if (!device.hook?.runEach || this.observer) {
      for (const f of frames) {
        const frame = received(f);
        if (!this.fromWire(device, frame, result)) continue;
        queue.push({ dev: device, hop: 0, ...frame });
        drain();
      }
      return result;
    }
    // NAPI-style: a poll's worth of frames goes through the hook in one batch; each frame's
    // verdict is then acted on, and what it leads to followed, before the next frame's.
    const poll: ReceivedFrame[] = [];
    const flush = (): void => {
      const ring = device.rxRing(this.space, poll.length);
      poll.forEach((f, i) => this.arrive(device, ring[i], f, true));
      const verdicts: HookVerdict[] = [];
      device.hook!.runEach!(ring, device, (i, v) => (verdicts[i] = v));
      for (let i = 0; i < poll.length; i++) {
        this.act(device, ring[i], verdicts[i], 0, queue, result);
        drain();
      }
      poll.length = 0;
    };
    for (const f of frames) {
      const frame = received(f);
      if (!this.fromWire(device, frame, result)) continue;
      poll.push(frame);
      if (poll.length === NAPI_POLL_FRAMES) flush();
    }
    if (poll.length > 0) flush();
    return result;
  }

  /** Whether `device` takes `frame` from the wire; a runt is counted and goes no further. */
  private fromWire(device: Netdev, frame: ReceivedFrame, result: InjectResult): boolean {
    if (device.acceptsFromWire(frame.data)) return true;
    result.runts++;
    return false;
  }

  private receive(item: Hop, queue: Hop[], result: InjectResult): void {
    const { dev, data, hop } = item;
    if (!dev.hook) {
      dev.stats.rxPackets++;
      dev.stats.rxBytes += data.length;
      dev.stats.passed++;
      dev.deliver('stack', { data, ingressIfindex: dev.ifindex });
      return;
    }
    const buffer = dev.rxBuffer(this.space);
    this.arrive(dev, buffer, item, hop === 0);
    this.act(dev, buffer, dev.hook.run(buffer, dev), hop, queue, result);
  }

  /**
   * A frame arrives on `dev` into `buffer`, ready for its hook. One from the wire gets what the
   * device records for it (RX metadata, an RX VLAN offload strip); one that came as an XDP frame
   * gets nothing.
   */
  private arrive(dev: Netdev, buffer: XdpBuffer, frame: ReceivedFrame, fromWire: boolean): void {
    let data = frame.data;
    dev.stats.rxPackets++;
    dev.stats.rxBytes += data.length;
    let metadata: RxMetadata | undefined;
    if (fromWire && (dev.rxMetadata.size > 0 || dev.rxVlanStrip)) {
      const r = receiveRecord(data, { timestampNs: frame.timestampNs, stripVlan: dev.rxVlanStrip });
      data = r.frame;
      metadata = { ops: dev.rxMetadata, record: r.record };
    } else if (dev.rxMetadata.size > 0) {
      metadata = { ops: dev.rxMetadata };
    }
    buffer.load(data);
    buffer.rxMetadata = metadata;
    buffer.ingressIfindex = dev.ifindex;
    buffer.rxQueueIndex = 0;
    buffer.syncContext();
    this.observer?.before(dev, buffer);
  }

  /** Act on the hook's verdict for the frame in `buffer`. */
  private act(dev: Netdev, buffer: XdpBuffer, verdict: HookVerdict, hop: number, queue: Hop[], result: InjectResult): void {
    const action = verdict.action >= 0 && verdict.action <= XdpAction.REDIRECT ? verdict.action : XdpAction.ABORTED;
    this.observer?.after(dev, buffer, verdict.action);
    const name = xdpActionName(action);
    result.actions[name] = (result.actions[name] ?? 0) + 1;
    if (this.recordEvents) {
      const ev: HookEvent = { device: dev.name, ifindex: dev.ifindex, action: name, hop };
      if (verdict.error) ev.error = verdict.error.message;
      result.events.push(ev);
    }
    const out = () => buffer.packet();
    const forward = (to: Netdev): void => {
      to.stats.txPackets++;
      const frame = out();
      to.stats.txBytes += frame.length;
      if (!to.peer) {
        to.deliver('wire', { data: frame, ingressIfindex: dev.ifindex });
      } else if (hop + 1 > this.maxHops) {
        result.loops++;
      } else {
        queue.push({ dev: to.peer, data: frame, hop: hop + 1 });
      }
    };
    switch (action) {
      case XdpAction.PASS: {
        dev.stats.passed++;
        // The stack gets a stripped tag back with the frame (an skb carries it beside the data).
        const vlan = buffer.rxMetadata?.record?.vlan;
        dev.deliver('stack', { data: vlan ? withVlanTag(out(), vlan) : out(), ingressIfindex: dev.ifindex });
        return;
      }
      case XdpAction.TX:
        dev.stats.transmitted++;
        forward(dev);
        return;
      case XdpAction.REDIRECT: {
        const dest = buffer.redirect ? this.redirects.resolve(buffer.redirect, dev) : undefined;
        if (!dest) {
          dev.stats.redirectErrors++;
          return;
        }
        dev.stats.redirected++;
        if (dest.kind === 'queue') {
          if (!dest.push(out(), dev.ifindex)) dev.stats.redirectErrors++;
          return;
        }
        for (const ifindex of dest.ifindexes) {
          const to = this.byIndex.get(ifindex);
          if (to) forward(to);
          else dev.stats.redirectErrors++;
        }
        return;
      }
      case XdpAction.DROP:
        dev.stats.dropped++;
        return;
      default:
        dev.stats.aborted++;
    }
  }
}
