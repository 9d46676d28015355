import { MalformedInputError } from '../errors/index.js';
import type { FrameBatch } from './frame-batch.js';
import { MAX_RECORD_BYTES, type Capture, type CaptureInterface, type CaptureRecord } from './types.js';

const PCAP_US = 0xa1b2c3d4;
const PCAP_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;
const BLOCK = { IDB: 1, SPB: 3, EPB: 6, PB: 2 } as const;

/** Sniff the format from the first four bytes. */
export function captureFormat(head: Uint8Array): 'pcap' | 'pcapng' | undefined {
  if (head.length < 4) return undefined;
  const le = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true);
  const be = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, false);
  if (le === PCAPNG_SHB) return 'pcapng';
  if ([PCAP_US, PCAP_NS].includes(le) || [PCAP_US, PCAP_NS].includes(be)) return 'pcap';
  return undefined;
}

/** Where a CaptureReader keeps the bytes it has read. */
export interface ReaderStorage {
  /** A buffer of at least `size` bytes, replacing the current one (its contents need not be kept). */
  acquire(size: number): Uint8Array;
  /** The current buffer (a fresh view if the old one was detached); empty before the first `acquire`. */
  current(): Uint8Array;
  /** Where `current()[0]` is in wasm memory, or -1 when the buffer is not in wasm memory. */
  address(): number;
}

/** Storage in ordinary memory. */
class HeapStorage implements ReaderStorage {
  private buffer = new Uint8Array(0);
  acquire(size: number): Uint8Array {
    return (this.buffer = new Uint8Array(size));
  }
  current(): Uint8Array {
    return this.buffer;
  }
  address(): number {
    return -1;
  }
}

/** Read a whole pcap or pcapng file held in memory. */
export function readCapture(bytes: Uint8Array, file = 'capture'): Capture {
  const reader = new CaptureReader(file);
  reader.push(bytes);
  const records: CaptureRecord[] = [];
  for (let r = reader.next(); r; r = reader.next()) records.push(r);
  reader.finish();
  return { format: reader.format!, interfaces: reader.interfaces, records };
}

/**
 * Incremental reader: push chunks as they arrive, take records with `next()`; `finish()` checks
 * that the file did not end inside a record. Every length is bounds-checked and named in errors.
 */
export class CaptureReader {
  format: 'pcap' | 'pcapng' | undefined;
  readonly interfaces: CaptureInterface[] = [];
  private buf: Uint8Array = new Uint8Array(0);
  /** Bytes of `buf` that hold data. */
  private end = 0;
  private view = new DataView(this.buf.buffer);
  private start = 0;
  /** File offset of buf[0], for error messages. */
  private base = 0;
  private little = true;
  private recordNo = 0;

  /** `storage` holds what was read (default: ordinary memory; a capture replay gives it wasm memory). */
  constructor(
    readonly file = 'capture',
    private readonly storage: ReaderStorage = new HeapStorage(),
  ) {}

  /**
   * Append bytes read from the file. Unread bytes move to the front of the storage, which is
   * reused while it fits: records taken with `next()` are copies, frames taken with `fill()` are
   * views that this overwrites.
   */
  push(chunk: Uint8Array): void {
    this.readInto(chunk.length, (into) => {
      into.set(chunk);
      return chunk.length;
    });
  }

  /**
   * Let `read` put up to `want` bytes straight into the storage after the unread ones (a file
   * read without a copy); it returns how many it put. Returns that count (0: the end).
   */
  readInto(want: number, read: (into: Uint8Array) => number): number {
    const rest = this.avail;
    const need = rest + want;
    this.base += this.start;
    let bytes = this.storage.current();
    if (need <= bytes.length) {
      bytes.copyWithin(0, this.start, this.start + rest);
    } else {
      const keep = this.bytes().slice(this.start, this.end);
      bytes = this.storage.acquire(Math.max(need, bytes.length * 2));
      bytes.set(keep);
    }
    this.start = 0;
    const n = read(bytes.subarray(rest, need));
    this.end = rest + n;
    this.setView(this.storage.current());
    return n;
  }

  /** The bytes read and not yet dropped, renewed when the storage's view was detached (wasm memory grew). */
  private bytes(): Uint8Array {
    if (this.buf.length < this.end) this.setView(this.storage.current());
    return this.buf;
  }

