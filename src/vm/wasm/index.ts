import { VmFault, type VmFaultKind } from '../../errors/index.js';
import { MAX_CALL_DEPTH, MAX_TAIL_CALLS, STACK_SIZE } from '../../isa/opcodes.js';
import { instructionSite, type EngineOptions, type Executable, type ExecutableSpec, type ExecutionEngine } from '../engine.js';
import { runHelperFn, type ArgIndex, type HelperCall, type HelperResult, type HelperSpec } from '../helper.js';
import { decodeCode, type Code } from '../interp/code.js';
import { legacyPacketLoad, NO_LEGACY_PACKET } from '../legacy-load.js';
import type { RunState } from '../run-state.js';
import { FaultCode, Scratch } from './abi.js';
import { compileProgramModule } from './cached-compile.js';
import { replacementGlobals, type CodegenLayout } from './codegen.js';
import { compileDriver, type BatchExport } from './driver.js';
import {
  compileGraph,
  DEFAULT_GRAPH_AFTER_PER_INSN,
  graphNamespace,
  MAX_GRAPH_INSNS,
  MAX_GRAPH_NODES,
  MAX_GRAPHS,
  reachableNodes,
  type EntryPlan,
  type GraphUnit,
} from './graph.js';
import { Cursor, type BatchDriver, type BatchHooks, type BatchLayout, type BatchRequest } from '../batch.js';

const TWO32 = 4294967296;

/** Thrown by the host when a legacy packet load is out of bounds: the program ends with r0 = 0. */
const LEGACY_EXIT = Symbol('legacy packet load out of bounds');
const MAX_CELL = 0x7fffffff;
/** Packets per call into a batch driver's wasm (see BatchDriver.run). */
const CALL_PACKETS = 65536;

interface WasmExports {
  run32(r1: number): number;
  [name: string]: unknown;
}

/** A compiled program with what the host side of its imports needs. */
interface Compiled {
  exe: Executable;
  code: Code;
  /** Filled by `instantiate`, which `ready` calls before the first use. */
  entry: Map<number, (depth: number) => void>;
  /**
   * Per function entry: the freplace globals (replaced, replacement's table index, its counter),
   * imported by every module holding the program (its own, and batch graphs).
   */
  flags: Map<number, { on: WebAssembly.Global; index: WebAssembly.Global; counter: WebAssembly.Global }>;
  /** The module's f0 (after `instantiate`) and, once it replaces a function somewhere, its index in `fns`. */
  f0?: (...args: unknown[]) => unknown;
  fnIndex?: number;
  replacements: Map<number, Compiled>;
  instantiate(): void;
}

/** The program's module, built and instantiated on first use (loading never pays for code it does not run). */
function ready(c: Compiled): Compiled {
  if (c.entry.size === 0) c.instantiate();
  return c;
}

/** Reusable per-nesting-level helper call state (a bpf_loop callback calls helpers one level deeper). */
interface Level {
  at: { c: Compiled; pc: number; depth: number };
  call: HelperCall;
}

/**
 * The WebAssembly engine: each program becomes one wasm module (src/vm/wasm/codegen.ts) that
 * shares the address space's memory, so packets, maps, stacks and globals are where the
 * interpreter has them and a fault is reported exactly as the interpreter reports it. Helpers,
 * freplace targets, callx and tail calls go through the host; everything else runs in wasm.
 */
