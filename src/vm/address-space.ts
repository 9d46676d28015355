import { XdpchainError } from '../errors/index.js';

/**
 * The one linear memory that programs, maps, stacks, contexts and packets live in (DESIGN §3).
 * eBPF pointers are plain offsets into it, so `data_end - data`, pointer compares and pointers
 * stored in maps behave as on the kernel, and the wasm engine can share it unchanged.
 *
 * Safety without a verifier: a shadow table at the start of the memory holds, for every 16-byte
 * granule, the exclusive end address of the region that granule belongs to (0 = not accessible)
 * with bit 31 set when the region is read-only. Regions start on 16-byte boundaries, so an access
 * [addr, addr+size) is allowed iff `addr < limit` and `addr + size <= shadow[addr >> 4] & 0x7fffffff`
 * (and bit 31 is clear for a store). Address 0 and the shadow itself are never accessible.
 */
export const GRANULE_SHIFT = 4;
export const GRANULE = 1 << GRANULE_SHIFT;
export const READ_ONLY_BIT = 0x80000000;
const PAGE = 65536;

export interface AddressSpaceOptions {
  /** Most bytes of data (maps, packets, stacks) this space may hold. Default 256 MiB. */
  maxDataBytes?: number;
}

export interface Region {
  readonly addr: number;
  readonly size: number;
  /** What the region is, for error messages: "packet", "stack", "map xdp_stats value", … */
  readonly label: string;
  readonly readOnly: boolean;
  /** Engine-private bytes allocated after `size` that no program access reaches (see alloc). */
  readonly privateTail?: number;
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

export class AddressSpace {
  readonly memory: WebAssembly.Memory;
  /** First data address; everything below is the shadow table. */
  readonly dataStart: number;
  /** First address past the largest possible data; shadow covers [0, limit). */
  readonly limit: number;

  private bumpTop: number;
  private readonly freeLists = new Map<number, number[]>();
  /** Live regions sorted by address, for diagnostics (which region is near a faulting address). */
  private readonly regions = new Map<number, Region>();

  private _u8!: Uint8Array;
  private _u32!: Uint32Array;
  private _dv!: DataView;

  constructor(opts: AddressSpaceOptions = {}) {
    const maxData = alignUp(opts.maxDataBytes ?? 256 * 1024 * 1024, PAGE);
    // Shadow entry for address a is at byte a/4, so the shadow must span limit/4 = (S + maxData)/4 ≤ S.
    const shadowBytes = alignUp(Math.ceil(maxData / 3) + PAGE, PAGE);
    this.dataStart = shadowBytes;
    this.limit = shadowBytes + maxData;
    if (this.limit >= READ_ONLY_BIT) {
      throw new XdpchainError('EINVAL', `address space of ${this.limit} bytes exceeds the 2 GiB the shadow encoding allows`);
    }
    this.memory = new WebAssembly.Memory({ initial: (shadowBytes + PAGE) / PAGE, maximum: this.limit / PAGE });
    this.bumpTop = this.dataStart;
    this.refreshViews();
  }

  /**
   * Byte view of the whole memory; re-read after any allocation. Growth detaches the old buffer,
   * which empties every view of it: an empty byte view is the (cheap) sign to renew them.
   */
  get u8(): Uint8Array {
    if (this._u8.length === 0) this.refreshViews();
    return this._u8;
  }
  get u32(): Uint32Array {
    if (this._u8.length === 0) this.refreshViews();
    return this._u32;
  }
  get dv(): DataView {
    if (this._u8.length === 0) this.refreshViews();
    return this._dv;
  }

  private refreshViews(): void {
    this._u8 = new Uint8Array(this.memory.buffer);
    this._u32 = new Uint32Array(this.memory.buffer);
    this._dv = new DataView(this.memory.buffer);
  }

