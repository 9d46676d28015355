import type { MapSpec } from '../object-spec/map-spec.js';
import type { SlotLayout } from '../vm/engine.js';
import { Err, keyBytes, keyString, MapBase, readU32, u32Key, UpdateFlag, type MapDeps } from './map.js';

/**
 * Maps whose values name kernel objects (programs, devices, sockets, perf buffers, inner maps):
 * user space writes an id (the fd's object) and reads back an id; programs cannot write them.
 * `indexed` maps take keys 0..max-1 (array-like, E2BIG past the end); others take any u32 key
 * up to max entries (hash-like, E2BIG when full).
 */
export abstract class ObjectSlotMap<T> extends MapBase {
  protected readonly slots = new Map<number, T>();
  /**
   * Indexed maps: private memory where slot i's u32 is `mirrorOf` its object (0 when empty), so
   * compiled code can see which slots are filled (redirects, tail calls) without the host.
   */
  private readonly mirror: number | undefined;

  /**
   * Hash-like maps whose keys are not u32 (a hash of maps keyed by a VIP, say): each key gets a
   * slot number, and the slot's key bytes are kept to give back (latin1 strings, as hash maps keep keys).
   */
  private readonly wide: { slots: Map<string, number>; keys: Map<number, string>; next: number } | undefined;

  constructor(
    spec: MapSpec,
    id: number,
    handle: number,
    deps: MapDeps,
    protected readonly indexed: boolean,
    valueSizes: readonly number[] = [4],
    anyKeySize = false,
  ) {
    super(spec, id, handle, deps);
    if (spec.keySize !== 4 && !(anyKeySize && !indexed && spec.keySize > 0)) this.fail('EINVAL', `keys are 4 bytes, not ${spec.keySize}`);
    if (spec.keySize !== 4) this.wide = { slots: new Map(), keys: new Map(), next: 0 };
    if (!valueSizes.includes(spec.valueSize)) this.fail('EINVAL', `values are ${valueSizes.join(' or ')} bytes, not ${spec.valueSize}`);
    if (indexed) this.mirror = deps.space.allocPrivate(this.mirrorBytes(), `map ${spec.name} slots`);
  }

  private mirrorBytes(): number {
    return Math.max(1, this.spec.maxEntries) * 4;
  }

  /** Where an engine finds each slot's mirror (indexed maps only). */
  slotLayout(): SlotLayout | undefined {
    return this.mirror === undefined ? undefined : { base: this.mirror, maxEntries: this.spec.maxEntries };
  }

  /** The u32 compiled code sees for a filled slot (never 0). */
  protected mirrorOf(_value: T): number {
    return 1;
  }

  /** Turn user value bytes into the object (validating it), or undefined to clear the slot. */
  protected abstract resolve(value: Uint8Array, index: number): T | undefined;
  /** The value bytes user space reads back for an object. */
  protected abstract describe(value: T): Uint8Array;
  /** Called when an object leaves the map (drop references). */
  protected release(_value: T): void {}
  /** Called after slot `index` changed (filled, replaced or emptied). */
  private changed(index: number): void {
    if (this.mirror === undefined) return;
    const v = this.slots.get(index);
    this.space.dv.setUint32(this.mirror + index * 4, v === undefined ? 0 : this.mirrorOf(v), true);
  }

  protected memoryBytes(): number {
    return this.spec.maxEntries * 8;
  }

  get(index: number): T | undefined {
    return this.slots.get(index);
  }

  entries(): [number, T][] {
    return [...this.slots.entries()].sort((a, b) => a[0] - b[0]);
  }

  /** Store an object directly (API users holding objects rather than ids). */
  set(index: number, value: T | undefined, flags = 0): void {
    this.checkFlags(flags, UpdateFlag.NOEXIST | UpdateFlag.EXIST);
    if (this.indexed && index >= this.spec.maxEntries) this.fail('E2BIG', `index ${index} is past the last of ${this.spec.maxEntries} entries`);
    const present = this.slots.has(index);
    if (flags & UpdateFlag.NOEXIST && present) this.fail('EEXIST', `slot ${index} is in use (BPF_NOEXIST)`);
    if (flags & UpdateFlag.EXIST && !present && !this.indexed) this.fail('ENOENT', `slot ${index} is empty (BPF_EXIST)`);
    if (!present && !this.indexed && value !== undefined && this.slots.size >= this.spec.maxEntries)
      this.fail('E2BIG', `map is full (${this.spec.maxEntries} entries)`);
    const old = this.slots.get(index);
    if (old !== undefined) this.release(old);
    if (value === undefined) this.slots.delete(index);
    else this.slots.set(index, value);
    this.changed(index);
  }

