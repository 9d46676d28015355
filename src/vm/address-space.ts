import { XdpchainError } from '../errors/index.js';

/**
 * The one linear memory that programs, maps, stacks, contexts and packets live in (DESIGN §3).
 * eBPF pointers are plain offsets into it, so `data_end - data`, pointer compares and pointers
 * stored in maps behave as on the kernel, and the wasm engine can share it unchanged. Addresses
 * are unsigned 32-bit: the memory grows on demand up to the 4 GiB of a wasm32 memory.
 *
 * Safety without a verifier: a shadow table at the start of the memory holds a u32 entry for
 * every 64-byte granule (0 = not accessible). A region starts on a granule boundary; the entries
 * of its granules hold the bytes from the start of the granule's 1 GiB block (`addr & ~OFFSET_MASK`)
 * to the region's end, saturated at ROOM_MASK, with bit 31 set when the region is read-only.
 * An access [addr, addr+size) is allowed iff `addr < limit` and
 * `(addr & OFFSET_MASK) + size <= entry & ROOM_MASK` (and bit 31 is clear for a store): every
 * granule of a block holds the same entry, so marking a region fills runs of equal words.
 * Address 0 and the shadow itself are never accessible.
 *
 * Regions of LAZY_BYTES or more are marked a chunk at a time when an access first reaches the
 * chunk (`materialize`): a large map costs no shadow pages, and no data pages, until used.
 */
export const GRANULE_SHIFT = 6;
export const GRANULE = 1 << GRANULE_SHIFT;
/** The address bits a shadow entry counts from: the offset inside a 1 GiB block. */
export const OFFSET_MASK = 0x3fffffff;
/** The bytes-to-the-end part of a shadow entry (the largest value means "at least this many"). */
export const ROOM_MASK = 0x7fffffff;
export const READ_ONLY_BIT = 0x80000000;
const PAGE = 65536;
/** A wasm32 memory's largest size: 65536 pages. */
const MAX_MEMORY_BYTES = 2 ** 32;
/** The shadow takes 1/16 of the memory it covers, the rest is data: 3.75 GiB (4026531840 bytes). */
export const MAX_DATA_BYTES = (MAX_MEMORY_BYTES / 16) * 15;
/** Regions this large are marked a chunk at a time, when first touched. */
const LAZY_BYTES = 1 << 20;
/** A lazily marked region's chunk: 64 KiB of data, whose shadow is one 4 KiB page. */
const CHUNK_BYTES = 1 << 16;

export interface AddressSpaceOptions {
  /** Most bytes of data (maps, packets, stacks) this space may hold. Default and largest: MAX_DATA_BYTES. */
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

/** A region marked lazily: which of its chunks have their shadow entries. */
interface LazyMarks {
  readonly addr: number;
  readonly size: number;
  readonly marked: Uint8Array;
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

export class AddressSpace {
  readonly memory: WebAssembly.Memory;
  /** First data address; everything below is the shadow table. */
  readonly dataStart: number;
  /** First address past the largest possible data (at most 2^32); shadow covers [0, limit). */
  readonly limit: number;

  private bumpTop: number;
  private readonly freeLists = new Map<number, number[]>();
  /** Live regions by address, for diagnostics (which region is near a faulting address). */
  private readonly regions = new Map<number, Region>();
  private readonly lazy: LazyMarks[] = [];

  private _u8!: Uint8Array;
  private _u32!: Uint32Array;
  private _dv!: DataView;

