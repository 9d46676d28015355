import type { MapSpec } from '../object-spec/map-spec.js';
import type { Region } from '../vm/address-space.js';
import { Err, keyBytes, keyString, MapBase, roundUp8, UpdateFlag, type MapDeps } from './map.js';
import { copyValue, spinLockOffset, userCopy } from './special-fields.js';
import { HashIndex, MAX_INDEXED_ENTRIES } from './hash-index.js';
import { SlotPool } from './slot-pool.js';
import type { HashLayout } from '../vm/engine.js';

export interface HashOptions {
  perCpu: boolean;
  /** Evict the least recently used element instead of failing when full. */
  lru: boolean;
}

/**
 * BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH with preallocated element
 * values (so value pointers are stable and nothing allocates while a program runs).
 * Iteration follows insertion order. LRU is exact least-recently-used: lookups and updates
 * from programs refresh an element; a full map evicts the element touched longest ago (the
 * kernel's LRU approximates this with per-CPU lists, so under pressure it may pick another).
 */
export class HashMap extends MapBase {
  private readonly region: Region;
  private readonly stride: number;
  private readonly cpus: number;
  private readonly lock: number | undefined;
  /** key → slot; Map order is insertion order, refreshed on access for LRU. */
  private readonly slots = new Map<string, number>();
  private readonly pool: SlotPool;
  /** Keys in memory for compiled lookups (plain hash maps: an LRU lookup must refresh the JS order). */
  private readonly index: HashIndex | undefined;

  constructor(
    spec: MapSpec,
    id: number,
    handle: number,
    deps: MapDeps,
    readonly opts: HashOptions,
  ) {
    super(spec, id, handle, deps);
    if (spec.keySize === 0) this.fail('EINVAL', 'hash keys cannot be empty');
    this.stride = roundUp8(spec.valueSize);
    this.cpus = opts.perCpu ? deps.possibleCpus : 1;
    this.lock = spinLockOffset(spec);
    this.pool = new SlotPool(spec.maxEntries);
    this.region = deps.space.alloc(spec.maxEntries * this.stride * this.cpus, `map ${spec.name} values`);
    try {
      if (!opts.lru && spec.maxEntries <= MAX_INDEXED_ENTRIES) this.index = new HashIndex(deps.space, spec.maxEntries, spec.keySize, `map ${spec.name}`);
    } catch (e) {
      deps.space.free(this.region);
      throw e;
    }
  }

  /** Where compiled code finds keys and values (plain hash maps only). */
  layout(cpuCell: number): HashLayout | undefined {
    if (!this.index) return undefined;
    const plain: HashLayout = {
      table: this.index.table,
      mask: this.index.mask,
      keys: this.index.keys,
      keySize: this.spec.keySize,
      values: this.region.addr,
      stride: this.stride,
      cpus: this.cpus,
    };
    return this.opts.perCpu ? { ...plain, cpuCell } : plain;
  }

  get size(): number {
    return this.slots.size;
  }

  private address(slot: number, cpu: number): number {
    return this.region.addr + (slot * this.cpus + (this.opts.perCpu ? cpu : 0)) * this.stride;
  }

  protected memoryBytes(): number {
    return this.region.size;
  }

  private touch(k: string, slot: number): void {
    if (!this.opts.lru) return;
    this.slots.delete(k);
    this.slots.set(k, slot);
  }

  /** A slot for a new key: a free one, or (LRU) the least recently used one. */
  private allocate(): number | undefined {
    const s = this.pool.take();
    if (s !== undefined) return s;
    if (!this.opts.lru) return undefined;
    const oldest = this.slots.keys().next();
    if (oldest.done) return undefined;
    const slot = this.slots.get(oldest.value)!;
    this.slots.delete(oldest.value);
    return slot;
  }

  private zero(slot: number): void {
    const a = this.address(slot, 0);
    this.space.u8.fill(0, a, a + this.stride * this.cpus);
  }

  lookup(key: Uint8Array): Uint8Array | undefined {
    this.checkKey(key);
    const slot = this.slots.get(keyString(key));
    if (slot === undefined) return undefined;
    const out = new Uint8Array(this.opts.perCpu ? this.stride * this.cpus : this.spec.valueSize);
    for (let c = 0; c < this.cpus; c++) {
      const a = this.address(slot, c);
      out.set(userCopy(this.space.u8.subarray(a, a + this.spec.valueSize), this.lock), c * this.stride);
    }
    return out;
  }

