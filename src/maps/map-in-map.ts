import type { MapSpec } from '../object-spec/map-spec.js';
import { readU32, u32Key, type BpfMap, type MapDeps } from './map.js';
import { ObjectSlotMap } from './object-slots.js';

/** BPF_F_INNER_MAP: inner maps may differ in max_entries. */
export const BPF_F_INNER_MAP = 1 << 12;

/**
 * BPF_MAP_TYPE_ARRAY_OF_MAPS and HASH_OF_MAPS: values are maps compatible with the inner map
 * template (same type, key and value size, flags, and max entries unless BPF_F_INNER_MAP).
 * A program's lookup yields the inner map, usable with the map helpers.
 */
export class MapInMap extends ObjectSlotMap<BpfMap> {
  constructor(spec: MapSpec, id: number, handle: number, deps: MapDeps, indexed: boolean) {
    // A hash of maps takes keys of any size (a VIP, a flow); an array of maps u32 indexes.
    super(spec, id, handle, deps, indexed, [4], true);
    if (!spec.innerMap) this.fail('EINVAL', 'a map of maps needs an inner map template');
  }

  protected resolve(value: Uint8Array): BpfMap {
    const id = readU32(value);
    const inner = this.deps.objects?.map(id);
    if (!inner) this.fail('EBADF', `no map with id ${id}`);
    return inner!;
  }

  protected describe(m: BpfMap): Uint8Array {
    return u32Key(m.id);
  }

  override set(index: number, inner: BpfMap | undefined, flags = 0): void {
    if (inner) {
      const t = this.spec.innerMap!;
      const s = inner.spec;
      const why =
        s.type !== t.type
          ? `is a ${s.type}, not a ${t.type}`
          : s.keySize !== t.keySize || s.valueSize !== t.valueSize
            ? `has ${s.keySize}/${s.valueSize}-byte keys/values, not ${t.keySize}/${t.valueSize}`
            : !(t.flags & BPF_F_INNER_MAP) && s.maxEntries !== t.maxEntries
              ? `has ${s.maxEntries} entries, not ${t.maxEntries}`
              : undefined;
      if (why) this.fail('EINVAL', `inner map ${s.name} ${why}`);
    }
    super.set(index, inner, flags);
  }

  override lookupElem(keyAddr: number, _cpu?: number): number {
    const slot = this.slotAt(keyAddr);
    return slot === undefined ? 0 : (this.slots.get(slot)?.handle ?? 0);
  }
}
