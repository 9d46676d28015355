import { availableParallelism } from 'node:os';
import { XdpchainError } from '../errors/index.js';
import { seededRandom, systemClock, type Clock, type HelperServices, type TraceLine } from '../helpers/services.js';
import { xdpHelperTable } from '../helpers/table.js';
import { createMap } from '../maps/create.js';
import { CpuMap } from '../maps/cpumap.js';
import { DevMap } from '../maps/devmap.js';
import type { BpfMap, MapObjects } from '../maps/map.js';
import { MapInMap } from '../maps/map-in-map.js';
import { ProgArrayMap } from '../maps/prog-array.js';
import { MapRegistry } from '../maps/registry.js';
import { XskMap } from '../maps/xskmap.js';
import type { CollectionSpec } from '../spec/collection-spec.js';
import type { ProgramSpec } from '../spec/program-spec.js';
import { AddressSpace } from '../vm/address-space.js';
import { CodeRegistry, type EngineName, type EngineOptions, type ExecutionEngine } from '../vm/engine.js';
import type { HelperTable } from '../vm/helper.js';
import { createInterpreter } from '../vm/interp/index.js';
import { BPF_F_EXCLUDE_INGRESS, BPF_F_BROADCAST } from '../helpers/redirect.js';
import type { RedirectTarget } from '../xdp/buffer.js';
import { Fabric, type RedirectDestination } from '../xdp/fabric.js';
import type { Netdev } from '../xdp/netdev.js';
import { xdpTestRun, type XdpTestRunInput, type XdpTestRunOutput } from '../xdp/test-run.js';
import { Collection } from './collection.js';
import { Program } from './program.js';
import { checkHelpers, resolveReferences, sourceLocator } from './resolve.js';
import { programTag } from './tag.js';

export type EngineFactory = (opts: EngineOptions) => ExecutionEngine;

const ENGINES: Partial<Record<EngineName, EngineFactory>> = { interp: createInterpreter };

/** Register another engine (the wasm engine registers itself here). */
export function registerEngine(name: EngineName, factory: EngineFactory): void {
  ENGINES[name] = factory;
}

export interface RuntimeOptions {
  engine?: EngineName;
  /** Bytes of memory for maps, packets and stacks (default 256 MiB). */
  maxDataBytes?: number;
  /** Possible CPUs (per-CPU maps hold one value each); default: this machine's. */
  possibleCpus?: number;
  /** The CPU programs run on (bpf_get_smp_processor_id, per-CPU maps); default 0. */
  cpu?: number;
  clock?: Clock;
  random?: () => number;
  /** bpf_trace_printk output; default: kept in `traceLines` (the last 10000). */
  trace?: (line: TraceLine) => void;
}

/**
 * The in-process kernel: one address space, the maps, programs and devices in it, the helper
 * table bound to them, and an execution engine.
 */
export class Runtime {
  readonly space: AddressSpace;
  readonly code = new CodeRegistry();
  readonly maps = new MapRegistry();
  readonly fabric: Fabric;
  readonly services: HelperServices;
  readonly helpers: HelperTable;
  readonly engine: ExecutionEngine;
  readonly traceLines: TraceLine[] = [];
  cpu: number;
  private readonly programsById = new Map<number, Program>();
  private nextProgramId = 1;

  constructor(opts: RuntimeOptions = {}) {
    this.space = new AddressSpace({ maxDataBytes: opts.maxDataBytes });
    this.cpu = opts.cpu ?? 0;
    this.fabric = new Fabric(this.space, { resolve: (t, ingress) => this.resolveRedirect(t, ingress) });
    const possibleCpus = opts.possibleCpus ?? availableParallelism();
    const random = opts.random ?? seededRandom(Date.now() & 0xffffffff);
    this.services = {
      space: this.space,
      clock: opts.clock ?? systemClock,
      random,
      cpu: () => this.cpu,
      possibleCpus,
      trace: opts.trace ?? ((line) => {
        if (this.traceLines.length >= 10_000) this.traceLines.shift();
        this.traceLines.push(line);
      }),
      maps: this.maps,
      network: this.fabric,
    };
    this.helpers = xdpHelperTable(this.services);
    const engineName = opts.engine ?? 'interp';
    const factory = ENGINES[engineName];
    if (!factory) throw new XdpchainError('EINVAL', `engine "${engineName}" is not available (have: ${Object.keys(ENGINES).join(', ')})`);
    this.engine = factory({ space: this.space, registry: this.code });
  }

  /** How maps find programs, maps and devices by id. */
  readonly objects: MapObjects = {
    program: (id) => this.programsById.get(id),
    map: (id) => this.maps.get(id),
    ifindexExists: (ifindex) => this.fabric.find(ifindex) !== undefined,
  };

