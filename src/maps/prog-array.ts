import type { MapSpec } from '../object-spec/map-spec.js';
import { readU32, refuseDeviceBound, u32Key, type MapDeps, type ProgramRef } from './map.js';
import { ObjectSlotMap } from './object-slots.js';

/**
 * BPF_MAP_TYPE_PROG_ARRAY: tail-call targets. Every program in one array must be of the same
 * type (the kernel ties the array to its first program's type).
 */
export class ProgArrayMap extends ObjectSlotMap<ProgramRef> {
  private ownerType: string | undefined;

  constructor(spec: MapSpec, id: number, handle: number, deps: MapDeps) {
    super(spec, id, handle, deps, true);
  }

  /** A slot's mirror is its program's node + 1, so compiled code tail-calls without the helper. */
  protected override mirrorOf(value: ProgramRef): number {
    return value.node === undefined ? 0 : value.node + 1;
  }

  protected resolve(value: Uint8Array): ProgramRef {
    const id = readU32(value);
    const prog = this.deps.objects?.program(id);
    if (!prog) this.fail('EBADF', `no program with id ${id}`);
    return prog!;
  }

  protected describe(value: ProgramRef): Uint8Array {
    return u32Key(value.id);
  }

  override set(index: number, value: ProgramRef | undefined, flags = 0): void {
    if (value) {
      refuseDeviceBound(value, (why) => this.fail('EINVAL', why));
      this.ownerType ??= value.type;
      if (value.type !== this.ownerType) this.fail('EINVAL', `program ${value.name} is ${value.type}, but this array holds ${this.ownerType} programs`);
    }
    super.set(index, value, flags);
  }
}
