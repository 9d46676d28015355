import type { VmFault } from '../errors/index.js';
import type { FrameBatch } from '../pcap/frame-batch.js';
import type { PcapWriter } from '../pcap/write.js';
import type { ReaderStorage } from '../pcap/read.js';
import type { AddressSpace } from '../vm/address-space.js';
import { XdpBuffer } from '../xdp/buffer.js';
import { HOST_LOADS, RingReceiver } from '../xdp/ring-receiver.js';
import { ETH_HLEN, XDP_MAX_LINEAR } from '../xdp/constants.js';
import { BATCH_SIZE } from './execute.js';
import type { Program } from './program.js';
import type { Runtime } from './runtime.js';

/** Packets and bytes (as received) that ended with one return code. */
export interface ActionCount {
  packets: number;
  bytes: number;
}

/** What a replay did, once it is over. */
export interface ReplaySummary {
  /** Frames the program ran on. */
  packets: number;
  /** Frames shorter than an Ethernet header: a NIC drops them before XDP, so the program never saw them. */
  runts: number;
  /** By return code, in code order. */
  actions: Map<number, ActionCount>;
  faults: number;
  firstFault?: VmFault;
}

/** How a replay receives frames and where they go after the program. */
export interface ReplayOptions {
  /** The ifindex frames arrive on (xdp_md.ingress_ifindex); default 1. */
  ingressIfindex?: number;
  /** The capture a frame goes to after the program returned `retval` (undefined: none). */
  output?: (retval: number) => PcapWriter | undefined;
}

/**
 * Frames a reader should hand over at a time: many rings' worth, so the per-batch costs of
 * reading (a generator step, an await) are spread thin.
 */
export const REPLAY_BATCH_FRAMES = 16 * BATCH_SIZE;

/** Return codes counted in an array; others (not XDP actions) in a map. */
const COUNTED_CODES = 8;

/**
 * Replays captured frames through one program as a NIC's RX ring feeds XDP: frames are received
 * into a ring of buffers in wasm memory and run in batches by the executor's driver, verdicts
 * counted in typed arrays, frames written to per-verdict captures straight from the ring. Memory
 * stays the same however many frames go through.
 */
export class CaptureReplay {
  private readonly ring: XdpBuffer[];
  private readonly retvals = new Uint32Array(BATCH_SIZE);
  /** Ring slot k holds batch frame `frameOf[k]`. */
  private readonly frameOf = new Int32Array(BATCH_SIZE);
  private readonly packetsByCode = new Float64Array(COUNTED_CODES);
  private readonly bytesByCode = new Float64Array(COUNTED_CODES);
  private readonly otherCodes = new Map<number, ActionCount>();
  private ran = 0;
  private runts = 0;
  private faults = 0;
  private firstFault: VmFault | undefined;
  private readonly onFault = (_: number, fault: VmFault): void => {
    this.faults++;
    this.firstFault ??= fault;
  };

  private readonly receiver: RingReceiver;
  /** Where a capture reader should keep what it reads: wasm memory, so frames are copied in compiled code. */
  readonly storage: ReaderStorage;

  constructor(
    private readonly rt: Runtime,
    private readonly prog: Program,
    private readonly opts: ReplayOptions = {},
  ) {
    // Buffers are made as frames come: a capture of a few frames does not pay for a whole ring.
    this.ring = [];
    this.receiver = new RingReceiver(rt.space, BATCH_SIZE, opts.ingressIfindex ?? 1);
    this.storage = new AddressSpaceStorage(rt.space);
  }

  /** The ring has at least `count` buffers. */
  private grow(count: number): void {
    while (this.ring.length < count) {
      const b = new XdpBuffer(this.rt.space, 'replay');
      b.ingressIfindex = this.opts.ingressIfindex ?? 1;
      this.receiver.bind(this.ring.length, b);
      this.ring.push(b);
    }
  }