  protected writeEntry(key: Uint8Array, value: Uint8Array, flags = 0): void {
    this.checkFlags(flags, UpdateFlag.NOEXIST | UpdateFlag.EXIST | UpdateFlag.LOCK);
    this.checkKey(key);
    this.checkValue(value, this.opts.perCpu);
    if (flags & UpdateFlag.LOCK && this.lock === undefined) this.fail('EINVAL', 'BPF_F_LOCK needs a value with a struct bpf_spin_lock');
    const k = keyString(key);
    let slot = this.slots.get(k);
    if (slot !== undefined && flags & UpdateFlag.NOEXIST) this.fail('EEXIST', 'key exists (BPF_NOEXIST)');
    if (slot === undefined) {
      if (flags & UpdateFlag.EXIST) this.fail('ENOENT', 'key does not exist (BPF_EXIST)');
      slot = this.allocate();
      if (slot === undefined) this.fail('E2BIG', `map is full (${this.spec.maxEntries} entries)`);
      this.zero(slot);
      this.index?.insert(key, slot!);
    }
    this.slots.delete(k);
    this.slots.set(k, slot);
    for (let c = 0; c < this.cpus; c++) {
      const a = this.address(slot, c);
      copyValue(this.space.u8.subarray(a, a + this.spec.valueSize), value.subarray(c * this.stride, c * this.stride + this.spec.valueSize), this.lock);
    }
  }

  protected eraseEntry(key: Uint8Array): void {
    this.checkKey(key);
    if (this.remove(keyString(key)) !== 0) this.fail('ENOENT', 'key does not exist');
  }

  private remove(k: string): number {
    const slot = this.slots.get(k);
    if (slot === undefined) return Err.ENOENT;
    this.slots.delete(k);
    this.pool.give(slot);
    this.index?.remove(slot);
    return 0;
  }

  nextKey(key?: Uint8Array): Uint8Array | undefined {
    const keys = [...this.slots.keys()];
    if (key === undefined) return keys.length ? keyBytes(keys[0]) : undefined;
    this.checkKey(key);
    const i = keys.indexOf(keyString(key));
    if (i < 0) return keys.length ? keyBytes(keys[0]) : undefined;
    return i + 1 < keys.length ? keyBytes(keys[i + 1]) : undefined;
  }

  /** Every (key, slot) pair in iteration order. */
  *entries(): Generator<Uint8Array> {
    for (const k of this.slots.keys()) yield keyBytes(k);
  }

  lookupElem(keyAddr: number, cpu: number): number {
    const k = this.keyStringAt(keyAddr);
    const slot = this.slots.get(k);
    if (slot === undefined) return 0;
    this.touch(k, slot);
    return this.address(slot, cpu);
  }

  updateElem(keyAddr: number, valueAddr: number, flags: number, cpu: number): number {
    if (flags > UpdateFlag.LOCK || (flags & 3) === 3) return Err.EINVAL;
    if (flags & UpdateFlag.LOCK && this.lock === undefined) return Err.EINVAL;
    const k = this.keyStringAt(keyAddr);
    const src = this.space.bytes(valueAddr, this.spec.valueSize).slice();
    let slot = this.slots.get(k);
    if (slot !== undefined && flags & UpdateFlag.NOEXIST) return Err.EEXIST;
    if (slot === undefined) {
      if (flags & UpdateFlag.EXIST) return Err.ENOENT;
      slot = this.allocate();
      if (slot === undefined) return Err.E2BIG;
      // A new per-CPU element starts zeroed on every CPU but the current one.
      this.zero(slot);
      this.index?.insert(this.keyAt(keyAddr), slot);
    }
    this.slots.delete(k);
    this.slots.set(k, slot);
    const a = this.address(slot, cpu);
    copyValue(this.space.u8.subarray(a, a + this.spec.valueSize), src, this.lock);
    return 0;
  }

  deleteElem(keyAddr: number): number {
    return this.remove(this.keyStringAt(keyAddr));
  }

  free(): void {
    this.space.free(this.region);
    this.index?.free();
  }
}
