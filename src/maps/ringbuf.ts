import type { MapSpec } from '../object-spec/map-spec.js';
import type { Region } from '../vm/address-space.js';
import type { RingLayout } from '../vm/engine.js';
import { Err, MapBase, roundUp8, type MapDeps } from './map.js';

export const RINGBUF_BUSY = 1 << 31;
export const RINGBUF_DISCARD = 1 << 30;
export const RINGBUF_HEADER = 8;
const PAGE = 4096;
const WAKEUP_FLAGS = 1 | 2; // BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP
export const RingbufQuery = { AVAIL_DATA: 0, RING_SIZE: 1, CONS_POS: 2, PROD_POS: 3 } as const;

/**
 * BPF_MAP_TYPE_RINGBUF with the kernel's record layout: an 8-byte header (length with BUSY and
 * DISCARD bits, page offset), data rounded up to 8 bytes, producer and consumer positions.
 * The data area is allocated twice as large, as the kernel maps its pages twice, so a record
 * that wraps is still contiguous for the program writing it.
 */
export class RingBufMap extends MapBase {
  private readonly region: Region;
  private readonly size: number;
  /** Producer and consumer positions (f64 each) in private memory, where compiled code reserves and queries. */
  private readonly positions: number;

  constructor(spec: MapSpec, id: number, handle: number, deps: MapDeps) {
    super(spec, id, handle, deps);
    const size = spec.maxEntries;
    if (spec.keySize !== 0 || spec.valueSize !== 0) this.fail('EINVAL', 'a ring buffer has no keys or values (sizes must be 0)');
    if (size < PAGE || size % PAGE !== 0 || (size & (size - 1)) !== 0) this.fail('EINVAL', `size ${size} must be a power of 2 and a multiple of ${PAGE}`);
    this.size = size;
    this.positions = deps.space.allocPrivate(16, `ring buffer ${spec.name} positions`);
    try {
      this.region = deps.space.alloc(2 * size, `ring buffer ${spec.name}`);
    } catch (e) {
      deps.space.freePrivate(this.positions, 16);
      throw e;
    }
  }

  get producer(): number {
    return this.space.dv.getFloat64(this.positions, true);
  }
  set producer(v: number) {
    this.space.dv.setFloat64(this.positions, v, true);
  }
  get consumer(): number {
    return this.space.dv.getFloat64(this.positions + 8, true);
  }
  set consumer(v: number) {
    this.space.dv.setFloat64(this.positions + 8, v, true);
  }

  /** Where an engine finds the ring to reserve records and answer queries inline. */
  ringLayout(): RingLayout {
    return { data: this.region.addr, size: this.size, positions: this.positions };
  }

  protected memoryBytes(): number {
    return this.region.size;
  }

  private get mask(): number {
    return this.size - 1;
  }

  /** bpf_ringbuf_reserve: address of `size` writable bytes, or 0 when they do not fit. */
  reserve(size: number, flags: number): number {
    if (flags !== 0) return 0;
    const len = roundUp8(size + RINGBUF_HEADER);
    if (size > this.size - RINGBUF_HEADER || len > this.size) return 0;
    if (this.producer + len - this.consumer > this.mask) return 0;
    const header = this.region.addr + (this.producer & this.mask);
    const dv = this.space.dv;
    dv.setUint32(header, (size | RINGBUF_BUSY) >>> 0, true);
    dv.setUint32(header + 4, Math.floor((header - this.region.addr) / PAGE) + 1, true);
    this.producer += len;
    return header + RINGBUF_HEADER;
  }

  /** The header address of a record the program holds, or undefined if it is not one of ours. */
  private headerOf(dataAddr: number): number | undefined {
    const header = dataAddr - RINGBUF_HEADER;
    if (header < this.region.addr || header >= this.region.addr + this.size) return undefined;
    return this.space.dv.getUint32(header, true) & RINGBUF_BUSY ? header : undefined;
  }

  /** True when `dataAddr` is a reserved, not yet committed record of this ring. */
  owns(dataAddr: number): boolean {
    return this.headerOf(dataAddr) !== undefined;
  }

  /** bpf_ringbuf_submit / discard. */
  commit(dataAddr: number, discard: boolean): void {
    const header = this.headerOf(dataAddr);
    if (header === undefined) return;
    const len = this.space.dv.getUint32(header, true) & ~(RINGBUF_BUSY | RINGBUF_DISCARD);
    this.space.dv.setUint32(header, (len | (discard ? RINGBUF_DISCARD : 0)) >>> 0, true);
  }

  /** bpf_ringbuf_output: reserve, copy, submit; -EAGAIN when full. */
  output(data: Uint8Array, flags: number): number {
    if (flags & ~WAKEUP_FLAGS) return Err.EINVAL;
    const at = this.reserve(data.length, 0);
    if (at === 0) return -11;
    this.space.u8.set(data, at);
    this.commit(at, false);
    return 0;
  }

  /** bpf_ringbuf_query. */
  query(flags: number): number {
    switch (flags) {
      case RingbufQuery.AVAIL_DATA:
        return this.producer - this.consumer;
      case RingbufQuery.RING_SIZE:
        return this.size;
      case RingbufQuery.CONS_POS:
        return this.consumer;
      case RingbufQuery.PROD_POS:
        return this.producer;
      default:
        return 0;
    }
  }

  /** The consumer side: every submitted record in order, skipping discarded ones; stops at a busy one. */
  consume(): Uint8Array[] {
    const out: Uint8Array[] = [];
    const dv = this.space.dv;
    while (this.consumer < this.producer) {
      const header = this.region.addr + (this.consumer & this.mask);
      const word = dv.getUint32(header, true);
      if (word & RINGBUF_BUSY) break;
      const len = word & ~(RINGBUF_BUSY | RINGBUF_DISCARD);
      if (!(word & RINGBUF_DISCARD)) out.push(this.space.u8.slice(header + RINGBUF_HEADER, header + RINGBUF_HEADER + len));
      this.consumer += roundUp8(len + RINGBUF_HEADER);
    }
    return out;
  }

  lookup(): Uint8Array | undefined {
    return this.fail('EOPNOTSUPP', 'ring buffers have no elements to look up; consume records instead');
  }
  protected writeEntry(): void {
    this.fail('EOPNOTSUPP', 'ring buffers have no elements to update');
  }
  protected eraseEntry(): void {
    this.fail('EOPNOTSUPP', 'ring buffers have no elements to delete');
  }
  nextKey(): Uint8Array | undefined {
    return this.fail('EOPNOTSUPP', 'ring buffers have no keys');
  }
  lookupElem(): number {
    return 0;
  }
  updateElem(): number {
    return Err.EINVAL;
  }
  deleteElem(): number {
    return Err.EINVAL;
  }
  free(): void {
    this.space.free(this.region);
    this.space.freePrivate(this.positions, 16);
  }
}
