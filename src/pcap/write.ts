import { closeSync, openSync, writeSync } from 'node:fs';
import { onUserPath, XdpchainError } from '../errors/index.js';
import { LINKTYPE_ETHERNET } from './types.js';

/** Where capture bytes go: memory (`bytes()`) or a file, buffered. */
export class ByteSink {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private fd: number | undefined;
  /** File sinks gather writes here and write a MiB at a time. */
  private readonly pending = new Uint8Array(1 << 20);
  private used = 0;

  /** `what` names the file in errors, with the option that chose it when there is one (default: the path). */
  static toFile(path: string, append = false, what = path): ByteSink {
    const s = new ByteSink();
    s.what = what;
    s.fd = onUserPath(what, () => openSync(path, append ? 'a' : 'w'));
    return s;
  }

  /** The file, for errors. */
  private what = 'capture sink';

  /** Takes a copy: callers may reuse `b` at once. */
  write(b: Uint8Array): void {
    if (this.fd === undefined) {
      this.chunks.push(b.slice());
      this.size += b.length;
      return;
    }
    if (this.used + b.length > this.pending.length) this.flush();
    if (b.length > this.pending.length) {
      this.writeOut(b, b.length);
      return;
    }
    this.pending.set(b, this.used);
    this.used += b.length;
  }

  /**
   * Room for `n` more bytes in the file buffer: write them at `pending[at ..]`, then `commit(n)`.
   * Undefined for memory sinks and for writes larger than the buffer (use `write`).
   */
  reserve(n: number): { buffer: Uint8Array; at: number } | undefined {
    if (this.fd === undefined || n > this.pending.length) return undefined;
    if (this.used + n > this.pending.length) this.flush();
    return { buffer: this.pending, at: this.used };
  }

  /** The `n` bytes written after `reserve` are part of the file. */
  commit(n: number): void {
    this.used += n;
  }

  private flush(): void {
    if (this.fd === undefined || this.used === 0) return;
    this.writeOut(this.pending, this.used);
    this.used = 0;
  }

  /** A full disk (ENOSPC) or a failing one (EIO) is the file's problem, named as such. */
  private writeOut(b: Uint8Array, length: number): void {
    const fd = this.fd!;
    onUserPath(this.what, () => writeSync(fd, b, 0, length));
  }

  /** Everything written (memory sinks). */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Little-endian u32 at `at` (its low 32 bits, as DataView.setUint32 takes a number). */
function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v;
  b[at + 1] = v >>> 8;
  b[at + 2] = v >>> 16;
  b[at + 3] = v >>> 24;
}

/** Classic pcap (little-endian, microsecond or nanosecond timestamps). */
export class PcapWriter {
  /** `header: false` appends records to a file that already has its header. */
  constructor(
    readonly sink: ByteSink,
    opts: { nanoseconds?: boolean; linkType?: number; snapLength?: number; header?: boolean } = {},
  ) {
    this.ns = opts.nanoseconds ?? false;
    if (opts.header === false) return;
    const h = new DataView(new ArrayBuffer(24));
    h.setUint32(0, this.ns ? 0xa1b23c4d : 0xa1b2c3d4, true);
    h.setUint16(4, 2, true);
    h.setUint16(6, 4, true);
    h.setUint32(16, opts.snapLength ?? 262144, true);
    h.setUint32(20, opts.linkType ?? LINKTYPE_ETHERNET, true);
    sink.write(new Uint8Array(h.buffer));
  }
  private readonly ns: boolean;
  /** The record header, reused (the sink copies what it is given). */
  private readonly headerBytes = new Uint8Array(16);

  /** A record stamped `timestampNs` nanoseconds after the epoch (cut to microseconds unless the file counts nanoseconds). */
  writePacket(data: Uint8Array, timestampNs: bigint, originalLength = data.length): void {
    this.writeFrame(data, 0, data.length, Number(timestampNs / 1_000_000_000n), Number(timestampNs % 1_000_000_000n), originalLength);
  }

  /**
   * Write the frame `src[from .. to)` stamped `seconds` + `nanos` (cut to microseconds unless the
   * file counts nanoseconds), straight into the file buffer where it can: writers of millions of
   * records (a capture replay, inject) keep their clock in numbers and copy each frame once.
   */
  writeFrame(src: Uint8Array, from: number, to: number, seconds: number, nanos: number, originalLength = to - from): void {
    const length = to - from;
    const fraction = this.ns ? nanos : Math.floor(nanos / 1000);
    const room = this.sink.reserve(16 + length);
    if (!room) {
      putU32(this.headerBytes, 0, seconds);
      putU32(this.headerBytes, 4, fraction);
      putU32(this.headerBytes, 8, length);
      putU32(this.headerBytes, 12, originalLength);
      this.sink.write(this.headerBytes);
      this.sink.write(src.subarray(from, to));
      return;
    }
    const { buffer, at } = room;
    putU32(buffer, at, seconds);
    putU32(buffer, at + 4, fraction);
    putU32(buffer, at + 8, length);
    putU32(buffer, at + 12, originalLength);
    buffer.set(src.subarray(from, to), at + 16);
    this.sink.commit(16 + length);
  }
}

