import type { MapSpec } from '../object-spec/map-spec.js';
import type { Region } from '../vm/address-space.js';
import type { ArrayLayout } from '../vm/engine.js';
import { Err, MapBase, readU32, roundUp8, u32Key, UpdateFlag, type MapDeps } from './map.js';
import { copyValue, spinLockOffset, userCopy } from './special-fields.js';

/** How much of an array `nonZeroIndexes` compares with zeros at once. */
const ZERO_SCAN_BYTES = 1 << 16;

/**
 * BPF_MAP_TYPE_ARRAY and PERCPU_ARRAY: preallocated, zero-initialised values indexed by a u32
 * key; elements cannot be deleted. Values are 8-byte aligned as the kernel lays them out.
 */
export class ArrayMap extends MapBase {
  private readonly region: Region;
  private readonly stride: number;
  private readonly cpus: number;
  private readonly lock: number | undefined;

  constructor(
    spec: MapSpec,
    id: number,
    handle: number,
    deps: MapDeps,
    readonly perCpu: boolean,
  ) {
    super(spec, id, handle, deps);
    if (spec.keySize !== 4) this.fail('EINVAL', `array keys are 4 bytes, not ${spec.keySize}`);
    this.stride = roundUp8(spec.valueSize);
    this.cpus = perCpu ? deps.possibleCpus : 1;
    this.lock = spinLockOffset(spec);
    this.region = deps.space.alloc(spec.maxEntries * this.stride * this.cpus, `map ${spec.name} values`);
    if (spec.initialData) this.space.view(this.region, 0, spec.initialData.length).set(spec.initialData);
    if (spec.frozen) this.freeze();
  }

  /** For engines that look up arrays inline; a per-CPU array needs the cell holding the running CPU. */
  layout(cpuCell: number): ArrayLayout {
    const plain: ArrayLayout = {
      base: this.region.addr,
      stride: this.stride,
      maxEntries: this.spec.maxEntries,
      cpus: this.cpus,
      valueSize: this.spec.valueSize,
    };
    if (this.lock !== undefined) plain.lockOffset = this.lock;
    if (this.frozen) plain.readOnly = true;
    return this.perCpu ? { ...plain, cpuCell } : plain;
  }

  /** Address of element `index` for `cpu` (plain arrays ignore the CPU). */
  valueAddress(index: number, cpu = 0): number {
    return this.region.addr + (index * this.cpus + (this.perCpu ? cpu : 0)) * this.stride;
  }

  /**
   * Indexes whose value is not all zero bytes (on some CPU), in order: what differs from a fresh
   * map. Untouched memory is compared 64 KiB at a time, so a large array costs no element-wise
   * reads (and reading pages nothing wrote maps no memory).
   */
  nonZeroIndexes(): number[] {
    const bytes = this.space.view(this.region);
    const all = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const element = this.stride * this.cpus;
    const zero = Buffer.alloc(Math.max(ZERO_SCAN_BYTES, element));
    const out: number[] = [];
    for (let block = 0; block < all.length; block += ZERO_SCAN_BYTES) {
      const end = Math.min(block + ZERO_SCAN_BYTES, all.length);
      if (all.subarray(block, end).equals(zero.subarray(0, end - block))) continue;
      const from = Math.max(Math.floor(block / element), out.length ? out[out.length - 1] + 1 : 0);
      for (let i = from; i * element < end; i++) {
        if (!all.subarray(i * element, (i + 1) * element).equals(zero.subarray(0, element))) out.push(i);
      }
    }
    return out;
  }

  override freeze(): void {
    super.freeze();
    this.space.setReadOnly(this.region, true);
  }

  protected memoryBytes(): number {
    return this.region.size;
  }

  private index(key: Uint8Array): number {
    this.checkKey(key);
    return readU32(key);
  }

  lookup(key: Uint8Array): Uint8Array | undefined {
    const i = this.index(key);
    if (i >= this.spec.maxEntries) return undefined;
    if (!this.perCpu) return userCopy(this.space.u8.subarray(this.valueAddress(i), this.valueAddress(i) + this.spec.valueSize), this.lock);
    const out = new Uint8Array(this.stride * this.cpus);
    for (let c = 0; c < this.cpus; c++) {
      const a = this.valueAddress(i, c);
      out.set(userCopy(this.space.u8.subarray(a, a + this.spec.valueSize), this.lock), c * this.stride);
    }
    return out;
  }

  protected writeEntry(key: Uint8Array, value: Uint8Array, flags = 0): void {
    this.checkFlags(flags, UpdateFlag.NOEXIST | UpdateFlag.EXIST | UpdateFlag.LOCK);
    const i = this.index(key);
    if (i >= this.spec.maxEntries) this.fail('E2BIG', `index ${i} is past the last of ${this.spec.maxEntries} entries`);
    if (flags & UpdateFlag.NOEXIST) this.fail('EEXIST', 'array elements always exist (BPF_NOEXIST)');
    if (flags & UpdateFlag.LOCK && this.lock === undefined) this.fail('EINVAL', 'BPF_F_LOCK needs a value with a struct bpf_spin_lock');
    this.checkValue(value, this.perCpu);
    for (let c = 0; c < this.cpus; c++) {
      const a = this.valueAddress(i, c);
      copyValue(this.space.u8.subarray(a, a + this.spec.valueSize), value.subarray(c * this.stride, c * this.stride + this.spec.valueSize), this.lock);
    }
  }

  protected eraseEntry(_key: Uint8Array): void {
    this.fail('EINVAL', 'array elements cannot be deleted');
  }

  nextKey(key?: Uint8Array): Uint8Array | undefined {
    const i = key === undefined ? -1 : this.index(key);
    if (i >= this.spec.maxEntries) return u32Key(0);
    return i + 1 < this.spec.maxEntries ? u32Key(i + 1) : undefined;
  }

  lookupElem(keyAddr: number, cpu: number): number {
    const i = this.indexAt(keyAddr);
    return i < this.spec.maxEntries ? this.valueAddress(i, cpu) : 0;
  }

  updateElem(keyAddr: number, valueAddr: number, flags: number, cpu: number): number {
    if (flags > UpdateFlag.LOCK || (flags & 3) === 3) return Err.EINVAL;
    const i = this.indexAt(keyAddr);
    if (i >= this.spec.maxEntries) return Err.E2BIG;
    if (flags & UpdateFlag.NOEXIST) return Err.EEXIST;
    const src = this.space.bytes(valueAddr, this.spec.valueSize);
    const a = this.valueAddress(i, cpu);
    copyValue(this.space.u8.subarray(a, a + this.spec.valueSize), src, this.lock); // set() copies overlapping ranges correctly
    return 0;
  }

  deleteElem(_keyAddr: number): number {
    return Err.EINVAL;
  }

  free(): void {
    this.space.free(this.region);
  }
}
