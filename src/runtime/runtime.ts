import { availableParallelism } from 'node:os';
import { XdpchainError } from '../errors/index.js';
import { ConntrackTable } from '../conntrack/table.js';
import { nfConnLayout, type NfConnLayout } from '../conntrack/layout.js';
import { jiffies64, KERNEL_HZ, seededRandom, systemClock, type Clock, type HelperServices, type TraceLine } from '../helpers/services.js';
import { xdpHelperTable, xdpKfuncTable } from '../helpers/table.js';
import type { KfuncTable } from '../helpers/kfunc.js';
import { SyncookieSecret } from '../helpers/syncookie.js';
import { createMap } from '../maps/create.js';
import { ArrayMap } from '../maps/array.js';
import { HashMap } from '../maps/hash.js';
import { CpuMap } from '../maps/cpumap.js';
import { DevMap } from '../maps/devmap.js';
import type { BpfMap, MapObjects } from '../maps/map.js';
import { LpmTrieMap } from '../maps/lpm-trie.js';
import { MapInMap } from '../maps/map-in-map.js';
import { PerfEventArrayMap } from '../maps/perf-event-array.js';
import { ProgArrayMap } from '../maps/prog-array.js';
import { RingBufMap } from '../maps/ringbuf.js';
import { MapRegistry } from '../maps/registry.js';
import { XskMap } from '../maps/xskmap.js';
import type { CollectionSpec } from '../object-spec/collection-spec.js';
import type { ProgramSpec } from '../object-spec/program-spec.js';
import { AddressSpace } from '../vm/address-space.js';
import { CodeRegistry, type EngineName, type Executable, type ExecutionEngine } from '../vm/engine.js';
import type { HelperTable } from '../vm/helper.js';
import type { ModuleStore } from '../vm/module-store.js';
import { DEFAULT_ENGINE, engineFactory, GRAPH_AFTER_PACKETS } from '../vm/engines.js';
import { BPF_F_EXCLUDE_INGRESS, BPF_F_BROADCAST, redirectLayout } from '../helpers/redirect.js';
import type { RedirectTarget } from '../xdp/buffer.js';
import { XDP_CONTEXT_LAYOUT } from '../xdp/constants.js';
import { Fabric, type RedirectDestination } from '../xdp/fabric.js';
import type { Netdev } from '../xdp/netdev.js';
import { xdpTestRun, type XdpTestRunInput, type XdpTestRunOutput } from '../xdp/test-run.js';
import { XdpAttachments } from './attach.js';
import { ChainTable } from './chain.js';
import { XdpDispatchers } from './dispatcher.js';
import { XdpMprogs } from './mprog.js';
import { Collection } from './collection.js';
import { XdpExecutor } from './execute.js';
import { ProgramNodes } from './nodes.js';
import { ObserverSet, type RunObserver } from './observers.js';
import { TraceLog } from './trace-log.js';
import { checkReplacement } from './freplace.js';
import { LinkRegistry, type Link } from './link.js';
import { Program } from './program.js';
import { kconfigData } from './kconfig.js';
import { checkHelpers, resolveReferences, sourceLocator } from './resolve.js';
import { deviceBinding } from './dev-bound.js';
import { BPF_F_XDP_DEV_BOUND_ONLY } from '../elf/programs.js';
import { selectPrograms } from './select.js';
import { sizedAsLibbpfDoes } from '../object-spec/edit.js';
import { relocateProgram, withPoisonHelper } from './core-relocate.js';
import { defaultKernelBtf } from '../btf/bundled.js';
import type { Btf } from '../btf/types.js';
import { programTag } from './tag.js';

