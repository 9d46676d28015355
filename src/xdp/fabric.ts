import { XdpchainError } from '../errors/index.js';
import type { AddressSpace } from '../vm/address-space.js';
import type { RedirectTarget, XdpBuffer } from './buffer.js';
import { LOOPBACK_IFINDEX, XdpAction } from './constants.js';
import { InjectTally, type InjectResult } from './inject-result.js';
import { Netdev, type HookVerdict } from './netdev.js';
import { Routing } from './routing.js';
import { receiveRecord, withVlanTag, type RxMetadata, type RxMetadataOp } from './rx-metadata.js';

/** Where a redirect sends a frame, as resolved from the helper's target (maps live in the runtime). */
export type RedirectDestination =
  { kind: 'netdev'; ifindexes: number[] } | { kind: 'queue'; description: string; push(frame: Uint8Array, ingressIfindex: number): boolean };

export interface RedirectResolver {
  resolve(target: RedirectTarget, ingress: Netdev): RedirectDestination | undefined;
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

/** How an inject reports back while it runs. */
export interface InjectOptions {
  /** Told how many frames were read from the wire so far, after every NAPI poll's worth (progress lines). */
  onProgress?(frames: number): void;
}

/**
 * A frame on its way to a device's receive path, `hop` devices after it was injected: hop 0 came
 * from the wire (`wire` is what was received); later hops arrive as XDP frames (a peer's XDP_TX,
 * a redirect).
 */
interface Hop {
  dev: Netdev;
  data: Uint8Array;
  hop: number;
  wire?: ReceivedFrame;
}

/** The hook runs an inject keeps in order by default (enough to follow a few frames; the rest is counted). */
export const DEFAULT_EVENT_WINDOW = 1000;

/** More hops than this and a frame is dropped: XDP_TX ping-pong between peers would never end. */
export const DEFAULT_MAX_HOPS = 32;

/** The set of devices of one runtime, and the movement of frames between them. */
export class Fabric {
  private readonly byIndex = new Map<number, Netdev>();
  private nextIfindex = 2;
  maxHops = DEFAULT_MAX_HOPS;
  /** Keep the first hook runs as events in inject results (false: none, as for million-packet runs). */
  recordEvents = true;
  /** How many hook runs an inject result keeps as events, at most (all are counted). */
  eventWindow = DEFAULT_EVENT_WINDOW;
  observer: HookObserver | undefined;
  /** Addresses, routes, neighbours and forwarding switches (what bpf_fib_lookup consults). */
  routing = new Routing();