  /** The slot of a key: the u32 itself, or for wide keys the slot given to it (a new one if `create`). */
  private slotOf(key: string | Uint8Array, create: boolean): number | undefined {
    if (!this.wide) return typeof key === 'string' ? readU32(keyBytes(key)) : readU32(key);
    const k = typeof key === 'string' ? key : keyString(key);
    let slot = this.wide.slots.get(k);
    if (slot === undefined && create) {
      slot = this.wide.next++;
      this.wide.slots.set(k, slot);
      this.wide.keys.set(slot, k);
    }
    return slot;
  }

  /** Forget a wide key whose slot emptied. */
  private dropKey(slot: number): void {
    if (!this.wide || this.slots.has(slot)) return;
    const k = this.wide.keys.get(slot);
    if (k !== undefined) this.wide.slots.delete(k);
    this.wide.keys.delete(slot);
  }

  private keyOf(slot: number): Uint8Array {
    return this.wide ? keyBytes(this.wide.keys.get(slot)!) : u32Key(slot);
  }

  /** The slot of the key a program passed by address (undefined: no such key). */
  protected slotAt(addr: number): number | undefined {
    return this.wide ? this.slotOf(this.keyStringAt(addr), false) : this.indexAt(addr);
  }

  lookup(key: Uint8Array): Uint8Array | undefined {
    this.checkKey(key);
    const slot = this.slotOf(key, false);
    const v = slot === undefined ? undefined : this.slots.get(slot);
    return v === undefined ? undefined : this.describe(v);
  }

  protected writeEntry(key: Uint8Array, value: Uint8Array, flags = 0): void {
    this.checkKey(key);
    this.checkValue(value);
    const present = this.slotOf(key, false);
    const slot = present ?? this.slotOf(key, true)!;
    try {
      this.set(slot, this.resolve(value, slot), flags);
    } finally {
      if (present === undefined) this.dropKey(slot);
    }
  }

  protected eraseEntry(key: Uint8Array): void {
    this.checkKey(key);
    const slot = this.slotOf(key, false);
    if (slot === undefined || !this.slots.has(slot))
      this.fail(this.indexed && slot !== undefined && slot >= this.spec.maxEntries ? 'EINVAL' : 'ENOENT', `${this.wide ? 'key' : `slot ${slot}`} is empty`);
    this.release(this.slots.get(slot)!);
    this.slots.delete(slot);
    this.changed(slot);
    this.dropKey(slot);
  }

  nextKey(key?: Uint8Array): Uint8Array | undefined {
    if (this.indexed) {
      const i = key === undefined ? -1 : readU32(key);
      if (i >= this.spec.maxEntries) return u32Key(0);
      return i + 1 < this.spec.maxEntries ? u32Key(i + 1) : undefined;
    }
    const keys = [...this.slots.keys()];
    const slot = key === undefined ? undefined : this.slotOf(key, false);
    const i = slot === undefined ? -1 : keys.indexOf(slot);
    if (i < 0) return keys.length ? this.keyOf(keys[0]) : undefined;
    return i + 1 < keys.length ? this.keyOf(keys[i + 1]) : undefined;
  }

  /** Programs may only look up some of these maps; the default is no (the verifier refuses). */
  lookupElem(_keyAddr: number, _cpu: number): number {
    return 0;
  }

  updateElem(_keyAddr: number, _valueAddr: number, _flags: number, _cpu: number): number {
    return Err.EOPNOTSUPP;
  }

  deleteElem(keyAddr: number): number {
    const slot = this.slotAt(keyAddr);
    const v = slot === undefined ? undefined : this.slots.get(slot);
    if (v === undefined) return Err.ENOENT;
    this.release(v);
    this.slots.delete(slot!);
    this.changed(slot!);
    this.dropKey(slot!);
    return 0;
  }

  free(): void {
    for (const v of this.slots.values()) this.release(v);
    this.slots.clear();
    if (this.mirror !== undefined) this.space.freePrivate(this.mirror, this.mirrorBytes());
  }
}
