import type { MapSpec } from '../spec/map-spec.js';
import { readU32, u32Key, type MapDeps, type ProgramRef } from './map.js';
import { ObjectSlotMap } from './object-slots.js';
import type { TailCallLayout } from '../vm/engine.js';

/**
 * BPF_MAP_TYPE_PROG_ARRAY: tail-call targets. Every program in one array must be of the same
 * type (the kernel ties the array to its first program's type).
 */
export class ProgArrayMap extends ObjectSlotMap<ProgramRef> {
  private ownerType: string | undefined;
  /** Private memory: slot i holds its program's node + 1 (0 when empty), for compiled tail calls. */
  private readonly nodes: number;
  private readonly nodesBytes: number;

  constructor(spec: MapSpec, id: number, handle: number, deps: MapDeps) {
    super(spec, id, handle, deps, true);
    this.nodesBytes = Math.max(1, spec.maxEntries) * 4;
    this.nodes = deps.space.allocPrivate(this.nodesBytes, `prog array ${spec.name} nodes`);
  }

  /** Where an engine finds each slot's node + 1 (0: empty) to tail-call without the helper. */
  tailCallLayout(): TailCallLayout {
    return { base: this.nodes, maxEntries: this.spec.maxEntries };
  }

  override free(): void {
    super.free();
    this.space.freePrivate(this.nodes, this.nodesBytes);
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
      this.ownerType ??= value.type;
      if (value.type !== this.ownerType) this.fail('EINVAL', `program ${value.name} is ${value.type}, but this array holds ${this.ownerType} programs`);
    }
    super.set(index, value, flags);
  }

  protected override changed(index: number): void {
    const target = this.slots.get(index);
    this.space.dv.setUint32(this.nodes + index * 4, target?.node === undefined ? 0 : target.node + 1, true);
  }
}
