import type { AddressSpace } from '../vm/address-space.js';

/** Maps larger than this keep no memory index (it would take 16 bytes and a key per entry, twice over). */
export const MAX_INDEXED_ENTRIES = 1 << 20;
const EMPTY = 0;
const TOMBSTONE = 0xffffffff;

/** FNV-1a over `size` bytes at `addr`: the hash both the index and compiled lookups use. */
export function keyHash(u8: Uint8Array, addr: number, size: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < size; i++) h = Math.imul(h ^ u8[addr + i], 0x01000193);
  return h >>> 0;
}

/**
 * An open-addressing index of a hash map's keys in private memory, kept beside the map's own
 * JS Map so compiled code can find a key's slot without calling the host. `table` holds
 * `mask + 1` entries of [u32 hash, u32 slot + 1] (0: empty, 0xffffffff: removed), probed
 * linearly from hash & mask; `keys` holds each slot's key bytes. At most 3/4 of the table is
 * ever used, so a probe always reaches an empty entry.
 */
export class HashIndex {
  readonly table: number;
  readonly mask: number;
  readonly keys: number;
  private readonly keysBytes: number;
  private used = 0;

  constructor(
    private readonly space: AddressSpace,
    maxEntries: number,
    readonly keySize: number,
    label: string,
  ) {
    let capacity = 8;
    while (capacity < maxEntries * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.table = space.allocPrivate(capacity * 8, `${label} index`);
    this.keysBytes = Math.max(1, maxEntries) * keySize;
    try {
      this.keys = space.allocPrivate(this.keysBytes, `${label} index keys`);
    } catch (e) {
      space.freePrivate(this.table, capacity * 8);
      throw e;
    }
  }

  /** A new key (not in the index) now lives in `slot`. */
  insert(key: Uint8Array, slot: number): void {
    if (this.used + 1 > ((this.mask + 1) * 3) / 4) this.rebuild();
    const { u8, dv } = this.space;
    u8.set(key, this.keys + slot * this.keySize);
    const h = keyHash(u8, this.keys + slot * this.keySize, this.keySize);
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const e = this.table + i * 8;
      const tag = dv.getUint32(e + 4, true);
      if (tag === EMPTY || tag === TOMBSTONE) {
        if (tag === EMPTY) this.used++;
        dv.setUint32(e, h, true);
        dv.setUint32(e + 4, slot + 1, true);
        return;
      }
    }
  }

  /** The key in `slot` left the map. */
  remove(slot: number): void {
    const { u8, dv } = this.space;
    const h = keyHash(u8, this.keys + slot * this.keySize, this.keySize);
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const e = this.table + i * 8;
      const tag = dv.getUint32(e + 4, true);
      if (tag === EMPTY) return;
      if (tag === slot + 1) {
        dv.setUint32(e + 4, TOMBSTONE, true);
        return;
      }
    }
  }

  /** Drop removed entries: re-insert every live one into an emptied table. */
  private rebuild(): void {
    const { dv } = this.space;
    const live: number[] = [];
    for (let i = 0; i <= this.mask; i++) {
      const tag = dv.getUint32(this.table + i * 8 + 4, true);
      if (tag !== EMPTY && tag !== TOMBSTONE) live.push(tag - 1);
    }
    this.space.u8.fill(0, this.table, this.table + (this.mask + 1) * 8);
    this.used = 0;
    for (const slot of live) this.insert(this.space.u8.slice(this.keys + slot * this.keySize, this.keys + (slot + 1) * this.keySize), slot);
  }

  free(): void {
    this.space.freePrivate(this.table, (this.mask + 1) * 8);
    this.space.freePrivate(this.keys, this.keysBytes);
  }
}