export interface LoadOptions {
  /**
   * Load only these programs (the maps are all created, as libbpf creates them). Default: every
   * XDP program, and every freplace program with a target; the others are skipped with a reason
   * (`Collection.skipped`).
   */
  programs?: readonly string[];
  /** Ids to give programs and maps (restoring a saved state). */
  programIds?: ReadonlyMap<string, number>;
  mapIds?: ReadonlyMap<string, number>;
  /** For freplace programs: the loaded program (and function) each one replaces. */
  extensionTargets?: ReadonlyMap<string, { program: Program; function?: string }>;
  /** BTF to apply CO-RE relocations against (see RuntimeOptions.kernelBtf). */
  kernelBtf?: Btf;
  /**
   * Bind every XDP program loaded to the device with this ifindex, as a loader does with
   * bpf_program__set_ifindex and BPF_F_XDP_DEV_BOUND_ONLY (ProgramSpec.ifindex and flags, per
   * program, do the same).
   */
  bindTo?: number;
}

export interface RuntimeOptions {
  engine?: EngineName;
  /** Packets an entry program runs before the engine compiles its chain into one unit (EngineOptions.graphAfterPackets). */
  graphAfterPackets?: number;
  /**
   * Most bytes of memory for maps, packets and stacks (the CLI's --max-memory). Default and most:
   * MAX_DATA_BYTES (3.75 GiB, what a 4 GiB wasm32 memory leaves beside its shadow table); pages
   * no map or packet has touched cost no memory, so a lower limit only refuses sooner.
   */
  maxDataBytes?: number;
  /** Possible CPUs (per-CPU maps hold one value each); default: this machine's. */
  possibleCpus?: number;
  /**
   * Keep each program's runTimeNs (default true). Off, only run counts are kept, like the kernel
   * with kernel.bpf_stats_enabled=0: timing reads a clock at every switch between programs.
   */
  statsTiming?: boolean;
  /** The CPU programs run on (bpf_get_smp_processor_id, per-CPU maps); default 0. */
  cpu?: number;
  clock?: Clock;
  random?: () => number;
  /** bpf_trace_printk output; default: kept in `traceLines` (the last 10000). */
  trace?: (line: TraceLine) => void;
  /** Values for `extern ... __kconfig` variables (LINUX_KERNEL_VERSION etc. have defaults). */
  kconfig?: Record<string, bigint | number>;
  /**
   * The kernel BTF programs' CO-RE relocations are applied against (readBtfFile gives one);
   * default /sys/kernel/btf/vmlinux where it exists, else the bundled BTF (defaultKernelBtf).
   */
  kernelBtf?: Btf;
  /**
   * The conntrack table: most entries (nf_conntrack_max; default DEFAULT_CONNTRACK_MAX), and the
   * layout of struct nf_conn (default: from the kernel BTF programs are relocated against).
   */
  conntrack?: { max?: number; layout?: NfConnLayout };
  /**
   * Where the wasm engine keeps the modules it generates, so a later runtime (another process)
   * loading the same program with the same maps skips code generation: moduleCache() from the
   * package gives the on-disk one the CLI uses. Default none: a library does not write under the
   * user's home unasked.
   */
  moduleCache?: ModuleStore;
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
  /** The connection tracking table programs reach through the conntrack kfuncs. */
  readonly conntrack: ConntrackTable;
  /** The keys the SYN cookie helpers make cookies with, drawn from `random` on first use. */
  readonly syncookies: SyncookieSecret;
  readonly services: HelperServices;
  readonly helpers: HelperTable;
  /** Kernel functions (`__ksym`) programs may call, by name. */
  readonly kfuncs: KfuncTable;
  readonly engine: ExecutionEngine;
  private readonly traceLog = new TraceLog();
  readonly chains = new ChainTable((prev, slots) =>
    this.nodes.setSuccessors(
      prev.node,
      slots.map((s) => s?.node),
    ),
  );
  readonly nodes: ProgramNodes;
  readonly statsTiming: boolean;
  /** bpf_trace_printk's lines kept when no `trace` option is given: the last 10000, oldest first. */
  get traceLines(): TraceLine[] {
    return this.traceLog.lines();
  }
  readonly links = new LinkRegistry();
  readonly executor: XdpExecutor;
  readonly xdp: XdpAttachments;
  readonly dispatchers: XdpDispatchers;
  readonly mprogs: XdpMprogs;
  /** The CPU programs run on; kept in a private memory cell too, for code that reads it inline. */
  get cpu(): number {
    return this.currentCpu;
  }
  set cpu(cpu: number) {
    this.currentCpu = cpu;
    this.space.dv.setUint32(this.cpuCell, cpu, true);
  }
  private currentCpu = 0;
  private readonly cpuCell: number;
  private captures: ObserverSet | undefined;
  readonly kconfig: Record<string, bigint | number>;
  private readonly kernelBtf: Btf | undefined;
  private readonly programsById = new Map<number, Program>();
  private readonly programsByUid = new Map<number, Program>();
  private readonly programsByNode = new Map<number, Program>();
  /** Executors for test-runs with their own instruction budget, by budget. */
  private readonly budgetExecutors = new Map<number, XdpExecutor>();
  /** freplace programs and the target each one holds. */
  private readonly extensionTargets = new Map<Program, { program: Program; slot: number; function: string }>();
  private nextProgramId = 1;

