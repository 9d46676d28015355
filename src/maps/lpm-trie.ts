import { MapFlag, type MapSpec } from '../object-spec/map-spec.js';
import type { Region } from '../vm/address-space.js';
import type { LpmLayout } from '../vm/engine.js';
import { Err, MapBase, readU32, roundUp8, UpdateFlag, type MapDeps } from './map.js';
import { SlotPool } from './slot-pool.js';

interface TrieNode {
  children: [TrieNode | undefined, TrieNode | undefined];
  /** Present when a prefix ends here. */
  entry?: { prefixLength: number; data: Uint8Array; slot: number };
}

const node = (): TrieNode => ({ children: [undefined, undefined] });
/** Most prefixes compiled code scans in memory; a larger trie is looked up by the host. */
const SCAN_MAX = 64;
const bitAt = (data: Uint8Array, i: number): 0 | 1 => ((data[i >> 3] >> (7 - (i & 7))) & 1) as 0 | 1;

/**
 * BPF_MAP_TYPE_LPM_TRIE: keys are { u32 prefixlen (host order); data (network order) }; a lookup
 * returns the value of the longest stored prefix that covers the key. Like the kernel it needs
 * BPF_F_NO_PREALLOC, refuses prefixes longer than the data, and reports a full trie as ENOSPC.
 */
export class LpmTrieMap extends MapBase {
  private readonly region: Region;
  private readonly stride: number;
  private readonly dataSize: number;
  private readonly root = node();
  private readonly pool: SlotPool;
  private count = 0;
  /** The prefixes, longest first, in private memory for compiled lookups (LpmLayout). */
  private readonly scan: number;
  private readonly scanStride: number;

  constructor(spec: MapSpec, id: number, handle: number, deps: MapDeps) {
    super(spec, id, handle, deps);
    this.dataSize = spec.keySize - 4;
    if (this.dataSize < 1 || this.dataSize > 256) this.fail('EINVAL', `LPM keys are 4 bytes of prefix length plus 1 to 256 bytes of data, not ${spec.keySize}`);
    if (!(spec.flags & MapFlag.NO_PREALLOC)) this.fail('EINVAL', 'an LPM trie must be created with BPF_F_NO_PREALLOC');
    this.stride = roundUp8(spec.valueSize);
    this.pool = new SlotPool(spec.maxEntries);
    this.scanStride = 8 + ((this.dataSize + 3) & ~3);
    this.scan = deps.space.allocPrivate(4 + SCAN_MAX * this.scanStride, `map ${spec.name} prefixes`);
    try {
      this.region = deps.space.alloc(spec.maxEntries * this.stride, `map ${spec.name} values`);
    } catch (e) {
      deps.space.freePrivate(this.scan, 4 + SCAN_MAX * this.scanStride);
      throw e;
    }
  }

  lpmLayout(): LpmLayout {
    return { table: this.scan, entryStride: this.scanStride, keySize: this.spec.keySize, maxScan: SCAN_MAX, values: this.region.addr, stride: this.stride };
  }

  /** Rewrite the scan table after a change: every prefix longest first, or a count past SCAN_MAX. */
  private rescan(): void {
    const dv = this.space.dv;
    dv.setUint32(this.scan, this.count, true);
    if (this.count > SCAN_MAX) return;
    const entries: NonNullable<TrieNode['entry']>[] = [];
    const visit = (n: TrieNode): void => {
      if (n.entry) entries.push(n.entry);
      for (const c of n.children) if (c) visit(c);
    };
    visit(this.root);
    entries.sort((a, b) => b.prefixLength - a.prefixLength);
    entries.forEach((e, i) => {
      const at = this.scan + 4 + i * this.scanStride;
      dv.setUint32(at, e.prefixLength, true);
      dv.setUint32(at + 4, e.slot, true);
      this.space.u8.set(e.data, at + 8);
    });
  }

  protected memoryBytes(): number {
    return this.region.size;
  }

  private split(key: Uint8Array): { prefixLength: number; data: Uint8Array } {
    return { prefixLength: readU32(key), data: key.subarray(4) };
  }

  /** The node where `prefixLength` bits of `data` end, created when `create`. */
  private walk(data: Uint8Array, prefixLength: number, create: boolean): TrieNode | undefined {
    let n = this.root;
    for (let i = 0; i < prefixLength; i++) {
      const b = bitAt(data, i);
      let next = n.children[b];
      if (!next) {
        if (!create) return undefined;
        next = n.children[b] = node();
      }
      n = next;
    }
    return n;
  }

  /** Longest stored prefix covering the first `prefixLength` bits of `data`. */
  private longest(data: Uint8Array, prefixLength: number): TrieNode['entry'] {
    let n: TrieNode | undefined = this.root;
    let best = n.entry;
    const max = Math.min(prefixLength, this.dataSize * 8);
    for (let i = 0; i < max && n; i++) {
      n = n.children[bitAt(data, i)];
      if (n?.entry) best = n.entry;
    }
    return best;
  }