  constructor(opts: AddressSpaceOptions = {}) {
    const asked = opts.maxDataBytes ?? MAX_DATA_BYTES;
    if (!(asked > 0) || asked > MAX_DATA_BYTES) {
      throw new XdpchainError(
        'EINVAL',
        `a memory limit (maxDataBytes, --max-memory) of ${asked} bytes is not possible: it must be positive and at most ${MAX_DATA_BYTES} bytes (3.75 GiB), what a 4 GiB wasm32 memory leaves beside its shadow table`,
      );
    }
    const maxData = alignUp(asked, PAGE);
    // The entry for address a is at byte 4·(a >> 6) = a/16, so the shadow must span (S + maxData)/16 ≤ S.
    const shadowBytes = Math.max(PAGE, alignUp(Math.ceil(maxData / 15), PAGE));
    this.dataStart = shadowBytes;
    this.limit = shadowBytes + maxData;
    // Fresh pages read as zero and cost nothing until touched: growth only reserves them.
    this.memory = new WebAssembly.Memory({ initial: (shadowBytes + PAGE) / PAGE, maximum: this.limit / PAGE });
    this.bumpTop = this.dataStart;
    this.refreshViews();
  }

  /** Most bytes of data this space may hold (its `maxDataBytes`, rounded up to 64 KiB pages). */
  get maxDataBytes(): number {
    return this.limit - this.dataStart;
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
    const addr = this.place(size, opts.privateTail ?? 0, label);
    const region: Region = { addr, size, label, readOnly: opts.readOnly ?? false, ...(opts.privateTail ? { privateTail: opts.privateTail } : {}) };
    this.regions.set(addr, region);
    if (size >= LAZY_BYTES) this.lazy.push({ addr, size, marked: new Uint8Array(Math.ceil(size / CHUNK_BYTES)) });
    else this.mark(region, addr, addr + size);
    return region;
  }

  /** Zeroed memory for `size` bytes plus a tail: a freed block of the same size, else fresh pages. */
  private place(size: number, tail: number, label: string): number {
    const rounded = alignUp(size + tail, GRANULE);
    const reused = this.freeLists.get(rounded)?.pop();
    if (reused !== undefined) {
      this.u8.fill(0, reused, reused + rounded);
      return reused;
    }
    const addr = this.bumpTop;
    const end = addr + rounded;
    if (end > this.limit) throw this.outOfMemory(size, label);
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE));
    this.bumpTop = end;
    return addr;
  }

  private outOfMemory(size: number, label: string): XdpchainError {
    const free = this.limit - this.bumpTop;
    const hint =
      this.maxDataBytes < MAX_DATA_BYTES
        ? `raise the limit with --max-memory <size> (maxDataBytes in RuntimeOptions), up to ${MAX_DATA_BYTES}`
        : `${MAX_DATA_BYTES} bytes is the most a wasm32 memory holds beside its shadow table`;
    return new XdpchainError(
      'ENOMEM',
      `out of memory: ${label} needs ${size} bytes, but the address space has ${free} of its ${this.maxDataBytes}-byte limit free (${hint})`,
      { bytes: size, free, limit: this.maxDataBytes },
    );
  }

  /**
   * Engine-private memory (argument passing between compiled code and the host, indexes kept
   * beside maps): allocated like a region but left out of the shadow table, so no program
   * access can reach it.
   */
  allocPrivate(size: number, label: string): number {
    if (!Number.isInteger(size) || size <= 0) throw new XdpchainError('EINVAL', `cannot allocate ${size} bytes for ${label}`);
    return this.place(size, 0, label);
  }

  /** Give back engine-private memory from `allocPrivate`. */
  freePrivate(addr: number, size: number): void {
    this.release(addr, alignUp(size, GRANULE));
  }

  private release(addr: number, rounded: number): void {
    const list = this.freeLists.get(rounded) ?? [];
    list.push(addr);
    this.freeLists.set(rounded, list);
  }