  /** Run every frame of `batch` through the program (its bytes may be reused after this returns). */
  feed(batch: FrameBatch): void {
    let k = 0;
    for (let i = 0; i < batch.count; i++) {
      const length = batch.length[i];
      // A NIC drops a frame shorter than an Ethernet header before XDP: the program never sees it.
      if (length < ETH_HLEN) {
        this.runts++;
        continue;
      }
      this.frameOf[k++] = i;
      if (k === BATCH_SIZE) {
        this.runRing(batch, k);
        k = 0;
      }
    }
    if (k > 0) this.runRing(batch, k);
  }

  /** Receive the frames `frameOf[0 .. count)` into the ring, and run them. */
  private runRing(batch: FrameBatch, count: number): void {
    this.grow(count);
    if (batch.base >= 0) {
      let long = 0;
      for (let k = 0; k < count; k++) {
        const i = this.frameOf[k];
        const length = batch.length[i];
        if (length > XDP_MAX_LINEAR) long++;
        this.receiver.set(k, batch.base + batch.offset[i], length <= XDP_MAX_LINEAR ? length : HOST_LOADS);
      }
      this.receiver.run(count);
      // Longer frames need fragments: the host makes them, from wasm memory's current view.
      for (let k = 0; long > 0 && k < count; k++) {
        const i = this.frameOf[k];
        if (batch.length[i] <= XDP_MAX_LINEAR) continue;
        long--;
        const from = batch.base + batch.offset[i];
        this.ring[k].load(this.rt.space.u8.slice(from, from + batch.length[i]));
      }
    } else {
      for (let k = 0; k < count; k++) {
        const i = this.frameOf[k];
        this.ring[k].receive(batch.bytes, batch.offset[i], batch.length[i]);
      }
    }
    this.rt.executor.runRing(this.prog, this.ring, count, this.retvals, this.onFault);
    this.ran += count;
    const output = this.opts.output;
    for (let k = 0; k < count; k++) {
      const code = this.retvals[k];
      const i = this.frameOf[k];
      if (code < COUNTED_CODES) {
        this.packetsByCode[code]++;
        this.bytesByCode[code] += batch.length[i];
      } else {
        const c = this.otherCodes.get(code) ?? { packets: 0, bytes: 0 };
        c.packets++;
        c.bytes += batch.length[i];
        this.otherCodes.set(code, c);
      }
      const writer = output?.(code);
      if (!writer) continue;
      const buffer = this.ring[k];
      if (buffer.frags.length > 0) {
        const bytes = buffer.packet();
        writer.writeFrame(bytes, 0, bytes.length, batch.seconds[i], batch.nanos[i]);
      } else {
        writer.writeFrame(this.rt.space.u8, buffer.data, buffer.dataEnd, batch.seconds[i], batch.nanos[i]);
      }
    }
  }

  /** Frames the program has run on so far. */
  get packets(): number {
    return this.ran;
  }

  /** The figures so far. */
  summary(): ReplaySummary {
    const actions = new Map<number, ActionCount>();
    for (let code = 0; code < COUNTED_CODES; code++) {
      if (this.packetsByCode[code] > 0) actions.set(code, { packets: this.packetsByCode[code], bytes: this.bytesByCode[code] });
    }
    for (const [code, c] of [...this.otherCodes].sort((a, b) => a[0] - b[0])) actions.set(code, { ...c });
    return { packets: this.ran, runts: this.runts, actions, faults: this.faults, ...(this.firstFault ? { firstFault: this.firstFault } : {}) };
  }

  /** Give the ring's memory back. */
  close(): void {
    this.receiver.free();
    for (const b of this.ring) b.free();
    this.storage.acquire(0);
  }
}

/** A capture reader's storage in the address space's private memory. */
class AddressSpaceStorage implements ReaderStorage {
  private addr = -1;
  private size = 0;

  constructor(private readonly space: AddressSpace) {}

  acquire(size: number): Uint8Array {
    if (this.addr >= 0) this.space.freePrivate(this.addr, this.size);
    this.addr = -1;
    this.size = 0;
    if (size === 0) return new Uint8Array(0);
    this.addr = this.space.allocPrivate(size, 'capture read buffer');
    this.size = size;
    return this.current();
  }

  current(): Uint8Array {
    return this.addr < 0 ? new Uint8Array(0) : this.space.u8.subarray(this.addr, this.addr + this.size);
  }

  address(): number {
    return this.addr;
  }
}