export interface PcapngPacket {
  interfaceId: number;
  timestampNs: bigint;
  data: Uint8Array;
  originalLength?: number;
  comment?: string;
  /** epb_flags: bits 0-1 direction (1 inbound, 2 outbound). */
  flags?: number;
  queue?: number;
  /** epb_verdict (type 1 = Linux eBPF XDP, 8-byte value). */
  xdpVerdict?: number;
}

const enc = new TextEncoder();

function option(code: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + ((value.length + 3) & ~3));
  const dv = new DataView(out.buffer);
  dv.setUint16(0, code, true);
  dv.setUint16(2, value.length, true);
  out.set(value, 4);
  return out;
}
const u32 = (v: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
};

function block(type: number, body: Uint8Array[]): Uint8Array {
  const len = 12 + body.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(len);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, type, true);
  dv.setUint32(4, len, true);
  let o = 8;
  for (const b of body) {
    out.set(b, o);
    o += b.length;
  }
  dv.setUint32(len - 4, len, true);
  return out;
}

function options(list: Uint8Array[]): Uint8Array[] {
  return list.length ? [...list, new Uint8Array(4)] : [];
}

/** pcapng: one section, interfaces added as needed, packets with comments, flags, queue and XDP verdict. */
export class PcapngWriter {
  private interfaces = 0;

  /** Continue a file written earlier (its section and `interfaces` interfaces are already there). */
  static resume(sink: ByteSink, interfaces: number): PcapngWriter {
    const w = Object.create(PcapngWriter.prototype) as PcapngWriter;
    Object.assign(w, { sink, interfaces });
    return w;
  }

  constructor(
    readonly sink: ByteSink,
    opts: { application?: string } = {},
  ) {
    const shb = new DataView(new ArrayBuffer(16));
    shb.setUint32(0, 0x1a2b3c4d, true);
    shb.setUint16(4, 1, true);
    shb.setBigInt64(8, -1n, true);
    sink.write(block(0x0a0d0d0a, [new Uint8Array(shb.buffer), ...options([option(4, enc.encode(opts.application ?? 'xdpchain'))])]));
  }

  /** Add an interface (nanosecond timestamps) and return its id. */
  addInterface(opts: { name?: string; description?: string; linkType?: number; snapLength?: number }): number {
    const head = new DataView(new ArrayBuffer(8));
    head.setUint16(0, opts.linkType ?? LINKTYPE_ETHERNET, true);
    head.setUint32(4, opts.snapLength ?? 262144, true);
    const opt = [option(9, Uint8Array.of(9))];
    if (opts.name) opt.unshift(option(2, enc.encode(opts.name)));
    if (opts.description) opt.push(option(3, enc.encode(opts.description)));
    this.sink.write(block(1, [new Uint8Array(head.buffer), ...options(opt)]));
    return this.interfaces++;
  }

  writePacket(p: PcapngPacket): void {
    if (p.interfaceId >= this.interfaces) throw new XdpchainError('EINVAL', `pcapng interface ${p.interfaceId} was not added`);
    const head = new DataView(new ArrayBuffer(20));
    head.setUint32(0, p.interfaceId, true);
    head.setUint32(4, Number(p.timestampNs >> 32n), true);
    head.setUint32(8, Number(p.timestampNs & 0xffffffffn), true);
    head.setUint32(12, p.data.length, true);
    head.setUint32(16, p.originalLength ?? p.data.length, true);
    const data = new Uint8Array((p.data.length + 3) & ~3);
    data.set(p.data);
    const opt: Uint8Array[] = [];
    if (p.comment) opt.push(option(1, enc.encode(p.comment)));
    if (p.flags !== undefined) opt.push(option(2, u32(p.flags)));
    if (p.queue !== undefined) opt.push(option(6, u32(p.queue)));
    if (p.xdpVerdict !== undefined) {
      const v = new Uint8Array(9);
      v[0] = 1;
      new DataView(v.buffer).setBigUint64(1, BigInt(p.xdpVerdict), true);
      opt.push(option(7, v));
    }
    this.sink.write(block(6, [new Uint8Array(head.buffer), data, ...options(opt)]));
  }
}