  constructor(opts: RuntimeOptions = {}) {
    this.space = new AddressSpace({ maxDataBytes: opts.maxDataBytes });
    this.cpuCell = this.space.allocPrivate(4, 'running CPU');
    this.cpu = opts.cpu ?? 0;
    this.kconfig = opts.kconfig ?? {};
    this.kernelBtf = opts.kernelBtf;
    this.fabric = new Fabric(this.space, { resolve: (t, ingress) => this.resolveRedirect(t, ingress) });
    const possibleCpus = opts.possibleCpus ?? availableParallelism();
    const random = opts.random ?? seededRandom(Date.now() & 0xffffffff);
    const clock = opts.clock ?? systemClock;
    const layout = opts.conntrack?.layout;
    this.conntrack = new ConntrackTable({
      space: this.space,
      layout: () => layout ?? nfConnLayout(this.kernelBtf ?? defaultKernelBtf()),
      now: () => Number(jiffies64(clock) & 0xffffffffn),
      hz: KERNEL_HZ,
      random,
      max: opts.conntrack?.max,
    });
    this.syncookies = new SyncookieSecret(random);
    this.services = {
      space: this.space,
      clock,
      random,
      cpu: () => this.cpu,
      possibleCpus,
      trace: opts.trace ?? ((line) => this.traceLog.push(line)),
      maps: this.maps,
      network: this.fabric,
      conntrack: this.conntrack,
      syncookies: this.syncookies,
    };
    this.helpers = xdpHelperTable(this.services);
    this.kfuncs = xdpKfuncTable(this.services);
    const engineName = opts.engine ?? DEFAULT_ENGINE;
    const graphAfterPackets = opts.graphAfterPackets ?? GRAPH_AFTER_PACKETS;
    this.engine = engineFactory(engineName)({
      space: this.space,
      registry: this.code,
      ...(graphAfterPackets !== undefined ? { graphAfterPackets } : {}),
      ...(opts.moduleCache ? { moduleStore: opts.moduleCache } : {}),
    });
    this.statsTiming = opts.statsTiming ?? true;
    this.nodes = new ProgramNodes(this.space, this.engine);
    this.executor = this.newExecutor();
    this.xdp = new XdpAttachments(this.executor, this.links);
    this.dispatchers = new XdpDispatchers(this);
    this.mprogs = new XdpMprogs(this);
  }

  /** How maps find programs, maps and devices by id. */
  readonly objects: MapObjects = {
    program: (id) => this.programsById.get(id),
    map: (id) => this.maps.get(id),
    ifindexExists: (ifindex) => this.fabric.find(ifindex) !== undefined,
  };