  /** Release a region (by its address: setReadOnly hands out updated records); its bytes become inaccessible at once. */
  free(region: Region): void {
    const live = this.regions.get(region.addr);
    if (!live || live.size !== region.size) throw new XdpchainError('EINVAL', `region ${region.label} at 0x${region.addr.toString(16)} is not allocated`);
    this.regions.delete(region.addr);
    const u32 = this.u32;
    const lazy = this.lazyOf(region.addr);
    if (lazy) {
      this.lazy.splice(this.lazy.indexOf(lazy), 1);
      lazy.marked.forEach((m, chunk) => {
        if (m)
          u32.fill(
            0,
            this.granule(region.addr + chunk * CHUNK_BYTES),
            this.granule(Math.min(region.addr + (chunk + 1) * CHUNK_BYTES, region.addr + region.size) - 1) + 1,
          );
      });
    } else {
      u32.fill(0, this.granule(region.addr), this.granule(region.addr + region.size - 1) + 1);
    }
    this.release(region.addr, alignUp(region.size + (live.privateTail ?? 0), GRANULE));
  }

  /** Change a region's writability (e.g. freezing `.rodata` after initial values are written). */
  setReadOnly(region: Region, readOnly: boolean): Region {
    const updated: Region = { ...region, readOnly };
    this.regions.set(region.addr, updated);
    const lazy = this.lazyOf(region.addr);
    if (!lazy) this.mark(updated, updated.addr, updated.addr + updated.size);
    else lazy.marked.forEach((m, chunk) => m && this.markChunk(updated, chunk));
    return updated;
  }

  /** The shadow index of `addr` (below 2^32, so `>>>` is exact). */
  private granule(addr: number): number {
    return addr >>> GRANULE_SHIFT;
  }

  private lazyOf(addr: number): LazyMarks | undefined {
    return this.lazy.find((l) => l.addr === addr);
  }

  /** Write the shadow entries of `region`'s granules holding [from, to): one run of equal words per 1 GiB block. */
  private mark(region: Region, from: number, to: number): void {
    const end = region.addr + region.size;
    const ro = region.readOnly ? READ_ONLY_BIT : 0;
    const u32 = this.u32;
    const last = this.granule(to - 1);
    for (let g = this.granule(from); g <= last;) {
      const block = Math.floor((g * GRANULE) / (OFFSET_MASK + 1)) * (OFFSET_MASK + 1);
      const stop = Math.min(last + 1, (block + OFFSET_MASK + 1) / GRANULE);
      u32.fill((Math.min(end - block, ROOM_MASK) | ro) >>> 0, g, stop);
      g = stop;
    }
  }

  private markChunk(region: Region, chunk: number): void {
    const from = region.addr + chunk * CHUNK_BYTES;
    this.mark(region, from, Math.min(from + CHUNK_BYTES, region.addr + region.size));
  }

  /**
   * Mark the chunk holding `addr` when it lies in a lazily marked region whose chunk is not
   * marked yet; true when it did (the access that found no entry may then be checked again).
   * Engines call it before reporting a fault.
   */
  materialize(addr: number): boolean {
    for (const l of this.lazy) {
      if (addr < l.addr || addr >= l.addr + l.size) continue;
      const chunk = Math.floor((addr - l.addr) / CHUNK_BYTES);
      if (l.marked[chunk]) return false;
      l.marked[chunk] = 1;
      this.markChunk(this.regions.get(l.addr)!, chunk);
      return true;
    }
    return false;
  }

  /** True when [addr, addr+size) lies in one accessible region (writable, if `write`). */
  accessible(addr: number, size: number, write: boolean): boolean {
    if (!(addr >= 0 && addr < this.limit)) return false;
    const g = this.granule(addr);
    let s = this.u32[g];
    if (s === 0) {
      if (!this.materialize(addr)) return false;
      s = this.u32[g];
    }
    if (write && s & READ_ONLY_BIT) return false;
    const room = s & ROOM_MASK;
    if ((addr & OFFSET_MASK) + size <= room) return true;
    if (room < ROOM_MASK) return false;
    // A saturated entry (a region of 2 GiB or more) does not say where the region ends.
    const r = this.regionAt(addr);
    return r !== undefined && addr + size <= r.addr + r.size;
  }

  /** The region holding `addr`, if any. */
  private regionAt(addr: number): Region | undefined {
    for (const r of this.regions.values()) if (r.addr <= addr && addr < r.addr + r.size) return r;
    return undefined;
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