  constructor(
    private readonly space: AddressSpace,
    private readonly redirects: RedirectResolver,
  ) {
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
   * on egress; their peer's does on receive), queues (cpumap, AF_XDP), or the stack. Memory
   * stays constant whatever the number of frames: they are taken one poll at a time and the
   * result counts them (see InjectResult).
   */
  inject(device: Netdev, frames: Iterable<Uint8Array | ReceivedFrame>, opts: InjectOptions = {}): InjectResult {
    const tally = new InjectTally(this.recordEvents ? this.eventWindow : 0);
    const queue: Hop[] = [];
    // A whole-hook observer sees each frame before and after its hook, frame by frame.
    if (!device.hook?.runEach || this.observer) {
      for (const f of frames) {
        const frame = f instanceof Uint8Array ? { data: f } : f;
        if (!this.fromWire(device, frame, tally)) continue;
        queue.push({ dev: device, data: frame.data, hop: 0, wire: frame });
        this.drain(queue, tally);
        if (tally.frames % NAPI_POLL_FRAMES === 0) opts.onProgress?.(tally.frames);
      }
      opts.onProgress?.(tally.frames);
      return tally.result();
    }
    // NAPI-style: a poll's worth of frames goes through the hook in one batch; each frame's
    // verdict is then acted on, and what it leads to followed, before the next frame's. The
    // arrays keep their size from poll to poll (emptying one would free its storage).
    const poll = new Array<ReceivedFrame | undefined>(NAPI_POLL_FRAMES).fill(undefined);
    const verdicts = new Array<HookVerdict | undefined>(NAPI_POLL_FRAMES).fill(undefined);
    let polled = 0;
    const hook = device.hook;
    const runEach = hook.runEach!.bind(hook);
    const record = (i: number, v: HookVerdict): void => {
      verdicts[i] = v;
    };
    const flush = (): void => {
      const ring = device.rxRing(this.space, polled);
      for (let i = 0; i < polled; i++) {
        this.arrive(device, ring[i], poll[i]!, true);
        poll[i] = undefined;
      }
      runEach(ring, device, record);
      for (let i = 0; i < polled; i++) {
        this.act(device, ring[i], verdicts[i]!, 0, queue, tally);
        verdicts[i] = undefined;
        this.drain(queue, tally);
      }
      polled = 0;
      opts.onProgress?.(tally.frames);
    };
    for (const f of frames) {
      const frame = f instanceof Uint8Array ? { data: f } : f;
      if (!this.fromWire(device, frame, tally)) continue;
      poll[polled++] = frame;
      if (polled === NAPI_POLL_FRAMES) flush();
    }
    if (polled > 0) flush();
    opts.onProgress?.(tally.frames);
    return tally.result();
  }

  /** Whether `device` takes `frame` from the wire; a runt is counted and goes no further. */
  private fromWire(device: Netdev, frame: ReceivedFrame, tally: InjectTally): boolean {
    tally.frames++;
    if (device.acceptsFromWire(frame.data)) return true;
    tally.runts++;
    return false;
  }

  /** Follow what the frames of the last hook led to (TX to peers, redirects), oldest first. */
  private drain(queue: Hop[], tally: InjectTally): void {
    while (queue.length > 0) this.receive(queue.shift()!, queue, tally);
  }

  private receive(item: Hop, queue: Hop[], tally: InjectTally): void {
    const { dev, data, hop } = item;
    if (!dev.hook) {
      dev.stats.rxPackets++;
      dev.stats.rxBytes += data.length;
      dev.stats.passed++;
      tally.delivered(dev, 'stack');
      dev.deliver('stack', { data, ingressIfindex: dev.ifindex });
      return;
    }
    const buffer = dev.rxBuffer(this.space);
    this.arrive(dev, buffer, item.wire ?? item, hop === 0);
    this.act(dev, buffer, dev.hook.run(buffer, dev), hop, queue, tally);
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
    // As a NIC's ring slot: what a program can see is as a fresh buffer has it, without clearing 4 KiB.
    buffer.receive(data, 0, data.length);
    buffer.rxMetadata = metadata;
    buffer.ingressIfindex = dev.ifindex;
    buffer.rxQueueIndex = 0;
    buffer.syncContext();
    this.observer?.before(dev, buffer);
  }

  /** Act on the hook's verdict for the frame in `buffer`. */
  private act(dev: Netdev, buffer: XdpBuffer, verdict: HookVerdict, hop: number, queue: Hop[], tally: InjectTally): void {
    const action = verdict.action >= 0 && verdict.action <= XdpAction.REDIRECT ? verdict.action : XdpAction.ABORTED;
    this.observer?.after(dev, buffer, verdict.action);
    tally.hookRan(dev, action, hop, verdict.error);
    switch (action) {
      case XdpAction.PASS: {
        dev.stats.passed++;
        tally.delivered(dev, 'stack');
        // Nobody sees it (no listener, the kept list full): spare the copy.
        if (!dev.observes('stack')) {
          dev.count('stack');
          return;
        }
        // The stack gets a stripped tag back with the frame (an skb carries it beside the data).
        const vlan = buffer.rxMetadata?.record?.vlan;
        dev.deliver('stack', { data: vlan ? withVlanTag(buffer.packet(), vlan) : buffer.packet(), ingressIfindex: dev.ifindex });
        return;
      }
      case XdpAction.TX:
        dev.stats.transmitted++;
        this.forward(dev, dev, buffer, hop, queue, tally);
        return;
      case XdpAction.REDIRECT: {
        const dest = buffer.redirect ? this.redirects.resolve(buffer.redirect, dev) : undefined;
        if (!dest) {
          dev.stats.redirectErrors++;
          return;
        }
        dev.stats.redirected++;
        if (dest.kind === 'queue') {
          if (!dest.push(buffer.packet(), dev.ifindex)) dev.stats.redirectErrors++;
          return;
        }
        for (const ifindex of dest.ifindexes) {
          const to = this.byIndex.get(ifindex);
          if (to) this.forward(dev, to, buffer, hop, queue, tally);
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

  /** Send the frame in `buffer`, received on `from`, out of `to`: to its peer's receive path, or onto the wire. */
  private forward(from: Netdev, to: Netdev, buffer: XdpBuffer, hop: number, queue: Hop[], tally: InjectTally): void {
    to.stats.txPackets++;
    to.stats.txBytes += buffer.totalLength;
    if (to.peer) {
      if (hop + 1 > this.maxHops) tally.loops++;
      else queue.push({ dev: to.peer, data: buffer.packet(), hop: hop + 1 });
      return;
    }
    tally.delivered(to, 'wire');
    if (to.observes('wire')) to.deliver('wire', { data: buffer.packet(), ingressIfindex: from.ifindex });
    else to.count('wire');
  }
}