  private setView(storage: Uint8Array): void {
    this.buf = storage.subarray(0, this.end);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  private get avail(): number {
    return this.end - this.start;
  }

  private fail(structure: string, why: string, at = this.start): never {
    throw new MalformedInputError(`${this.file}: ${structure}`, why, this.base + at);
  }

  /** The next record, or undefined until more bytes arrive (or at the end). */
  next(): CaptureRecord | undefined {
    this.bytes();
    if (!this.detectFormat()) return undefined;
    return this.format === 'pcap' ? this.nextPcap() : this.nextPcapng();
  }

  /** Sniffs the format from the magic number once; false until four bytes are there. */
  private detectFormat(): boolean {
    if (this.format) return true;
    if (this.avail < 4) return false;
    this.format = captureFormat(this.buf.subarray(this.start, this.start + 4));
    if (!this.format) this.fail('file header', 'not a pcap or pcapng file (unknown magic number)');
    return true;
  }

  finish(): void {
    if (this.avail > 0) this.fail(`record ${this.recordNo + 1}`, `file ends inside a record (${this.avail} bytes left over)`);
    if (!this.format) this.fail('file header', 'file is empty');
  }

  /**
   * Take up to `batch.capacity` records into `batch`, in order, without an object per record:
   * classic pcap frames are views into this reader's buffer (valid until the next `push`),
   * pcapng ones are copied into the batch. Returns how many were taken (0: push more, or the end).
   */
  fill(batch: FrameBatch): number {
    const bytes = this.bytes();
    batch.reset(bytes, this.storage.address());
    if (!this.detectFormat()) return 0;
    while (batch.count < batch.capacity) {
      if (this.format === 'pcap') {
        if (!this.pcapHeader()) break;
        const caplen = this.pcapRecord();
        if (caplen < 0) break;
        const at = this.start;
        const dv = this.view;
        const iface = this.interfaces[0];
        const frac = dv.getUint32(at + 4, this.little);
        batch.add(
          at + 16,
          caplen,
          Math.max(dv.getUint32(at + 12, this.little), caplen),
          dv.getUint32(at, this.little),
          iface.nsPerUnit === 1n ? frac : frac * 1000,
          iface.linkType,
        );
        this.start += 16 + caplen;
        this.recordNo++;
        continue;
      }
      const r = this.next();
      if (!r) break;
      batch.addCopy(r.data, r.originalLength, r.timestampNs, r.linkType);
    }
    return batch.count;
  }

  /** Reads the pcap file header once; false until its 24 bytes are there. */
  private pcapHeader(): boolean {
    if (this.interfaces.length > 0) return true;
    if (this.avail < 24) return false;
    const dv = this.view;
    const magicLe = dv.getUint32(this.start, true);
    this.little = magicLe === PCAP_US || magicLe === PCAP_NS;
    const magic = dv.getUint32(this.start, this.little);
    const major = dv.getUint16(this.start + 4, this.little);
    if (major !== 2) this.fail('pcap header', `version ${major} is not 2`);
    const snapLength = dv.getUint32(this.start + 16, this.little);
    const linkType = dv.getUint32(this.start + 20, this.little) & 0xffff;
    this.interfaces.push({ linkType, snapLength, nsPerUnit: magic === PCAP_NS ? 1n : 1000n });
    this.start += 24;
    return true;
  }

  /** The captured length of the pcap record at `start`, checked; -1 until all of it is there. */
  private pcapRecord(): number {
    if (this.avail < 16) return -1;
    const caplen = this.view.getUint32(this.start + 8, this.little);
    // The record's name is made only for an error: this runs for every frame of a replay.
    if (caplen > MAX_RECORD_BYTES) this.fail(`record ${this.recordNo + 1}`, `captured length ${caplen} is above ${MAX_RECORD_BYTES}`);
    const snap = this.interfaces[0].snapLength;
    if (caplen > Math.max(snap, 1) && snap !== 0) this.fail(`record ${this.recordNo + 1}`, `captured length ${caplen} exceeds the snap length ${snap}`);
    return this.avail < 16 + caplen ? -1 : caplen;
  }

  private nextPcap(): CaptureRecord | undefined {
    if (!this.pcapHeader()) return undefined;
    const caplen = this.pcapRecord();
    if (caplen < 0) return undefined;
    const dv = this.view;
    const at = this.start;
    const iface = this.interfaces[0];
    const sec = dv.getUint32(at, this.little);
    const frac = dv.getUint32(at + 4, this.little);
    const origlen = dv.getUint32(at + 12, this.little);
    const data = this.buf.slice(at + 16, at + 16 + caplen);
    this.start += 16 + caplen;
    this.recordNo++;
    return {
      timestampNs: BigInt(sec) * 1_000_000_000n + BigInt(frac) * iface.nsPerUnit,
      data,
      originalLength: Math.max(origlen, caplen),
      interfaceId: 0,
      linkType: iface.linkType,
    };
  }

  private nextPcapng(): CaptureRecord | undefined {
    for (;;) {
      if (this.avail < 12) return undefined;
      const dv = this.view;
      const at = this.start;
      const typeLe = dv.getUint32(at, true);
      if (typeLe === PCAPNG_SHB) {
        if (this.avail < 12) return undefined;
        const bom = dv.getUint32(at + 8, true);
        if (bom === PCAPNG_BOM) this.little = true;
        else if (bom === 0x4d3c2b1a) this.little = false;
        else this.fail('pcapng section header', `byte-order magic 0x${bom.toString(16)} is wrong`, at + 8);
        this.interfaces.length = 0;
      }
      const type = dv.getUint32(at, this.little);
      const len = dv.getUint32(at + 4, this.little);
      const what = `pcapng block at record ${this.recordNo + 1}`;
      if (len < 12 || len % 4 !== 0) this.fail(what, `block length ${len} is not a multiple of 4 of at least 12`, at + 4);
      if (len > MAX_RECORD_BYTES + 4096) this.fail(what, `block length ${len} is too large`, at + 4);
      if (this.avail < len) return undefined;
      if (dv.getUint32(at + len - 4, this.little) !== len) this.fail(what, 'trailing block length does not match the leading one', at + len - 4);
      this.start += len;
      const body = this.buf.subarray(at + 8, at + len - 4);
      const bdv = new DataView(body.buffer, body.byteOffset, body.byteLength);
      const need = (n: number): void => {
        if (body.length < n) this.fail(what, `block body of ${body.length} bytes is shorter than ${n}`, at + 8);
      };
      if (type === PCAPNG_SHB) {
        need(16);
        if (bdv.getUint16(4, this.little) !== 1) this.fail(what, `pcapng major version ${bdv.getUint16(4, this.little)} is not 1`, at + 12);
        continue;
      }
      if (type === BLOCK.IDB) {
        need(8);
        const iface: CaptureInterface = { linkType: bdv.getUint16(0, this.little), snapLength: bdv.getUint32(4, this.little), nsPerUnit: 1000n };
        this.options(body.subarray(8), at + 16, (code, value) => {
          if (code === 2) iface.name = text(value);
          else if (code === 3) iface.description = text(value);
          else if (code === 9 && value.length >= 1)
            iface.nsPerUnit = tsresolNs(value[0], () => this.fail(what, `if_tsresol ${value[0]} is finer than a nanosecond`, at));
        });
        this.interfaces.push(iface);
        continue;
      }
      if (type === BLOCK.EPB || type === BLOCK.PB) {
        need(20);
        const id = type === BLOCK.EPB ? bdv.getUint32(0, this.little) : bdv.getUint16(0, this.little);
        const iface = this.interfaces[id] ?? this.fail(what, `refers to interface ${id}, but the section has ${this.interfaces.length}`, at + 8);
        const ts = (BigInt(bdv.getUint32(4, this.little)) << 32n) | BigInt(bdv.getUint32(8, this.little));
        const caplen = bdv.getUint32(12, this.little);
        const origlen = bdv.getUint32(16, this.little);
        if (caplen > body.length - 20) this.fail(what, `captured length ${caplen} runs past the block`, at + 20);
        const rec: CaptureRecord = {
          timestampNs: ts * iface.nsPerUnit,
          data: body.slice(20, 20 + caplen),
          originalLength: Math.max(origlen, caplen),
          interfaceId: id,
          linkType: iface.linkType,
        };
        this.options(body.subarray(20 + ((caplen + 3) & ~3)), at + 28 + ((caplen + 3) & ~3), (code, value) => {
          const vdv = new DataView(value.buffer, value.byteOffset, value.byteLength);
          if (code === 1) rec.comment = text(value);
          else if (code === 2 && value.length >= 4) rec.flags = vdv.getUint32(0, this.little);
          else if (code === 6 && value.length >= 4) rec.queue = vdv.getUint32(0, this.little);
        });
        this.recordNo++;
        return rec;
      }
      if (type === BLOCK.SPB) {
        need(4);
        const iface = this.interfaces[0] ?? this.fail(what, 'simple packet block before any interface', at);
        const origlen = bdv.getUint32(0, this.little);
        const caplen = Math.min(origlen, body.length - 4, iface.snapLength || Infinity);
        this.recordNo++;
        return { timestampNs: 0n, data: body.slice(4, 4 + caplen), originalLength: origlen, interfaceId: 0, linkType: iface.linkType };
      }
      // Any other block (name resolution, statistics, custom) is skipped by its length.
    }
  }

  private options(bytes: Uint8Array, fileAt: number, each: (code: number, value: Uint8Array) => void): void {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let o = 0;
    while (o + 4 <= bytes.length) {
      const code = dv.getUint16(o, this.little);
      const len = dv.getUint16(o + 2, this.little);
      if (code === 0) return;
      if (o + 4 + len > bytes.length) this.fail('pcapng option', `option ${code} of ${len} bytes runs past its block`, fileAt + o);
      each(code, bytes.subarray(o + 4, o + 4 + len));
      o += 4 + ((len + 3) & ~3);
    }
  }
}

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8').replace(/\0+$/, '');

function tsresolNs(v: number, fail: () => never): bigint {
  if (v & 0x80) {
    const p = v & 0x7f;
    if (p > 30) return fail();
    // 2^-p seconds: exact nanoseconds only for p <= 9; round otherwise.
    return BigInt(Math.max(1, Math.round(1e9 / 2 ** p)));
  }
  if (v > 9) return fail();
  return 10n ** BigInt(9 - v);
}