  /**
   * Allocate a zeroed region. Never call while a program runs: growth would detach engine views.
   * `privateTail` bytes follow the region in the same allocation but stay inaccessible to
   * programs: state the engines keep beside an object (an XDP context's frame and redirect).
   */
  alloc(size: number, label: string, opts: { readOnly?: boolean; privateTail?: number } = {}): Region {
    if (!Number.isInteger(size) || size <= 0) throw new XdpchainError('EINVAL', `cannot allocate ${size} bytes for ${label}`);
    const rounded = alignUp(size + (opts.privateTail ?? 0), GRANULE);
    let addr = this.freeLists.get(rounded)?.pop();
    if (addr === undefined) {
      addr = this.bumpTop;
      const end = addr + rounded;
      if (end > this.limit) {
        throw new XdpchainError('ENOMEM', `out of memory allocating ${size} bytes for ${label} (address space limit ${this.limit - this.dataStart} bytes; raise maxDataBytes)`);
      }
      const have = this.memory.buffer.byteLength;
      if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE));
      this.bumpTop = end;
    } else {
      this.u8.fill(0, addr, addr + rounded);
    }
    const region: Region = { addr, size, label, readOnly: opts.readOnly ?? false, ...(opts.privateTail ? { privateTail: opts.privateTail } : {}) };
    this.regions.set(addr, region);
    this.mark(region);
    return region;
  }

  /**
   * Engine-private memory (argument passing between compiled code and the host): allocated like
   * a region but left out of the shadow table, so no program access can reach it.
   */
  allocPrivate(size: number, label: string): number {
    const region = this.alloc(size, label);
    this.regions.delete(region.addr);
    this.u32.fill(0, region.addr >>> GRANULE_SHIFT, (region.addr + alignUp(size, GRANULE)) >>> GRANULE_SHIFT);
    return region.addr;
  }

  /** Give back engine-private memory from `allocPrivate`. */
  freePrivate(addr: number, size: number): void {
    const rounded = alignUp(size, GRANULE);
    const list = this.freeLists.get(rounded) ?? [];
    list.push(addr);
    this.freeLists.set(rounded, list);
  }

  /** Release a region (by its address: setReadOnly hands out updated records); its bytes become inaccessible at once. */
  free(region: Region): void {
    const live = this.regions.get(region.addr);
    if (!live || live.size !== region.size) throw new XdpchainError('EINVAL', `region ${region.label} at 0x${region.addr.toString(16)} is not allocated`);
    this.regions.delete(region.addr);
    const rounded = alignUp(region.size + (live.privateTail ?? 0), GRANULE);
    this.u32.fill(0, region.addr >>> GRANULE_SHIFT >>> 0, (region.addr + rounded) >>> GRANULE_SHIFT);
    const list = this.freeLists.get(rounded) ?? [];
    list.push(region.addr);
    this.freeLists.set(rounded, list);
  }

  /** Change a region's writability (e.g. freezing `.rodata` after initial values are written). */
  setReadOnly(region: Region, readOnly: boolean): Region {
    const updated: Region = { ...region, readOnly };
    this.regions.set(region.addr, updated);
    this.mark(updated);
    return updated;
  }

  private mark(region: Region): void {
    const end = region.addr + region.size;
    const entry = (end | (region.readOnly ? READ_ONLY_BIT : 0)) >>> 0;
    const first = region.addr >>> GRANULE_SHIFT;
    const last = (end - 1) >>> GRANULE_SHIFT;
    const u32 = this.u32;
    for (let g = first; g <= last; g++) u32[g] = entry;
  }

  /** True when [addr, addr+size) lies in one accessible region (writable, if `write`). */
  accessible(addr: number, size: number, write: boolean): boolean {
    if (!(addr >= 0 && addr < this.limit)) return false;
    const s = this.u32[addr >>> GRANULE_SHIFT];
    if (write && s & READ_ONLY_BIT) return false;
    return addr + size <= (s & ~READ_ONLY_BIT) >>> 0;
  }

  /** The region holding `addr`, or the nearest one before it, for error messages. */
  describe(addr: number, size = 1): string {
    let best: Region | undefined;
    for (const r of this.regions.values()) {
      if (r.addr <= addr && (!best || r.addr > best.addr)) best = r;
    }
    const hex = `0x${addr.toString(16)}`;
    if (addr < 4096) return `address ${hex} is a NULL pointer${addr > 0 ? ' plus an offset' : ''} (a missing NULL check after a map lookup?)`;
    if (!best) return `address ${hex} is not in any region`;
    const rel = addr - best.addr;
    if (rel + size <= best.size) return `address ${hex} is ${rel} bytes into ${best.label} (${best.size} bytes${best.readOnly ? ', read-only' : ''})`;
    if (rel < best.size) return `${size}-byte access at ${hex} runs ${rel + size - best.size} bytes past the end of ${best.label} (${best.size} bytes)`;
    return `address ${hex} is ${rel - best.size} bytes past the end of ${best.label} (${best.size} bytes)`;
  }

  /** `addr`, when `size` bytes there may be accessed so (any address for 0 bytes); throws EFAULT naming it otherwise. */
  check(addr: number, size: number, write = false): number {
    if (size !== 0 && !this.accessible(addr, size, write)) {
      throw new XdpchainError('EFAULT', `${write ? 'write' : 'read'} of ${size} bytes: ${this.describe(addr, size)}`);
    }
    return addr;
  }

  /** A byte view of an accessible range, for helpers and map code; throws EFAULT otherwise. */
  bytes(addr: number, size: number, write = false): Uint8Array {
    if (size === 0) return new Uint8Array(0);
    this.check(addr, size, write);
    return this.u8.subarray(addr, addr + size);
  }

  /** Unchecked view of a region's bytes, for the code that owns the region (maps, packet setup). */
  view(region: Region, offset = 0, size = region.size - offset): Uint8Array {
    return this.u8.subarray(region.addr + offset, region.addr + offset + size);
  }

  /** Bytes currently in use by regions (for status output). */
  get usedBytes(): number {
    return this.bumpTop - this.dataStart;
  }
}