  private address(slot: number): number {
    return this.region.addr + slot * this.stride;
  }

  lookup(key: Uint8Array): Uint8Array | undefined {
    this.checkKey(key);
    const { prefixLength, data } = this.split(key);
    const e = this.longest(data, prefixLength);
    return e ? this.space.u8.slice(this.address(e.slot), this.address(e.slot) + this.spec.valueSize) : undefined;
  }

  private put(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > UpdateFlag.EXIST) return Err.EINVAL;
    const { prefixLength, data } = this.split(key);
    if (prefixLength > this.dataSize * 8) return Err.EINVAL;
    const n = this.walk(data, prefixLength, false);
    if (n?.entry) {
      if (flags === UpdateFlag.NOEXIST) return Err.EEXIST;
    } else {
      if (flags === UpdateFlag.EXIST) return Err.ENOENT;
      if (this.count >= this.spec.maxEntries) return Err.ENOSPC;
    }
    const target = n ?? this.walk(data, prefixLength, true)!;
    if (!target.entry) {
      target.entry = { prefixLength, data: data.slice(), slot: this.pool.take()! };
      this.count++;
    } else target.entry.data = data.slice();
    this.space.u8.set(value.subarray(0, this.spec.valueSize), this.address(target.entry.slot));
    this.rescan();
    return 0;
  }

  protected writeEntry(key: Uint8Array, value: Uint8Array, flags = 0): void {
    this.checkKey(key);
    this.checkValue(value);
    const r = this.put(key, value, flags);
    if (r === Err.EINVAL)
      this.fail(
        'EINVAL',
        flags > UpdateFlag.EXIST ? `unsupported flags 0x${flags.toString(16)}` : `prefix length ${readU32(key)} exceeds ${this.dataSize * 8} bits`,
      );
    if (r === Err.EEXIST) this.fail('EEXIST', 'prefix exists (BPF_NOEXIST)');
    if (r === Err.ENOENT) this.fail('ENOENT', 'prefix does not exist (BPF_EXIST)');
    if (r === Err.ENOSPC) this.fail('ENOSPC', `trie is full (${this.spec.maxEntries} prefixes)`);
  }

  private remove(key: Uint8Array): number {
    const { prefixLength, data } = this.split(key);
    if (prefixLength > this.dataSize * 8) return Err.EINVAL;
    const n = this.walk(data, prefixLength, false);
    if (!n?.entry) return Err.ENOENT;
    this.pool.give(n.entry.slot);
    n.entry = undefined;
    this.count--;
    this.rescan();
    return 0;
  }

  protected eraseEntry(key: Uint8Array): void {
    this.checkKey(key);
    const r = this.remove(key);
    if (r === Err.ENOENT) this.fail('ENOENT', 'prefix does not exist');
    if (r === Err.EINVAL) this.fail('EINVAL', `prefix length ${readU32(key)} exceeds ${this.dataSize * 8} bits`);
  }

  /** Stored keys, more specific prefixes first within a subtree (the kernel's post-order). */
  keys(): Uint8Array[] {
    const out: Uint8Array[] = [];
    const visit = (n: TrieNode): void => {
      for (const c of n.children) if (c) visit(c);
      if (n.entry) {
        const k = new Uint8Array(this.spec.keySize);
        new DataView(k.buffer).setUint32(0, n.entry.prefixLength, true);
        k.set(n.entry.data, 4);
        out.push(k);
      }
    };
    visit(this.root);
    return out;
  }

  nextKey(key?: Uint8Array): Uint8Array | undefined {
    const keys = this.keys();
    if (key === undefined) return keys[0];
    this.checkKey(key);
    const s = Buffer.from(key).toString('hex');
    const i = keys.findIndex((k) => Buffer.from(k).toString('hex') === s);
    return i < 0 ? keys[0] : keys[i + 1];
  }

  lookupElem(keyAddr: number, _cpu: number): number {
    const key = this.keyAt(keyAddr);
    const e = this.longest(key.subarray(4), readU32(key));
    return e ? this.address(e.slot) : 0;
  }

  updateElem(keyAddr: number, valueAddr: number, flags: number, _cpu: number): number {
    return this.put(this.keyAt(keyAddr).slice(), this.space.bytes(valueAddr, this.spec.valueSize).slice(), flags);
  }

  deleteElem(keyAddr: number): number {
    return this.remove(this.keyAt(keyAddr).slice());
  }

  free(): void {
    this.space.free(this.region);
    this.space.freePrivate(this.scan, 4 + SCAN_MAX * this.scanStride);
  }
}