  /** Create maps and load programs of a collection, as libbpf's bpf_object__load does. */
  loadCollection(spec: CollectionSpec, opts: { programs?: readonly string[] } = {}): Collection {
    const created: BpfMap[] = [];
    const loaded: Program[] = [];
    try {
      const maps = new Map<string, BpfMap>();
      for (const ms of spec.maps.values()) {
        const m = createMap(ms, { space: this.space, possibleCpus: this.services.possibleCpus, registry: this.maps, objects: this.objects });
        created.push(m);
        maps.set(ms.name, m);
      }
      const wanted = opts.programs ? new Set(opts.programs) : undefined;
      for (const name of wanted ?? []) if (!spec.programs.has(name)) throw new XdpchainError('ENOENT', `no program ${name} in ${spec.source ?? 'the object'} (has: ${[...spec.programs.keys()].join(', ')})`);
      const programs = new Map<string, Program>();
      for (const ps of spec.programs.values()) {
        if (wanted && !wanted.has(ps.name)) continue;
        const p = this.loadProgram(ps, maps);
        loaded.push(p);
        programs.set(ps.name, p);
      }
      // Initial slots from BTF `.values`: programs and maps of this collection, by name.
      for (const ms of spec.maps.values()) {
        const m = maps.get(ms.name)!;
        for (const entry of ms.contents) {
          const index = new DataView(entry.key.buffer, entry.key.byteOffset).getUint32(0, true);
          const value = entry.value;
          if (value instanceof Uint8Array) {
            m.update(entry.key, value);
          } else if ('program' in value && m instanceof ProgArrayMap) {
            const target = programs.get(value.program);
            if (target) m.set(index, target);
          } else if ('map' in value && m instanceof MapInMap) {
            const inner = maps.get(value.map);
            if (!inner) throw new XdpchainError('EINVAL', `map ${ms.name}: initial value names map ${value.map}, which the collection does not have`);
            m.set(index, inner);
          }
        }
      }
      return new Collection(this, programs, maps);
    } catch (e) {
      for (const p of loaded) this.unloadProgram(p);
      for (const m of created) this.closeMap(m);
      throw e;
    }
  }

  /** Load one program whose maps already exist. */
  loadProgram(spec: ProgramSpec, maps: ReadonlyMap<string, BpfMap>): Program {
    if (spec.type !== 'xdp') {
      throw new XdpchainError('EINVAL', `program ${spec.name} is a ${spec.type} program (section ${spec.sectionName}); xdpchain loads XDP programs`, { program: spec.name });
    }
    const { program, mapIds } = resolveReferences(spec, maps);
    checkHelpers(spec, program, this.helpers);
    const executable = this.engine.compile({ name: spec.name, program, helpers: this.helpers, sourceOf: sourceLocator(spec.lineInfo) });
    const p = new Program(this.nextProgramId++, spec, executable, programTag(spec.instructions), mapIds);
    this.programsById.set(p.id, p);
    return p;
  }

  program(id: number): Program | undefined {
    return this.programsById.get(id);
  }

  programs(): Program[] {
    return [...this.programsById.values()];
  }

  unloadProgram(p: Program): void {
    this.programsById.delete(p.id);
    this.code.unregister(p.executable);
  }

  closeMap(m: BpfMap): void {
    this.maps.remove(m);
    m.free();
  }

  /** BPF_PROG_TEST_RUN, counting the runs in the program's statistics. */
  testRun(p: Program, input: XdpTestRunInput): XdpTestRunOutput {
    const out = xdpTestRun(p, this.space, { devices: this.fabric, ...input });
    const runs = Math.max(1, input.repeat ?? 1);
    p.stats.runCount += runs;
    p.stats.runTimeNs += Math.round(out.durationNs * runs);
    return out;
  }

  /** Where a redirect helper's target sends a frame on the fabric. */
  private resolveRedirect(t: RedirectTarget, ingress: Netdev): RedirectDestination | undefined {
    if (t.kind === 'ifindex') return { kind: 'netdev', ifindexes: [t.ifindex] };
    const map = this.maps.get(t.mapId);
    if (map instanceof DevMap) {
      if (t.flags & BPF_F_BROADCAST) {
        const all = map.entries().map(([, e]) => e.ifindex);
        return { kind: 'netdev', ifindexes: t.flags & BPF_F_EXCLUDE_INGRESS ? all.filter((i) => i !== ingress.ifindex) : all };
      }
      const e = map.get(t.key);
      return e && { kind: 'netdev', ifindexes: [e.ifindex] };
    }
    if (map instanceof CpuMap) return { kind: 'queue', description: `cpumap ${map.spec.name}[${t.key}]`, push: (f) => map.enqueue(t.key, f) };
    if (map instanceof XskMap) {
      const sock = map.get(t.key);
      return sock && { kind: 'queue', description: `xsk ${map.spec.name}[${t.key}]`, push: (f) => sock.receive(f) };
    }
    return undefined;
  }
}
