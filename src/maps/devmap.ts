import type { MapSpec } from '../object-spec/map-spec.js';
import type { Region } from '../vm/address-space.js';
import { readU32, refuseDeviceBound, type MapDeps } from './map.js';
import { ObjectSlotMap } from './object-slots.js';
import { SlotPool } from './slot-pool.js';

/** A devmap entry: the egress device and an optional program to run on egress. */
export interface DevmapEntry {
  ifindex: number;
  programId: number;
  /** Slot in the read-only value region programs see (struct bpf_devmap_val). */
  slot: number;
}

/**
 * BPF_MAP_TYPE_DEVMAP (indexed) and DEVMAP_HASH: redirect targets. Values are
 * struct bpf_devmap_val { u32 ifindex; u32 prog } (or just the ifindex); an ifindex of 0
 * clears the slot; an unknown device is EINVAL, as in the kernel. Programs may look entries
 * up and read the value, but not write it.
 */
export class DevMap extends ObjectSlotMap<DevmapEntry> {
  private readonly region: Region;
  private readonly pool: SlotPool;

  constructor(spec: MapSpec, id: number, handle: number, deps: MapDeps, indexed: boolean) {
    super(spec, id, handle, deps, indexed, [4, 8]);
    this.pool = new SlotPool(spec.maxEntries);
    try {
      this.region = deps.space.alloc(Math.max(1, spec.maxEntries) * 8, `map ${spec.name} values`, { readOnly: true });
    } catch (e) {
      super.free();
      throw e;
    }
  }

  protected override memoryBytes(): number {
    return this.region.size;
  }

  protected resolve(value: Uint8Array): DevmapEntry | undefined {
    const ifindex = readU32(value);
    const programId = value.length >= 8 ? readU32(value.subarray(4)) : 0;
    if (ifindex === 0) {
      if (programId) this.fail('EINVAL', 'a program needs a device (ifindex 0 clears the slot)');
      return undefined;
    }
    if (this.deps.objects && !this.deps.objects.ifindexExists(ifindex)) this.fail('EINVAL', `no device with ifindex ${ifindex}`);
    if (programId && this.deps.objects) {
      const prog = this.deps.objects.program(programId);
      if (!prog) this.fail('EBADF', `no program with id ${programId}`);
      refuseDeviceBound(prog!, (why) => this.fail('EINVAL', why));
    }
    return { ifindex, programId, slot: -1 };
  }

  protected describe(e: DevmapEntry): Uint8Array {
    const out = new Uint8Array(this.spec.valueSize);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, e.ifindex, true);
    if (out.length >= 8) dv.setUint32(4, e.programId, true);
    return out;
  }

  override set(index: number, value: DevmapEntry | undefined, flags = 0): void {
    if (value && value.slot < 0) {
      const old = this.slots.get(index);
      value.slot = old ? old.slot : (this.pool.take() ?? -1);
    }
    super.set(index, value, flags);
    if (value) {
      const dv = this.space.dv;
      dv.setUint32(this.region.addr + value.slot * 8, value.ifindex, true);
      dv.setUint32(this.region.addr + value.slot * 8 + 4, value.programId, true);
    }
  }

  protected override release(e: DevmapEntry): void {
    if (e.slot >= 0 && !this.pool.isFree(e.slot)) this.pool.give(e.slot);
  }

  override lookupElem(keyAddr: number, _cpu?: number): number {
    const e = this.slots.get(this.indexAt(keyAddr));
    return e ? this.region.addr + e.slot * 8 : 0;
  }

  override free(): void {
    super.free();
    this.space.free(this.region);
  }
}
