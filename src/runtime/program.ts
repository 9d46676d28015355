import type { ProgramRef } from '../maps/map.js';
import type { AttachType, ProgramSpec, ProgramType } from '../object-spec/program-spec.js';
import type { Executable } from '../vm/engine.js';
import type { TestRunProgram } from '../xdp/test-run.js';
import { BPF_F_XDP_HAS_FRAGS } from '../elf/programs.js';

/** Per-program statistics, kept however the program runs (alone, chained, dispatched, tail-called). */
export interface ProgramStats {
  runCount: number;
  runTimeNs: number;
}

/** A loaded program: an id, its spec, the compiled code and its statistics. */
export class Program implements ProgramRef, TestRunProgram {
  loadedAt = new Date();

  constructor(
    readonly id: number,
    readonly spec: ProgramSpec,
    readonly executable: Executable,
    readonly tag: string,
    /** Ids of the maps the program references. */
    readonly mapIds: readonly number[],
    /** Its node in the runtime's batch graph (src/runtime/nodes.ts). */
    readonly node: number,
    readonly stats: ProgramStats,
    /** The device the program was bound to at load (prog_ifindex + BPF_F_XDP_DEV_BOUND_ONLY). */
    readonly boundIfindex?: number,
  ) {}

  get name(): string {
    return this.spec.name;
  }
  get type(): ProgramType {
    return this.spec.type;
  }
  get attachType(): AttachType {
    return this.spec.attachType;
  }
  get hasFrags(): boolean {
    return (this.spec.flags & BPF_F_XDP_HAS_FRAGS) !== 0;
  }
  get instructionCount(): number {
    return this.spec.instructions.length;
  }

  /** What `prog show` prints. */
  info(): ProgramInfo {
    return {
      id: this.id,
      name: this.name,
      type: this.type,
      tag: this.tag,
      license: this.spec.license,
      loadedAt: this.loadedAt.toISOString(),
      instructions: this.instructionCount,
      mapIds: [...this.mapIds],
      flags: this.spec.flags,
      runCount: this.stats.runCount,
      runTimeNs: this.stats.runTimeNs,
      engine: this.executable.engine,
      ...(this.boundIfindex !== undefined ? { boundIfindex: this.boundIfindex } : {}),
    };
  }
}

export interface ProgramInfo {
  id: number;
  name: string;
  type: ProgramType;
  tag: string;
  license: string;
  loadedAt: string;
  instructions: number;
  mapIds: number[];
  /** Load flags (BPF_F_XDP_HAS_FRAGS, BPF_F_CHAIN_CALLS, ...). */
  flags: number;
  runCount: number;
  runTimeNs: number;
  engine: string;
  /** Set for a device-bound program: the device's ifindex. */
  boundIfindex?: number;
}
