import { XdpchainError } from '../errors/index.js';
import type { BpfMap } from '../maps/map.js';
import type { CollectionSpec } from '../object-spec/collection-spec.js';
import type { Program } from './program.js';
import type { Runtime } from './runtime.js';
import type { SkippedProgram } from './select.js';

/** The live objects loaded from one CollectionSpec. */
export class Collection {
  constructor(
    private readonly runtime: Runtime,
    readonly programs: ReadonlyMap<string, Program>,
    readonly maps: ReadonlyMap<string, BpfMap>,
    readonly spec: CollectionSpec,
    /** Programs of the object that were not loaded, each with the reason. */
    readonly skipped: readonly SkippedProgram[] = [],
  ) {}

  program(name: string): Program {
    const p = this.programs.get(name);
    if (!p) throw new XdpchainError('ENOENT', `no program ${name} (have: ${[...this.programs.keys()].join(', ')})`);
    return p;
  }

  map(name: string): BpfMap {
    const m = this.maps.get(name);
    if (!m) throw new XdpchainError('ENOENT', `no map ${name} (have: ${[...this.maps.keys()].join(', ')})`);
    return m;
  }

  close(): void {
    for (const p of this.programs.values()) this.runtime.unloadProgram(p);
    for (const m of this.maps.values()) this.runtime.closeMap(m);
  }
}