export function createWasmEngine(opts: EngineOptions): ExecutionEngine {
  const { space, registry } = opts;
  const graphAfter = opts.graphAfterPackets;
  const stack = space.alloc(MAX_CALL_DEPTH * STACK_SIZE, 'stack');
  const scratch = space.allocPrivate(Scratch.size, 'wasm scratch');
  const layout: CodegenLayout = { scratch, stackTop: stack.addr + stack.size, limit: space.limit };
  /**
   * Scratch cells as i32 (budget, arguments, r0). Memory only grows between runs, so the view
   * is renewed when a run starts (`enter`) and used directly while it lasts.
   */
  let words = new Int32Array(space.memory.buffer);
  const budgetIndex = (scratch + Scratch.budget) >>> 2;
  const argsIndex = (scratch + Scratch.args) >>> 2;
  const r0Index = (scratch + Scratch.r0) >>> 2;
  const directIndex = (scratch + Scratch.direct) >>> 2;
  const ctxIndex = (scratch + Scratch.ctx) >>> 2;
  /** Replacements' f0 (freplace targets), for direct calls into them; `wire` adds each on first use. */
  const fns = new WebAssembly.Table({ element: 'anyfunc', initial: 1 });
  const tailCountIndex = (scratch + Scratch.tailCount) >>> 2;
  /**
   * Programs' f0 by batch node (src/vm/batch.ts), for the driver and compiled tail calls. Filled
   * when a node's program is compiled, which a direct run does for all first.
   */
  const f0ByNode = new WebAssembly.Table({ element: 'anyfunc', initial: 16 });
  const pendingNodes = new Map<number, Compiled>();
  const readyNodes = (): void => {
    for (const [node, c] of pendingNodes) {
      ready(c);
      f0ByNode.set(node, c.f0!);
    }
    pendingNodes.clear();
  };
  /**
   * A run starts: its state, a fresh view, its tail-call count, and whether calls into other
   * programs may go straight there (see Scratch.direct; such runs compile every bound node first).
   */
  const enter = (s: RunState): void => {
    state = s;
    level = 0;
    const w = cells();
    w[tailCountIndex] = s.tailCalls;
    const direct = s.countsOnly || !s.onEnter;
    if (direct && pendingNodes.size > 0) readyNodes();
    w[directIndex] = direct ? 1 : 0;
  };
  /** The run's tail calls so far (the batch driver starts each program's run at 0). */
  const tailCalls = (): number => words[tailCountIndex];
  // Growth detaches the old buffer, which leaves the view empty.
  const cells = (): Int32Array => (words.length === 0 ? (words = new Int32Array(space.memory.buffer)) : words);
  const budget = {
    get value(): number {
      return cells()[budgetIndex];
    },
    set value(v: number) {
      cells()[budgetIndex] = v;
    },
  };
  const byUid = new Map<number, Compiled>();
  /** Bumped by every change a batch graph is built from (bindings, successors, links), so entries plan theirs again. */
  let graphGeneration = 0;
  let state: RunState = undefined!;
  const levels: Level[] = [];
  let level = 0;

  const fail = (c: Compiled, pc: number, kind: VmFaultKind, message: string): never => {
    state.budget = budget.value;
    throw new VmFault(kind, instructionSite(c.exe.spec, pc), message);
  };
  const dv = (): DataView => space.dv;
  const readU64 = (addr: number): bigint => dv().getBigUint64(addr, true);
  const writeArg = (addr: number, v: bigint | number): void => {
    if (typeof v === 'number' && v >= 0 && v < TWO32) {
      dv().setUint32(addr, v, true);
      dv().setUint32(addr + 4, 0, true);
    } else {
      dv().setBigUint64(addr, BigInt.asUintN(64, BigInt(v)), true);
    }
  };
  const writeResult = (r: HelperResult): void => {
    if (typeof r === 'number' && (r | 0) === r) {
      words[r0Index] = r;
      words[r0Index + 1] = r >> 31;
    } else if (typeof r === 'number' && Number.isInteger(r) && r >= -(2 ** 53) && r <= 2 ** 53) {
      dv().setInt32(scratch + Scratch.r0, (r % TWO32) | 0, true);
      dv().setInt32(scratch + Scratch.r0 + 4, Math.floor(r / TWO32) | 0, true);
    } else {
      dv().setBigUint64(scratch + Scratch.r0, BigInt.asUintN(64, typeof r === 'bigint' ? r : BigInt(r)), true);
    }
  };

  /** A call from `from` into another program's function: the tracker's hooks around it. */
  const crossCall = (from: Compiled, to: Compiled, slot: number, depth: number): void => {
    state.onEnter?.(to.exe, 'call');
    ready(to).entry.get(slot)!(depth);
    if (state.onReturn) state.onReturn(from.exe, to.exe, readU64(scratch + Scratch.r0));
  };

  // A helper reads its arguments where wasm stored them; a callback it makes saves and restores them.
  const argLo = (i: ArgIndex): number => words[argsIndex + 2 * (i - 1)];
  const argHi = (i: ArgIndex): number => words[argsIndex + 2 * (i - 1) + 1];
  const makeLevel = (): Level => {
    const at = { c: undefined! as Compiled, pc: 0, depth: 0 };
    const call: HelperCall = {
      space,
      get state(): RunState {
        return state;
      },
      get exe(): Executable {
        return at.c.exe;
      },
      get insn(): number {
        return at.pc;
      },
      lo: (i: ArgIndex) => argLo(i) >>> 0,
      hi: (i: ArgIndex) => argHi(i) >>> 0,
      u64: (i: ArgIndex) => (BigInt(argHi(i) >>> 0) << 32n) | BigInt(argLo(i) >>> 0),
      addr(i: ArgIndex): number {
        if (argHi(i) !== 0) this.fault(`argument ${i} (0x${this.u64(i).toString(16)}) is not an address`);
        return argLo(i) >>> 0;
      },
      callFunction(addr: bigint | number, args: readonly (bigint | number)[]): bigint {
        const target = registry.resolve(addr);
        if (!target) this.fault(`callback 0x${BigInt(addr).toString(16)} is not the address of a function`);
        const { c, pc, depth } = at;
        if (depth + 1 > MAX_CALL_DEPTH) fail(c, pc, 'call-depth', `callback would be frame ${depth + 1}; at most ${MAX_CALL_DEPTH} frames`);
        const callee = compiledOf(target!.exe);
        const saved = words.slice(argsIndex, argsIndex + 10);
        for (let k = 0; k < 5; k++) writeArg(scratch + Scratch.args + k * 8, args[k] ?? 0);
        try {
          callee.entry.get(target!.slot)!(depth + 1);
        } catch (e) {
          // A legacy load past the end ends the callback (its execution), as in the interpreter.
          if (e !== LEGACY_EXIT) throw e;
          writeResult(0);
        } finally {
          words.set(saved, argsIndex);
          Object.assign(at, { c, pc, depth });
        }
        return readU64(scratch + Scratch.r0);
      },
      fault(message: string): never {
        const name = at.c.code.helpers[at.pc]?.name ?? 'helper';
        return fail(at.c, at.pc, 'helper', `${name}: ${message}`);
      },
    };
    return { at, call };
  };

  const registered = (exe: Executable): Compiled => {
    const c = byUid.get(exe.uid);
    if (!c) throw new Error(`executable ${exe.spec.name} (uid ${exe.uid}) was not compiled by this wasm engine`);
    return c;
  };
  const compiledOf = (exe: Executable): Compiled => ready(registered(exe));

  /** A helper call from `c` at `pc`: arguments in scratch, r0 left there; 1 when a tail call ran instead. */
  const runHelper = (c: Compiled, h: HelperSpec, pc: number, depth: number, allowTail = true): number => {
    const l = levels[++level] ?? (levels[level] = makeLevel());
    l.at.c = c;
    l.at.pc = pc;
    l.at.depth = depth;
    if (allowTail && h.tailCall !== undefined && tailCall(h, l, depth)) return 1;
    // A fault throws past the `level--`: every outermost run starts again at level 0.
    const r = runHelperFn(h, l.call);
    level--;
    writeResult(r);
    return 0;
  };

  /** bpf_tail_call: when the target resolves, run it in this frame; r0 is then its result. */
  const tailCall = (h: HelperSpec, l: Level, depth: number): boolean => {
    state.tailCalls = tailCalls();
    const target = h.tailCall!(l.call);
    if (!target || state.tailCalls >= MAX_TAIL_CALLS) return false;
    words[tailCountIndex] = ++state.tailCalls;
    state.onEnter?.(target, 'tail-call');
    const t = compiledOf(target);
    // The target starts with the caller's r1 (still in place) and r2..r5 zero.
    words.fill(0, argsIndex + 2, argsIndex + 10);
    level--;
    t.entry.get(0)!(depth);
    return true;
  };

  /** Point an instantiated module's call at `slot` to its replacement (compiled now), or back to its own code. */
  const wire = (c: Compiled, slot: number): void => {
    graphGeneration++;
    const f = c.flags.get(slot)!;
    const r = c.replacements.get(slot);
    if (r) {
      ready(r);
      // Only replacements enter the table: every module importing it is updated on each change.
      if (r.fnIndex === undefined) {
        r.fnIndex = fns.length;
        fns.grow(1);
        fns.set(r.fnIndex, r.f0!);
      }
      f.index.value = r.fnIndex;
      f.counter.value = r.exe.spec.runCounter ?? scratch + Scratch.spareCounter;
    }
    f.on.value = r ? 1 : 0;
  };

  /** What a program's module imports from its namespace: host functions bound to it, and its freplace globals. */
  const programImports = (c: Compiled): WebAssembly.ModuleImports => {
    const globals: Record<string, WebAssembly.Global> = {};
    for (const [slot, f] of c.flags) {
      const [on, index, counter] = replacementGlobals(slot);
      Object.assign(globals, { [on]: f.on, [index]: f.index, [counter]: f.counter });
    }
    return {
      ...globals,
      fault(code: number, pc: number, x: number, y: number, z: number): void {
        if (code === FaultCode.budget)
          fail(c, pc, 'budget', `instruction budget of ${state.initialBudget} exhausted (a loop that never ends?); raise it with --budget`);
        if (code === FaultCode.callDepth) fail(c, pc, 'call-depth', `call would be frame ${x}; at most ${MAX_CALL_DEPTH} frames (the kernel's limit)`);
        const size = z & 0xff;
        const write = (z & 0x100) !== 0;
        const a = x >>> 0;
        if (y !== 0 || a >= space.limit)
          fail(
            c,
            pc,
            'out-of-bounds',
            `${write ? 'write' : 'read'} of ${size} bytes at 0x${((BigInt(y >>> 0) << 32n) | BigInt(a)).toString(16)}: not an address of any region`,
          );
        // The first access to a chunk of a large region: marked now, the access goes on.
        if (space.materialize(a) && space.accessible(a, size, write)) return;
        if (write && space.accessible(a, size, false)) fail(c, pc, 'read-only', `write of ${size} bytes: ${space.describe(a, size)}, which is read-only`);
        fail(c, pc, 'out-of-bounds', `${write ? 'write' : 'read'} of ${size} bytes: ${space.describe(a, size)}`);
      },
      helper(pc: number, depth: number): number {
        return runHelper(c, c.code.helpers[pc]!, pc, depth);
      },
      callReplaced(slot: number, depth: number): void {
        const r = c.replacements.get(slot)!;
        crossCall(c, r, 0, depth + 1);
      },
      callx(pc: number, depth: number): number {
        const lo = dv().getUint32(scratch + Scratch.target, true);
        const hi = dv().getUint32(scratch + Scratch.target + 4, true);
        const addr = hi * TWO32 + lo;
        const target = hi < 0x200000 ? registry.resolve(addr) : undefined;
        if (target) {
          if (depth + 1 > MAX_CALL_DEPTH) fail(c, pc, 'call-depth', `call would be frame ${depth + 1}; at most ${MAX_CALL_DEPTH} frames (the kernel's limit)`);
          const t = compiledOf(target.exe);
          const r = t.replacements.get(target.slot);
          if (r) crossCall(c, r, 0, depth + 1);
          else if (t !== c) crossCall(c, t, target.slot, depth + 1);
          else t.entry.get(target.slot)!(depth + 1);
          return 0;
        }
        const h = c.exe.spec.callxHelperIds && hi === 0 ? c.exe.spec.helpers.get(lo) : undefined;
        if (!h)
          fail(
            c,
            pc,
            'bad-call',
            `callx through r${c.code.dst[pc]} = 0x${((BigInt(hi) << 32n) | BigInt(lo)).toString(16)}, which is not the address of a function`,
          );
        // A helper reached through callx (conformance convention): called, never a tail call.
        runHelper(c, h!, pc, depth, false);
        return 1;
      },
      ldabs(pc: number, index: number): number {
        const v = legacyPacketLoad(space, state, c.code.op[pc], c.code.imm[pc], index);
        if (v === null) fail(c, pc, 'bad-instruction', NO_LEGACY_PACKET);
        if (v === undefined) throw LEGACY_EXIT;
        dv().setUint32(scratch + Scratch.r0, v! >>> 0, true);
        dv().setUint32(scratch + Scratch.r0 + 4, 0, true);
        return 0;
      },
    };
  };
  const imports = (c: Compiled): WebAssembly.Imports => ({ env: { memory: space.memory, fns, f0ByNode, ...programImports(c) } });

  const runFrom = (s: RunState, body: () => void): void => {
    enter(s);
    const extra = s.budget > MAX_CELL ? s.budget - MAX_CELL : 0;
    budget.value = s.budget - extra;
    try {
      body();
    } catch (e) {
      if (e !== LEGACY_EXIT) throw e;
      writeResult(0);
    } finally {
      s.budget = budget.value + extra;
      s.tailCalls = tailCalls();
    }
  };

  /** Add `c` to a graph's units, with the replacements it is wired to (and theirs) as units too. */
  const addUnit = (units: Map<number, GraphUnit & { c: Compiled }>, c: Compiled): GraphUnit => {
    const ns = graphNamespace(c.exe.uid);
    const have = units.get(c.exe.uid);
    if (have) return have;
    const replacements = new Map<number, { ns: string; index: number }>();
    const unit = { ns, code: c.code, replacements, c };
    units.set(c.exe.uid, unit);
    for (const [slot, r] of c.replacements) {
      if (r.fnIndex !== undefined && c.flags.get(slot)?.on.value) replacements.set(slot, { ns: addUnit(units, r).ns, index: r.fnIndex });
    }
    return unit;
  };

  /** The XDP NAPI-style loop: see src/vm/wasm/driver.ts. */
  const batchDriver = (batchLayout: BatchLayout): BatchDriver => {
    layout.counters = batchLayout.counters;
    let hooks: BatchHooks | undefined;
    const driverImports = {
      env: {
        memory: space.memory,
        f0ByNode,
        enter: (node: number) => hooks!.enter(node),
        leave: (r: number) => hooks!.leave(r >>> 0),
      },
    };
    // Built on the first batch, like programs: commands that never run packets never compile it.
    let batch: BatchExport | undefined;
    const driver = (): BatchExport => {
      batch ??= new WebAssembly.Instance(new WebAssembly.Module(compileDriver(batchLayout, scratch) as Uint8Array<ArrayBuffer>), driverImports).exports
        .batch as BatchExport;
      return batch;
    };
    const bound = new Map<number, Compiled>();
    /** Batch graphs by their nodes, programs, successors and links ("node:ns:row,…,ns:slot=ns,…"). */
    const graphs = new Map<string, { batch: BatchExport; uids: ReadonlySet<number> }>();
    /**
     * Per entry: packets run so far, and the plan made at `generation`: its graph once compiled,
     * else the packets after which to compile one (Infinity: none can be).
     */
    const entries = new Map<number, EntryPlan>();
    /** The driver for packets from `entry`: its graph's own module once the entry is hot (undefined: the shared one). */
    const graphFor = (entry: number, count: number): BatchExport | undefined => {
      let e = entries.get(entry);
      if (!e) entries.set(entry, (e = { packets: 0, generation: -1, threshold: 0 }));
      e.packets += count;
      // Planning reads the graph from memory: only when it may have changed or the entry turned hot.
      if (e.generation !== graphGeneration || (!e.graph && e.packets >= e.threshold)) plan(entry, e);
      return e.graph;
    };
    const plan = (entry: number, e: EntryPlan): void => {
      e.generation = graphGeneration;
      e.graph = undefined;
      e.threshold = Infinity;
      const rows = reachableNodes(space.dv, batchLayout, entry, (n) => bound.has(n), MAX_GRAPH_NODES);
      if (!rows) return;
      const units = new Map<number, GraphUnit & { c: Compiled }>();
      for (const r of rows) addUnit(units, bound.get(r.node)!);
      const insns = [...units.values()].reduce((n, u) => n + u.code.op.length, 0);
      if (insns > MAX_GRAPH_INSNS) return;
      e.threshold = graphAfter ?? DEFAULT_GRAPH_AFTER_PER_INSN * insns;
      if (e.packets < e.threshold) return;
      const nodes = rows.map((r) => ({ ...r, ns: graphNamespace(bound.get(r.node)!.exe.uid) }));
      const key = [
        ...nodes.map((n) => `${n.node}:${n.ns}:${n.successors.join('.')}`),
        ...[...units.values()].map((u) => `${u.ns}:${[...u.replacements].map(([slot, r]) => `${slot}=${r.ns}`).join('.')}`),
      ].join(',');
      let g = graphs.get(key)?.batch;
      if (!g) {
        const binary = compileGraph([...units.values()], nodes, layout, batchLayout);
        const graphImports: WebAssembly.Imports = { env: { ...driverImports.env, fns } };
        for (const u of units.values()) graphImports[u.ns] = programImports(u.c);
        g = new WebAssembly.Instance(new WebAssembly.Module(binary as Uint8Array<ArrayBuffer>), graphImports).exports.batch as BatchExport;
        // Graphs of chains since changed are dropped wholesale.
        if (graphs.size >= MAX_GRAPHS) graphs.clear();
        graphs.set(key, { batch: g, uids: new Set(units.keys()) });
      }
      e.graph = g;
    };
    return {
      maxBudget: MAX_CELL,
      bind(node: number, exe: Executable | null): void {
        if (node >= f0ByNode.length) f0ByNode.grow(Math.max(node + 1 - f0ByNode.length, f0ByNode.length));
        f0ByNode.set(node, null);
        pendingNodes.delete(node);
        // A node's new program starts cold, and graphs holding the old one go with it.
        const old = bound.get(node)?.exe.uid;
        for (const [key, g] of graphs) if (old !== undefined && g.uids.has(old)) graphs.delete(key);
        bound.delete(node);
        entries.delete(node);
        graphGeneration++;
        if (exe) {
          pendingNodes.set(node, registered(exe));
          bound.set(node, registered(exe));
        }
      },
      successorsChanged(): void {
        graphGeneration++;
      },
      prepare(entry: number, count: number): void {
        readyNodes();
        driver();
        let e = entries.get(entry);
        if (!e) entries.set(entry, (e = { packets: 0, generation: -1, threshold: 0 }));
        // Plan as the run would, without counting its packets twice.
        if (e.generation !== graphGeneration || (!e.graph && e.packets + count >= e.threshold)) {
          e.packets += count;
          plan(entry, e);
          e.packets -= count;
        }
      },
      run(req: BatchRequest): void {
        // Nodes first: a graph compiles in the replacements their instantiation wires.
        readyNodes();
        const graph = graphFor(req.entry, req.count - req.from);
        const shared = driver();
        enter(req.state);
        hooks = req.hooks;
        const call = (batch: BatchExport, from: number, to: number, resume: number): void =>
          batch(
            req.entry,
            req.ctxList,
            req.ctxStride,
            req.results,
            req.resultStride,
            from,
            to,
            Math.min(req.state.initialBudget, MAX_CELL),
            req.hooks ? 1 : 0,
            resume,
          );
        let from = req.from;
        let resume = false;
        for (;;) {
          try {
            // The shared driver finishes a resumed packet (a graph module cannot start mid-chain).
            if (resume) call(shared, from, ++from, 1);
            // In parts, so a long run moves to V8's optimised code once it is ready (calls, not loops, switch tiers).
            for (let to = from; from < req.count; from = to) {
              to = Math.min(from + CALL_PACKETS, req.count);
              call(graph ?? shared, from, to, 0);
            }
            return;
          } catch (e) {
            if (e !== LEGACY_EXIT) throw e;
            // A legacy load past the end: that program returned 0; its packet goes on from there.
            from = cells()[(batchLayout.cursor >>> 2) + Cursor.packet];
            resume = true;
            level = 0;
          }
        }
      },
    };
  };

  return {
    name: 'wasm',
    batchDriver,
    compile(spec: ExecutableSpec): Executable {
      const uid = registry.allocateUid();
      // Decoding checks the program (helpers, kfuncs, ld_imm64) at load; wasm is built on first run.
      const code = decodeCode(uid, spec);
      let run32: (r1: number) => number = (r1) => {
        ready(compiled);
        return run32(r1);
      };
      const exe: Executable = {
        uid,
        engine: 'wasm',
        spec,
        run(s: RunState, r1: bigint | number, r2: bigint | number = 0): bigint {
          // A generic run: r1 need not be an XDP context, so the frame helpers go through the host.
          cells()[ctxIndex] = 0;
          writeArg(scratch + Scratch.args, r1);
          writeArg(scratch + Scratch.args + 8, r2);
          for (let k = 2; k < 5; k++) writeArg(scratch + Scratch.args + k * 8, 0);
          runFrom(s, () => ready(compiled).entry.get(0)!(1));
          return readU64(scratch + Scratch.r0);
        },
        runU32(s: RunState, r1: number): number {
          enter(s);
          words[ctxIndex] = r1;
          // The cell is an i32; a larger budget keeps its excess aside.
          const b = s.budget;
          const extra = b > MAX_CELL ? b - MAX_CELL : 0;
          cells()[budgetIndex] = b - extra;
          try {
            return run32(r1) >>> 0;
          } catch (e) {
            if (e === LEGACY_EXIT) return 0;
            throw e;
          } finally {
            s.budget = cells()[budgetIndex] + extra;
            s.tailCalls = tailCalls();
          }
        },
        prepare(): void {
          ready(compiled);
        },
        replaceFunction(slot: number, replacement: Executable | null): void {
          if (!spec.program.functionEntries.includes(slot)) throw new Error(`slot ${slot} of ${spec.name} is not a function entry`);
          if (replacement) compiled.replacements.set(slot, registered(replacement));
          else compiled.replacements.delete(slot);
          if (compiled.entry.size > 0) wire(compiled, slot);
        },
      };
      const global = (): WebAssembly.Global => new WebAssembly.Global({ value: 'i32', mutable: true }, 0);
      const flags = new Map(spec.program.functionEntries.map((e) => [e, { on: global(), index: global(), counter: global() }]));
      const compiled: Compiled = {
        exe,
        code,
        entry: new Map(),
        flags,
        replacements: new Map(),
        instantiate(): void {
          const { module, entries } = compileProgramModule(code, layout, opts.moduleStore);
          const instance = new WebAssembly.Instance(module, imports(compiled));
          const exports = instance.exports as unknown as WasmExports;
          for (const e of entries) compiled.entry.set(e, exports[`e${e}`] as (depth: number) => void);
          run32 = exports.run32;
          compiled.f0 = exports.f0 as (...args: unknown[]) => unknown;
          for (const e of entries) wire(compiled, e);
        },
      };
      byUid.set(uid, compiled);
      registry.register(exe);
      return exe;
    },
  };
}