  /** Create maps and load programs of a collection, as libbpf's bpf_object__load does. */
  loadCollection(spec: CollectionSpec, opts: LoadOptions = {}): Collection {
    const created: BpfMap[] = [];
    const loaded: Program[] = [];
    try {
      const maps = new Map<string, BpfMap>();
      for (const spec0 of spec.maps.values()) {
        const sized = sizedAsLibbpfDoes(spec0, this.services.possibleCpus);
        const ms = sized.kconfig ? { ...sized, initialData: kconfigData(sized, this.kconfig) } : sized;
        const m = createMap(
          ms,
          { space: this.space, possibleCpus: this.services.possibleCpus, registry: this.maps, objects: this.objects },
          opts.mapIds?.get(ms.name),
        );
        created.push(m);
        maps.set(ms.name, m);
      }
      const { load, skipped } = selectPrograms(spec, opts.programs, (name) => opts.extensionTargets?.has(name) ?? false);
      const programs = new Map<string, Program>();
      for (const ps0 of load) {
        const ps = opts.bindTo !== undefined && ps0.type === 'xdp' ? { ...ps0, ifindex: opts.bindTo, flags: ps0.flags | BPF_F_XDP_DEV_BOUND_ONLY } : ps0;
        const target = opts.extensionTargets?.get(ps.name);
        const p = this.loadProgram(ps, maps, {
          id: opts.programIds?.get(ps.name),
          target: target?.program,
          function: target?.function,
          kernelBtf: opts.kernelBtf,
        });
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
            m.loaderUpdate(entry.key, value);
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
      return new Collection(this, programs, maps, spec, skipped);
    } catch (e) {
      for (const p of loaded) this.unloadProgram(p);
      for (const m of created) this.closeMap(m);
      throw e;
    }
  }

  /**
   * Load one program whose maps already exist. Its CO-RE relocations are applied first (against
   * `kernelBtf`, else the runtime's, else the default), so `bpf_core_field_exists` and the like
   * are constants before anything else reads the code. An `ext` (freplace) program needs the
   * target it will replace a function of; it is type-checked against it now, as the kernel does.
   */
  loadProgram(
    spec0: ProgramSpec,
    maps: ReadonlyMap<string, BpfMap>,
    opts: { target?: Program; function?: string; id?: number; kernelBtf?: Btf } = {},
  ): Program {
    const { spec, poisoned } = relocateProgram(spec0, () => opts.kernelBtf ?? this.kernelBtf ?? defaultKernelBtf());
    const helpers = withPoisonHelper(this.helpers, poisoned);
    let target: ReturnType<typeof checkReplacement> | undefined;
    if (spec.type === 'ext') {
      if (!opts.target)
        throw new XdpchainError(
          'EINVAL',
          `program ${spec.name} (section ${spec.sectionName}) replaces a function of another program: name the target program`,
          { program: spec.name },
        );
      target = checkReplacement(spec, opts.target, opts.function ?? spec.attachTo ?? '');
    } else if (spec.type !== 'xdp') {
      throw new XdpchainError('EINVAL', `program ${spec.name} is a ${spec.type} program (section ${spec.sectionName}); xdpchain loads XDP programs`, {
        program: spec.name,
      });
    }
    const boundIfindex = deviceBinding(spec, this.fabric);
    const { program, mapIds } = resolveReferences(spec, maps, this.kfuncs, boundIfindex);
    checkHelpers(spec, program, helpers);
    for (const insn of program.slots) {
      if (insn?.kind === 'call' && insn.target === 'kfunc') this.kfuncs.spec(insn.imm)?.prepare?.();
    }
    const id = opts.id ?? this.nextProgramId;
    if (this.programsById.has(id)) throw new XdpchainError('EEXIST', `program id ${id} is taken`);
    const { node, stats, counter } = this.nodes.allocate(spec.name);
    let executable: Executable;
    try {
      executable = this.engine.compile({
        name: spec.name,
        program,
        helpers,
        kfuncs: this.kfuncs.byId,
        sourceOf: sourceLocator(spec.lineInfo),
        arrayLayout: this.layoutOf(ArrayMap, (m) => m.layout(this.cpuCell)),
        ringLayout: this.layoutOf(RingBufMap, (m) => m.ringLayout()),
        lpmLayout: this.layoutOf(LpmTrieMap, (m) => m.lpmLayout()),
        hashLayout: this.layoutOf(HashMap, (m) => m.layout(this.cpuCell)),
        tailCallLayout: this.layoutOf(ProgArrayMap, (m) => m.slotLayout()),
        redirectLayout: (handle) => redirectLayout(this.maps.byHandle(handle)),
        perfEventLayout: this.layoutOf(PerfEventArrayMap, (m) => m.slotLayout()),
        xdpContext: XDP_CONTEXT_LAYOUT,
        cpuCell: this.cpuCell,
        runCounter: counter,
      });
    } catch (e) {
      this.nodes.release(node);
      throw e;
    }
    this.nodes.bind(node, executable);
    this.nextProgramId = Math.max(this.nextProgramId, id + 1);
    const p = new Program(id, spec, executable, programTag(spec.instructions), mapIds, node, stats, boundIfindex);
    this.programsById.set(p.id, p);
    this.programsByNode.set(node, p);
    this.programsByUid.set(executable.uid, p);
    if (target) this.extensionTargets.set(p, target);
    return p;
  }

  /** What an engine may know of a map of one type, by its handle (compiled code does the map's work inline). */
  private layoutOf<M extends BpfMap, L>(type: abstract new (...args: never[]) => M, layout: (m: M) => L | undefined): (handle: number) => L | undefined {
    return (handle) => {
      const m = this.maps.byHandle(handle);
      return m instanceof type ? layout(m) : undefined;
    };
  }

  program(id: number): Program | undefined {
    return this.programsById.get(id);
  }

  /** The next program id that will be handed out. */
  get nextProgramIdValue(): number {
    return this.nextProgramId;
  }

  /** Keep ids growing across invocations even after programs are unloaded. */
  reserveProgramIdsBelow(id: number): void {
    this.nextProgramId = Math.max(this.nextProgramId, id);
  }

  programs(): Program[] {
    return [...this.programsById.values()].sort((a, b) => a.id - b.id);
  }

  /** The target an ext program was loaded against. */
  extensionTarget(ext: Program): { program: Program; slot: number; function: string } | undefined {
    return this.extensionTargets.get(ext);
  }

  /**
   * Attach a freplace program through a link: the target's function runs the replacement until
   * the link is closed. One replacement per target function at a time (EBUSY).
   */
  attachExtension(ext: Program, id?: number): Link {
    const t = this.extensionTargets.get(ext);
    if (!t) throw new XdpchainError('EINVAL', `${ext.name} (id ${ext.id}) is not a freplace program`);
    const busy = this.links.all().find((l) => l.kind === 'freplace' && l.describe().targetProgram === t.program.id && l.describe().function === t.function);
    if (busy)
      throw new XdpchainError(
        'EBUSY',
        `function ${t.function} of ${t.program.name} (id ${t.program.id}) is already replaced by ${busy.program.name} (link ${busy.id})`,
      );
    t.program.executable.replaceFunction(t.slot, ext.executable);
    return this.links.add({
      id: this.links.allocateId(id),
      kind: 'freplace',
      program: ext,
      describe: () => ({ targetProgram: t.program.id, function: t.function }),
      close: () => t.program.executable.replaceFunction(t.slot, null),
    });
  }

  /**
   * A freplace link that makes `target`'s global function `fn` run `program` (an XDP program,
   * as the dispatcher's components are): the dispatcher's way of taking its placeholders over.
   */
  replaceWith(target: Program, fn: string, program: Program, ownedBy?: string): Link {
    const info = target.spec.funcInfo.find((f) => f.name === fn);
    if (!info) throw new XdpchainError('ENOENT', `program ${target.name} (id ${target.id}) has no function ${fn}`);
    if (this.links.all().some((l) => l.kind === 'freplace' && l.describe().targetProgram === target.id && l.describe().function === fn)) {
      throw new XdpchainError('EBUSY', `function ${fn} of ${target.name} (id ${target.id}) is already replaced`);
    }
    target.executable.replaceFunction(info.slot, program.executable);
    return this.links.add({
      id: this.links.allocateId(),
      kind: 'freplace',
      program,
      ...(ownedBy ? { ownedBy } : {}),
      describe: () => ({ targetProgram: target.id, function: fn }),
      close: () => target.executable.replaceFunction(info.slot, null),
    });
  }

  /**
   * Delete a device (and its peer). Refused (EBUSY) while programs are bound to either: the kernel
   * would keep them loaded but unable to run anywhere, and a saved state could not bind them again.
   */
  deleteDevice(name: string): void {
    const dev = this.fabric.get(name);
    const gone = new Set([dev.ifindex, dev.peer?.ifindex]);
    const bound = this.programs().filter((p) => gone.has(p.boundIfindex));
    if (bound.length > 0) {
      throw new XdpchainError(
        'EBUSY',
        `${name} cannot be deleted while programs are bound to ${dev.peer ? 'it or its peer' : 'it'}: ${bound.map((p) => `${p.name} (id ${p.id})`).join(', ')}; unload them first`,
      );
    }
    this.fabric.delete(name);
  }

  /** Start capturing (xdpdump): program-level and whole-hook observers are wired only while captures exist. */
  addCapture(c: RunObserver): void {
    if (!this.captures) {
      this.captures = new ObserverSet();
      this.executor.tracker.observer = this.captures;
      this.fabric.observer = this.captures;
    }
    this.captures.add(c);
  }

  /** Who holds a program (it stays loaded while any of these exist). */
  holdersOf(p: Program): string[] {
    const out: string[] = [];
    for (const d of this.fabric.list()) if (this.xdp.programOf(d) === p) out.push(`attached to ${d.name}`);
    for (const d of this.dispatchers.devices()) if (this.dispatchers.state(d)!.components.some((c) => c.program === p)) out.push(`dispatcher of ${d.name}`);
    for (const d of this.mprogs.devices()) if (this.mprogs.hook(d)!.entries.some((e) => e.program === p)) out.push(`program list of ${d.name}`);
    for (const l of this.links.usedBy(p)) out.push(`link ${l.id}`);
    for (const r of this.chains.referrers(p)) out.push(`chain call from ${r.name} (id ${r.id})`);
    for (const [ext, t] of this.extensionTargets) if (t.program === p) out.push(`freplace program ${ext.name} (id ${ext.id})`);
    for (const m of this.maps.all())
      if (m instanceof ProgArrayMap && m.entries().some(([, v]) => v === p)) out.push(`program array ${m.spec.name} (id ${m.id})`);
    return out;
  }

  /** `prog unload`: refused (EBUSY) while something still holds the program. */
  unload(p: Program): void {
    const holders = this.holdersOf(p);
    if (holders.length > 0) throw new XdpchainError('EBUSY', `${p.name} (id ${p.id}) is in use: ${holders.join(', ')}`);
    this.unloadProgram(p);
  }

  unloadProgram(p: Program): void {
    this.programsById.delete(p.id);
    this.programsByUid.delete(p.executable.uid);
    this.extensionTargets.delete(p);
    this.chains.clear(p);
    this.code.unregister(p.executable);
    if (this.programsByNode.get(p.node) === p) {
      this.programsByNode.delete(p.node);
      this.nodes.release(p.node);
    }
  }

  closeMap(m: BpfMap): void {
    this.maps.remove(m);
    m.free();
  }

  /** BPF_PROG_TEST_RUN (chain calls followed, statistics kept). */
  testRun(p: Program, input: XdpTestRunInput): XdpTestRunOutput {
    // Like the kernel, which compiles at load, keep code generation out of the measured duration.
    for (const prog of this.programsById.values()) prog.executable.prepare?.();
    this.nodes.driver?.prepare(p.node, Math.max(1, input.repeat ?? 1));
    let executor = this.executor;
    if (input.budget !== undefined) {
      executor = this.budgetExecutors.get(input.budget) ?? this.newExecutor(input.budget);
      this.budgetExecutors.set(input.budget, executor);
    }
    return xdpTestRun(p, this.space, { devices: this.fabric, execute: (b, times) => executor.repeat(p, b, times), ...input });
  }

  private newExecutor(budget?: number): XdpExecutor {
    return new XdpExecutor(
      this.chains,
      (exe) => this.programsByUid.get(exe.uid),
      this.nodes,
      (node) => this.programsByNode.get(node)!,
      budget,
      { timing: this.statsTiming },
    );
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
