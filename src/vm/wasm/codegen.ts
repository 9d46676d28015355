import type Binaryen from 'binaryen';
import { binaryen as loadedBinaryen } from './binaryen.js';
import { MAX_CALL_DEPTH, MAX_TAIL_CALLS, STACK_SIZE } from '../../isa/opcodes.js';
import type { Code } from '../interp/code.js';
import { accessGroups, inFrame, type AccessGroup } from './access-groups.js';
import { functionBlocks, isJump, jumpTargetOf, nextSlot } from './cfg.js';
import { FaultCode, Scratch } from './abi.js';
import { decodeFunctionAddress } from '../engine.js';
import { COUNTER_BYTES } from '../batch.js';
import { GRANULE_SHIFT, OFFSET_MASK, ROOM_MASK } from '../address-space.js';
import { ERRNO } from '../../errors/errno.js';

type Expr = Binaryen.ExpressionRef;
type Module = Binaryen.Module;

/** Value types: binaryen's numbering is fixed, so they are read once the generator is loaded. */
let i32: Binaryen.Type;
let i64: Binaryen.Type;
let none: Binaryen.Type;

/** Local indices: r1..r5 and the frame depth are parameters; the rest are locals. */
const DEPTH = 5;
const R0 = 6;
const R10 = 11;
const A = 12;
const S = 13;
const T = 14;
const U = 15;
const LABEL = 16;
/** i32 locals holding whether an access group's range check passed (src/vm/wasm/access-groups.ts). */
const GROUP_FLAGS = [17, 18, 19, 20];
/** An i64 constant from its low and high 32 bits (binaryen takes a bigint). */
const k64 = (m: Module, lo: number, hi: number): Expr => m.i64.const(BigInt.asIntN(64, (BigInt(hi | 0) << 32n) | BigInt(lo >>> 0)) as unknown as number);
const regLocal = (r: number): number => (r === 0 ? R0 : r <= 5 ? r - 1 : r <= 9 ? r + 1 : R10);

export interface CodegenLayout {
  /** Private memory where arguments and results cross between wasm and the host. */
  scratch: number;
  /** Top of the engine's stack region; frame d (1-based) has r10 = stackTop - (d-1)·512. */
  stackTop: number;
  /** First address no program may touch (the address space's limit). */
  limit: number;
  /** The batch graph's run counters (src/vm/batch.ts), where a runtime keeps one: compiled tail calls count there. */
  counters?: number;
}

export interface CompiledModule {
  binary: Uint8Array;
  /**
   * Function entry slots, each exported as `e<slot>`. The module imports, per entry, the freplace
   * globals `ov<slot>` (replaced), `ovf<slot>` (the replacement's index in the `fns` table) and
   * `ovc<slot>` (its run counter) from `env`, so every module holding the program shares them.
   */
  entries: readonly number[];
}

/** The names of a program's freplace globals for function entry `slot` (see CompiledModule). */
export const replacementGlobals = (slot: number): readonly [string, string, string] => [`ov${slot}`, `ovf${slot}`, `ovc${slot}`];

/**
 * The host functions a program imports, each from its own namespace (`env` for a program alone):
 * how many i32 parameters each takes, and whether it returns an i32.
 */
const PROGRAM_IMPORTS = {
  fault: { params: 5, returns: false },
  helper: { params: 2, returns: true },
  callReplaced: { params: 2, returns: false },
  callx: { params: 2, returns: true },
  ldabs: { params: 2, returns: true },
} as const;

/**
 * A module being built: the shared memory and tables, its programs (none for the shared batch
 * driver), and the support functions (checksum, hash probe, LPM scan) their code calls, each
 * added once.
 */
export class ModuleBuilder {
  readonly m: Module;
  private readonly units: FunctionGen[] = [];

  constructor() {
    const binaryen = loadedBinaryen();
    ({ i32, i64, none } = binaryen);
    this.m = new binaryen.Module();
    this.m.setFeatures(binaryen.Features.MVP | binaryen.Features.SignExt | binaryen.Features.MutableGlobals | binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt | binaryen.Features.ReferenceTypes);
    this.m.setMemory(1, 65536, null, [], false, false, 'mem');
    this.m.addMemoryImport('mem', 'env', 'memory');
    // Replacements' f0 by the index the engine gave them, and programs' f0 by batch node.
    for (const table of ['fns', 'f0ByNode']) {
      this.m.addTable(table, 1, 0xffffffff);
      this.m.addTableImport(table, 'env', table);
    }
  }

  /**
   * Add the program's functions, named `f<slot>` (`<from>_f<slot>` with a namespace), importing its
   * host functions and freplace globals from module `from`.
   */
  addProgram(code: Code, layout: CodegenLayout, from = 'env', known: ReadonlyMap<number, KnownReplacement> = new Map()): readonly number[] {
    const binaryen = loadedBinaryen();
    const { m } = this;
    const ns = from === 'env' ? '' : `${from}_`;
    for (const [name, { params, returns }] of Object.entries(PROGRAM_IMPORTS)) {
      m.addFunctionImport(ns + name, from, name, binaryen.createType(new Array<number>(params).fill(i32)), returns ? i32 : none);
    }
    const entries = [...code.spec.program.functionEntries];
    for (const entry of entries) for (const g of replacementGlobals(entry)) m.addGlobalImport(ns + g, from, g, i32, true);
    const gen = new FunctionGen(m, code, layout, binaryen, ns, known);
    const VARS = [i64, i64, i64, i64, i64, i64, i32, i32, i64, i64, i32, ...GROUP_FLAGS.map(() => i32)];
    for (const entry of entries) m.addFunction(`${ns}f${entry}`, PROGRAM_PARAMS(), i64, VARS, gen.function(entry));
    this.units.push(gen);
    return entries;
  }

  /** Validate and emit; `name` says whose module it is in the error. */
  finish(name: string, passes: readonly string[] = []): Uint8Array {
    const { m } = this;
    // Only modules that call replacements or tail-call by node import those tables (V8 updates
    // every importer on each change).
    if (!this.units.some((u) => u.callsReplacements)) m.removeTable('fns');
    if (!this.units.some((u) => u.tailCallsByNode) && !m.getFunction('batch')) m.removeTable('f0ByNode');
    if (this.units.some((u) => u.csumPartialUsed)) compileCsumPartial(m);
    if (this.units.some((u) => u.hashFindUsed)) compileHashFind(m);
    for (const stride of new Set(this.units.flatMap((u) => [...u.lpmStrides]))) compileLpmFind(m, stride);
    if (passes.length > 0) m.runPasses([...passes]);
    if (!m.validate()) throw new Error(`wasm codegen for ${name} produced an invalid module`);
    return m.emitBinary();
  }

  dispose(): void {
    this.m.dispose();
  }
}

/** A function entry's replacement compiled into the same module: its f0, and its index in `fns` (what `ovf<slot>` holds while wired to it). */
export interface KnownReplacement {
  fn: string;
  index: number;
}

/** `(r1..r5: i64, depth: i32)`: every compiled eBPF function's parameters. */
const PROGRAM_PARAMS = (): Binaryen.Type => loadedBinaryen().createType([i64, i64, i64, i64, i64, i32]);

/**
 * Translate one eBPF program to a wasm module. Every eBPF function becomes a wasm function
 * `(r1..r5: i64, depth: i32) -> r0: i64` whose control flow the Relooper rebuilds from basic
 * blocks; r6..r10 are locals, so bpf-to-bpf calls preserve them for free. Memory accesses check
 * the shadow table inline and call the host only to report a fault; each block charges its
 * length to the shared instruction budget.
 */
export function compileToWasm(code: Code, layout: CodegenLayout): CompiledModule {
  const builder = new ModuleBuilder();
  try {
    const { m } = builder;
    const entries = builder.addProgram(code, layout);
    const sc = layout.scratch;
    for (const entry of entries) {
      const args = [1, 2, 3, 4, 5].map((r) => m.i64.load(0, 8, m.i32.const(sc + Scratch.args + (r - 1) * 8)));
      m.addFunction(`e${entry}`, loadedBinaryen().createType([i32]), none, [], m.i64.store(0, 8, m.i32.const(sc + Scratch.r0), m.call(`f${entry}`, [...args, m.local.get(0, i32)], i64)));
      m.addFunctionExport(`e${entry}`, `e${entry}`);
    }
    const zero = (): Expr => k64(m, 0, 0);
    m.addFunction('run32', loadedBinaryen().createType([i32]), i32, [], m.i32.wrap(m.call('f0', [m.i64.extend_u(m.local.get(0, i32)), zero(), zero(), zero(), zero(), m.i32.const(1)], i64)));
    m.addFunctionExport('run32', 'run32');
    m.addFunctionExport('f0', 'f0');
    // No binaryen optimisation: V8's optimising tier does as well here (measured on nat.o: the
    // same ns/packet) and compiling takes ~30 ms instead of ~300 ms.
    return { binary: builder.finish(code.spec.name), entries };
  } finally {
    builder.dispose();
  }
}

/**
 * `csum_partial(addr, len, seed) -> u32`: x86's csum_partial as src/helpers/checksum.ts defines
 * it: the sum of little-endian u32 words (a short tail zero-padded) and the seed, 0 only when all
 * are 0, otherwise the value in [1, 2^32 - 1] congruent to the sum modulo 2^32 - 1.
 */
function compileCsumPartial(m: Module): void {
  const [ADDR, LEN, SEED, SUM, I, END, TAIL] = [0, 1, 2, 3, 4, 5, 6];
  const g32 = (l: number): Expr => m.local.get(l, i32);
  const sum = (): Expr => m.local.get(SUM, i64);
  const body = m.block(null, [
    m.local.set(SUM, m.i64.extend_u(g32(SEED))),
    m.local.set(END, m.i32.add(g32(ADDR), m.i32.and(g32(LEN), m.i32.const(~3)))),
    m.local.set(I, g32(ADDR)),
    m.block('words_done', [m.loop('words', m.block(null, [
      m.br('words_done', m.i32.ge_u(g32(I), g32(END))),
      m.local.set(SUM, m.i64.add(sum(), m.i64.load32_u(0, 1, g32(I)))),
      m.local.set(I, m.i32.add(g32(I), m.i32.const(4))),
      m.br('words'),
    ], none))], none),
    m.local.set(TAIL, m.i32.const(0)),
    m.block('tail_done', [m.loop('tail', m.block(null, [
      m.br('tail_done', m.i32.ge_u(g32(I), m.i32.add(g32(ADDR), g32(LEN)))),
      m.local.set(TAIL, m.i32.or(g32(TAIL), m.i32.shl(m.i32.load8_u(0, 1, g32(I)), m.i32.shl(m.i32.sub(g32(I), g32(END)), m.i32.const(3))))),
      m.local.set(I, m.i32.add(g32(I), m.i32.const(1))),
      m.br('tail'),
    ], none))], none),
    m.local.set(SUM, m.i64.add(sum(), m.i64.extend_u(g32(TAIL)))),
    m.return(m.select(
      m.i64.ne(sum(), k64(m, 0, 0)),
      m.i32.wrap(m.i64.add(m.i64.rem_u(m.i64.sub(sum(), k64(m, 1, 0)), k64(m, -1, 0)), k64(m, 1, 0))),
      m.i32.const(0),
    )),
  ], none);
  m.addFunction('csum_partial', loadedBinaryen().createType([i32, i32, i32]), i32, [i64, i32, i32, i32], m.block(null, [body, m.unreachable()], none));
}

/**
 * `hash_find(table, mask, keys, keySize, key) -> slot + 1 | 0`: a probe of a hash map's memory
 * index (src/maps/hash-index.ts): FNV-1a of the key's bytes, then linear probing until the entry
 * whose hash and key bytes match, or an empty one.
 */
function compileHashFind(m: Module): void {
  const [TABLE, MASK, KEYS, SIZE, KEY, H, I, E, TAG, J, A2] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const g = (l: number): Expr => m.local.get(l, i32);
  const set = (l: number, v: Expr): Expr => m.local.set(l, v);
  const byteLoop = (name: string, body: Expr[]): Expr => m.block(`${name}_done`, [
    set(J, m.i32.const(0)),
    m.loop(name, m.block(null, [m.br(`${name}_done`, m.i32.ge_u(g(J), g(SIZE))), ...body, set(J, m.i32.add(g(J), m.i32.const(1))), m.br(name)], none)),
  ], none);
  const body = m.block(null, [
    set(H, m.i32.const(0x811c9dc5 | 0)),
    byteLoop('hash', [set(H, m.i32.mul(m.i32.xor(g(H), m.i32.load8_u(0, 1, m.i32.add(g(KEY), g(J)))), m.i32.const(0x01000193)))]),
    set(I, m.i32.and(g(H), g(MASK))),
    m.loop('probe', m.block(null, [
      set(E, m.i32.add(g(TABLE), m.i32.shl(g(I), m.i32.const(3)))),
      set(TAG, m.i32.load(4, 4, g(E))),
      m.if(m.i32.eqz(g(TAG)), m.return(m.i32.const(0))),
      m.if(m.i32.and(m.i32.ne(g(TAG), m.i32.const(-1)), m.i32.eq(m.i32.load(0, 4, g(E)), g(H))), m.block(null, [
        set(A2, m.i32.add(g(KEYS), m.i32.mul(m.i32.sub(g(TAG), m.i32.const(1)), g(SIZE)))),
        m.block('differs', [
          byteLoop('compare', [m.br('differs', m.i32.ne(m.i32.load8_u(0, 1, m.i32.add(g(A2), g(J))), m.i32.load8_u(0, 1, m.i32.add(g(KEY), g(J)))))]),
          m.return(g(TAG)),
        ], none),
      ], none)),
      set(I, m.i32.and(m.i32.add(g(I), m.i32.const(1)), g(MASK))),
      m.br('probe'),
    ], none)),
  ], none);
  m.addFunction('hash_find', loadedBinaryen().createType([i32, i32, i32, i32, i32]), i32, [i32, i32, i32, i32, i32, i32], m.block(null, [body, m.unreachable()], none));
}

/**
 * `lpm_find(table, key, dataBits) -> slot + 1 or 0`: the first (longest) prefix of an LpmLayout
 * table that covers the key { u32 prefix length; data }, considering prefixes no longer than the
 * key's length (capped at `dataBits`), as LpmTrieMap's trie walk finds it.
 */
function compileLpmFind(m: Module, entryStride: number): void {
  const [TABLE, KEY, BITS, MAX, N, E, L, J, REST] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const g = (l: number): Expr => m.local.get(l, i32);
  const set = (l: number, v: Expr): Expr => m.local.set(l, v);
  const k = (v: number): Expr => m.i32.const(v);
  const keyByte = (at: Expr): Expr => m.i32.load8_u(0, 1, m.i32.add(m.i32.add(g(KEY), k(4)), at));
  const entryByte = (at: Expr): Expr => m.i32.load8_u(0, 1, m.i32.add(m.i32.add(g(E), k(8)), at));
  const body = m.block(null, [
    set(MAX, m.select(m.i32.lt_u(m.i32.load(0, 4, g(KEY)), g(BITS)), m.i32.load(0, 4, g(KEY)), g(BITS))),
    set(N, m.i32.load(0, 4, g(TABLE))),
    set(E, m.i32.add(g(TABLE), k(4))),
    m.loop('entries', m.block(null, [
      m.if(m.i32.eqz(g(N)), m.return(k(0))),
      set(L, m.i32.load(0, 4, g(E))),
      m.if(m.i32.le_u(g(L), g(MAX)), m.block('differs', [
        set(J, k(0)),
        m.loop('bytes', m.block(null, [
          m.if(m.i32.lt_u(g(J), m.i32.shr_u(g(L), k(3))), m.block(null, [
            m.br('differs', m.i32.ne(keyByte(g(J)), entryByte(g(J)))),
            set(J, m.i32.add(g(J), k(1))),
            m.br('bytes'),
          ], none)),
        ], none)),
        set(REST, m.i32.and(g(L), k(7))),
        m.br('differs', m.i32.and(
          m.i32.ne(g(REST), k(0)),
          m.i32.ne(m.i32.and(m.i32.xor(keyByte(g(J)), entryByte(g(J))), m.i32.and(m.i32.shl(k(0xff), m.i32.sub(k(8), g(REST))), k(0xff))), k(0)),
        )),
        m.return(m.i32.add(m.i32.load(4, 4, g(E)), k(1))),
      ], none)),
      set(N, m.i32.sub(g(N), k(1))),
      set(E, m.i32.add(g(E), k(entryStride))),
      m.br('entries'),
    ], none)),
  ], none);
  m.addFunction(`lpm_find${entryStride}`, loadedBinaryen().createType([i32, i32, i32]), i32, [i32, i32, i32, i32, i32, i32], m.block(null, [body, m.unreachable()], none));
}

/**
 * Helpers whose calls may compile inline, by name with their ids: a call is one of them only when
 * both match (tables may give an id to another helper, as the conformance suite's does).
 */
const INLINE_HELPERS = {
  bpf_map_lookup_elem: 1,
  bpf_map_update_elem: 2,
  bpf_get_smp_processor_id: 8,
  bpf_tail_call: 12,
  bpf_redirect: 23,
  bpf_perf_event_output: 25,
  bpf_csum_diff: 28,
  bpf_redirect_map: 51,
  bpf_xdp_adjust_head: 44,
  bpf_xdp_adjust_meta: 54,
  bpf_xdp_adjust_tail: 65,
  bpf_spin_lock: 93,
  bpf_spin_unlock: 94,
  bpf_ringbuf_reserve: 131,
  bpf_ringbuf_query: 134,
  bpf_loop: 181,
  bpf_xdp_get_buff_len: 188,
  bpf_xdp_load_bytes: 189,
  bpf_xdp_store_bytes: 190,
} as const;
type InlineHelper = keyof typeof INLINE_HELPERS;
const FRAME_HELPERS = ['bpf_xdp_adjust_head', 'bpf_xdp_adjust_meta', 'bpf_xdp_adjust_tail', 'bpf_xdp_get_buff_len'] as const;
/** Map update flags (UAPI BPF_NOEXIST, BPF_F_LOCK). */
const BPF_NOEXIST = 1;
/** Ring buffer records: an 8-byte header (length with the BUSY bit, page offset), data rounded up to 8 (src/maps/ringbuf.ts). */
const RINGBUF_HEADER = 8;
const RINGBUF_BUSY = 0x80000000;
const PAGE_SHIFT = 12;
/** Most maps a lookup of an unknown map compares r1 with (each adds a copy of the inline lookup). */
const MAX_CANDIDATE_MAPS = 8;
const BPF_F_LOCK = 4;
/** bpf_perf_event_output: BPF_F_CURRENT_CPU, and the flags' high word may only hold BPF_F_CTXLEN_MASK. */
const BPF_F_CURRENT_CPU = 0xffffffff;
const CTXLEN_MASK_HI = 0xfffff;
/** bpf_loop's limit (kernel/bpf/bpf_iter.c). */
const MAX_LOOPS = 1 << 23;

class FunctionGen {
  private readonly sc: number;
  /**
   * r1's and r2's values where the block has just set them to constants: a map handle before a
   * helper call, a callback's address before bpf_loop.
   */
  private r1: number | undefined;
  private r2: number | undefined;
  constructor(private readonly m: Module, private readonly code: Code, private readonly layout: CodegenLayout, private readonly binaryen: typeof Binaryen, private readonly ns: string, private readonly known: ReadonlyMap<number, KnownReplacement>) {
    this.sc = layout.scratch;
  }

  function(entry: number): Expr {
    const { m, code } = this;
    const blocks = functionBlocks(code, entry);
    const relooper = new this.binaryen.Relooper(m);
    const refs = new Map<number, number>();
    for (const b of blocks.values()) refs.set(b.start, relooper.addBlock(m.block(null, this.block(b.slots), none)));
    for (const b of blocks.values()) {
      const last = b.slots[b.slots.length - 1];
      const op = code.op[last];
      if (op === 0x95) continue;
      if (isJump(op)) {
        const to = refs.get(jumpTargetOf(code, last))!;
        // A conditional jump to the next instruction goes there either way (and the Relooper
        // refuses two branches between the same blocks).
        if (op === 0x05 || op === 0x06 || jumpTargetOf(code, last) === last + 1) {
          relooper.addBranch(refs.get(b.start)!, to, 0, 0);
          continue;
        }
        relooper.addBranch(refs.get(b.start)!, to, this.condition(last), 0);
        relooper.addBranch(refs.get(b.start)!, refs.get(last + 1)!, 0, 0);
      } else {
        relooper.addBranch(refs.get(b.start)!, refs.get(nextSlot(code, last))!, 0, 0);
      }
    }
    const body = relooper.renderAndDispose(refs.get(entry)!, LABEL);
    // r10 = stackTop - (depth - 1)·512
    const r10 = m.local.set(R10, m.i64.extend_u(m.i32.sub(m.i32.const(this.layout.stackTop + STACK_SIZE), m.i32.mul(m.local.get(DEPTH, i32), m.i32.const(STACK_SIZE)))));
    return m.block(null, [r10, body, m.unreachable()], none);
  }

  private get(r: number): Expr {
    return this.m.local.get(regLocal(r), i64);
  }
  private set(r: number, v: Expr): Expr {
    return this.m.local.set(regLocal(r), v);
  }
  private lo(r: number): Expr {
    return this.m.i32.wrap(this.get(r));
  }
  private hi(r: number): Expr {
    return this.m.i32.wrap(this.m.i64.shr_u(this.get(r), k64(this.m, 32, 0)));
  }
  /** A u32 argument as helpers read it: 0xffffffff when the value does not fit in 32 bits. */
  private u32Arg(r: number): Expr {
    return this.m.select(this.hi(r), this.m.i32.const(-1), this.lo(r));
  }
  private imm64(pc: number): Expr {
    const v = this.code.imm[pc];
    return k64(this.m, v, v >> 31);
  }
  /** Whether the call at `pc` is to that helper (id and name). */
  private calls(pc: number, name: InlineHelper): boolean {
    const h = this.code.helpers[pc];
    return h?.id === INLINE_HELPERS[name] && h.name === name;
  }
  /** r0 = -errno, sign-extended, as a helper returning a negative int gives it. */
  private errno(name: 'EINVAL' | 'E2BIG' | 'EEXIST' | 'EACCES' | 'EFAULT' | 'ENOENT'): Expr {
    return this.set(0, k64(this.m, -ERRNO[name], -1));
  }
  /** The element of `index` in a map with `cpus` values per index: index·cpus + the running CPU for a per-CPU map. */
  private perCpuIndex(index: Expr, layout: { cpus: number; cpuCell?: number }): Expr {
    const { m } = this;
    return layout.cpuCell === undefined ? index : m.i32.add(m.i32.mul(index, m.i32.const(layout.cpus)), m.i32.load(0, 4, m.i32.const(layout.cpuCell)));
  }
  /**
   * The shadow-table entry of the granule holding `addr` (i32): bytes from the start of the
   * address's 1 GiB block to its region's end (saturated), bit 31 set when read-only (src/vm/address-space.ts).
   */
  private shadowEntry(addr: Expr): Expr {
    const { m } = this;
    return m.i32.load(0, 4, m.i32.shl(m.i32.shr_u(addr, m.i32.const(GRANULE_SHIFT)), m.i32.const(2)));
  }
  /** `addr`'s offset in its 1 GiB block, which a shadow entry counts from. */
  private blockOffset(addr: Expr): Expr {
    return this.m.i32.and(addr, this.m.i32.const(OFFSET_MASK));
  }
  /** The address space's limit (at most 2^32) as an i64. */
  private limit(): Expr {
    return this.m.i64.const(BigInt(this.layout.limit) as unknown as number);
  }
  /** A = the XDP context of the packet running (0 when the run has none). */
  private loadRunContext(): Expr {
    return this.m.local.set(A, this.m.i32.load(0, 4, this.m.i32.const(this.sc + Scratch.ctx)));
  }
  /** The u32 at offset `off` of the context in A. */
  private ctxField(off: number): Expr {
    const { m } = this;
    return m.i32.load(0, 4, m.i32.add(m.local.get(A, i32), m.i32.const(off)));
  }

  private fault(kind: number, pc: number, x: Expr, y: Expr, z: Expr): Expr {
    return this.m.call(this.ns + 'fault', [this.m.i32.const(kind), this.m.i32.const(pc), x, y, z], none);
  }

  private block(slots: number[]): Expr[] {
    const { m } = this;
    const cell = (): Expr => m.i32.const(this.sc + Scratch.budget);
    const out: Expr[] = [
      m.local.set(S, m.i32.sub(m.i32.load(0, 4, cell()), m.i32.const(slots.length))),
      m.i32.store(0, 4, cell(), m.local.get(S, i32)),
      m.if(m.i32.lt_s(m.local.get(S, i32), m.i32.const(0)), this.fault(FaultCode.budget, slots[0], m.i32.const(0), m.i32.const(0), m.i32.const(0))),
    ];
    this.r1 = undefined;
    this.r2 = undefined;
    const checks = this.planGroups(slots);
    for (const pc of slots) {
      const check = checks.get(pc);
      if (check) out.push(this.groupCheck(check.group, check.flag));
      out.push(...this.instruction(pc));
      this.r1 = this.constantAfter(pc, 1, this.r1);
      this.r2 = this.constantAfter(pc, 2, this.r2);
    }
    return out;
  }

  /** Members of the block's access groups, by slot: the local holding their group's check. */
  private groupFlag = new Map<number, number>();

  /** Give the block's access groups a flag local each while they last (as many as there are locals); their checks by first slot. */
  private planGroups(slots: number[]): Map<number, { group: AccessGroup; flag: number }> {
    const checks = new Map<number, { group: AccessGroup; flag: number }>();
    this.groupFlag = new Map();
    const groups = accessGroups(this.code, slots);
    let active: { last: number; flag: number }[] = [];
    for (const pc of slots) {
      const group = groups.get(pc);
      if (!group || group.first !== pc) continue;
      active = active.filter((a) => a.last > pc);
      const flag = GROUP_FLAGS.find((f) => !active.some((a) => a.flag === f));
      if (flag === undefined) continue;
      active.push({ last: group.members[group.members.length - 1], flag });
      checks.set(pc, { group, flag });
      for (const member of group.members) this.groupFlag.set(member, flag);
    }
    return checks;
  }

  /** flag = whether [base + minOff, base + maxEnd) lies in one region (writable if the group writes). */
  private groupCheck(g: AccessGroup, flag: number): Expr {
    const { m } = this;
    const end = m.i32.add(this.blockOffset(m.local.get(A, i32)), m.i32.const(g.maxEnd - g.minOff));
    return m.local.set(flag, m.if(
      m.i64.lt_u(m.local.tee(T, m.i64.add(this.get(g.base), k64(m, g.minOff, g.minOff >> 31)), i64), this.limit()),
      m.block(null, [
        m.local.set(A, m.i32.wrap(m.local.get(T, i64))),
        m.local.set(S, this.shadowEntry(m.local.get(A, i32))),
        g.write ? m.i32.le_s(end, m.local.get(S, i32)) : m.i32.le_u(end, m.i32.and(m.local.get(S, i32), m.i32.const(ROOM_MASK))),
      ], i32),
      m.i32.const(0),
    ));
  }

  /**
   * Checked address of `base + off` for `size` bytes, left in local A. r10 with an offset inside
   * its frame needs no check: r10 is read-only (the decoder refuses writes to it) and always the
   * top of this call's frame, in the stack region. A member of an access group whose range check
   * passed needs none either.
   */
  private address(pc: number, base: number, size: number, write: boolean): Expr[] {
    const { m } = this;
    const off = this.code.off[pc];
    if (inFrame(base, off, size)) return [m.local.set(A, m.i32.add(m.i32.wrap(this.get(10)), m.i32.const(off)))];
    const flag = this.groupFlag.get(pc);
    if (flag !== undefined) {
      return [m.if(m.local.get(flag, i32), m.local.set(A, m.i32.add(m.i32.wrap(this.get(base)), m.i32.const(off))), m.block(null, this.checkedAddress(pc, base, size, write), none))];
    }
    return this.checkedAddress(pc, base, size, write);
  }

  private checkedAddress(pc: number, base: number, size: number, write: boolean): Expr[] {
    const { m } = this;
    const off = this.code.off[pc];
    const report = (): Expr => this.fault(FaultCode.memory, pc, m.i32.wrap(m.local.get(T, i64)), m.i32.wrap(m.i64.shr_u(m.local.get(T, i64), k64(m, 32, 0))), m.i32.const(size | (write ? 0x100 : 0)));
    const end = m.i32.add(this.blockOffset(m.local.get(A, i32)), m.i32.const(size));
    return [
      m.local.set(T, m.i64.add(this.get(base), k64(m, off, off >> 31))),
      m.if(m.i64.ge_u(m.local.get(T, i64), this.limit()), report()),
      m.local.set(A, m.i32.wrap(m.local.get(T, i64))),
      m.local.set(S, this.shadowEntry(m.local.get(A, i32))),
      // A read-only region has bit 31 set: signed, its room compares below any offset. The host
      // returns from `fault` when the access turns out allowed (a large region's chunk marked on
      // first touch), and the access goes on.
      m.if(write ? m.i32.gt_s(end, m.local.get(S, i32)) : m.i32.gt_u(end, m.i32.and(m.local.get(S, i32), m.i32.const(ROOM_MASK))), report()),
    ];
  }

  private instruction(pc: number): Expr[] {
    const { m, code } = this;
    const op = code.op[pc];
    const d = code.dst[pc];
    const s = code.src[pc];
    const cls = op & 7;
    const a = (): Expr => m.local.get(A, i32);
    switch (cls) {
      case 0x07: return [this.set(d, this.alu64(pc))];
      case 0x04: return [this.set(d, this.alu32(pc))];
      case 0x01: { // LDX
        const mode = op & 0xe0;
        const size = [4, 2, 1, 8][(op >> 3) & 3];
        const sx = mode === 0x80;
        const load = size === 8 ? m.i64.load(0, 1, a())
          : size === 4 ? (sx ? m.i64.load32_s(0, 1, a()) : m.i64.load32_u(0, 1, a()))
          : size === 2 ? (sx ? m.i64.load16_s(0, 1, a()) : m.i64.load16_u(0, 1, a()))
          : sx ? m.i64.load8_s(0, 1, a()) : m.i64.load8_u(0, 1, a());
        return [...this.address(pc, s, size, false), this.set(d, load)];
      }
      case 0x02: case 0x03: { // ST, STX
        const size = [4, 2, 1, 8][(op >> 3) & 3];
        if ((op & 0xe0) === 0xc0) return [...this.address(pc, d, size, true), ...this.atomic(pc, size)];
        const v = cls === 0x02 ? this.imm64(pc) : this.get(s);
        const store = size === 8 ? m.i64.store(0, 1, a(), v) : size === 4 ? m.i64.store32(0, 1, a(), v) : size === 2 ? m.i64.store16(0, 1, a(), v) : m.i64.store8(0, 1, a(), v);
        return [...this.address(pc, d, size, true), store];
      }
      case 0x00: { // ld_imm64, else the legacy packet loads below
        if (op === 0x18) return [this.set(d, k64(m, code.imm[pc], code.immHi[pc]))];
        break;
      }
      case 0x05: case 0x06: {
        if (op === 0x95) return [m.return(this.get(0))];
        if (op === 0x85) return code.src[pc] === 1 ? this.localCall(pc) : this.helperCall(pc);
        if (op === 0x8d) return this.callx(pc);
        return []; // jumps become Relooper branches
      }
    }
    // BPF_LD ABS/IND (out of bounds, the host ends the whole program with r0 = 0)
    return [
      m.drop(m.call(this.ns + 'ldabs', [m.i32.const(pc), (op & 0xe0) === 0x40 ? this.lo(s) : m.i32.const(0)], i32)),
      this.set(0, m.i64.load(0, 8, m.i32.const(this.sc + Scratch.r0))),
      ...this.clearArgs(),
    ];
  }

  private clearArgs(): Expr[] {
    return [1, 2, 3, 4, 5].map((r) => this.set(r, k64(this.m, 0, 0)));
  }
  private storeArgs(): Expr[] {
    return [1, 2, 3, 4, 5].map((r) => this.m.i64.store(0, 8, this.m.i32.const(this.sc + Scratch.args + (r - 1) * 8), this.get(r)));
  }
  private loadR0(): Expr {
    return this.set(0, this.m.i64.load(0, 8, this.m.i32.const(this.sc + Scratch.r0)));
  }

  /** What is known of register `r` (1 or 2), `known` before the instruction at `pc`, after it. */
  private constantAfter(pc: number, r: number, known: number | undefined): number | undefined {
    const { code } = this;
    const op = code.op[pc];
    if (op === 0x18 && code.dst[pc] === r) return code.immHi[pc] >= 0 && code.immHi[pc] < 0x200000 ? code.immHi[pc] * 4294967296 + (code.imm[pc] >>> 0) : undefined;
    const cls = op & 7;
    if (cls === 0x00 && op !== 0x18) return undefined; // ld_abs/ld_ind clear r1..r5
    const writesDst = cls === 0x04 || cls === 0x07 || cls === 0x01 || cls === 0x00;
    const atomicFetch = (op & 0xe0) === 0xc0 && cls === 0x03 && (code.imm[pc] & 1) && code.src[pc] === r;
    if ((writesDst && code.dst[pc] === r) || atomicFetch || op === 0x85 || op === 0x8d) return undefined;
    return known;
  }

  /** `bpf_map_lookup_elem` on an array named by a constant: bounds check and address arithmetic. */
  private inlineArrayLookup(pc: number): Expr[] | undefined {
    const { m, code } = this;
    if (!this.calls(pc, 'bpf_map_lookup_elem') || this.r1 === undefined) return undefined;
    const layout = code.spec.arrayLayout?.(this.r1);
    if (!layout) return undefined;
    const key = (): Expr => m.local.get(S, i32);
    const slot = this.perCpuIndex(key(), layout);
    return [
      ...this.address(pc, 2, 4, false),
      m.local.set(S, m.i32.load(0, 1, m.local.get(A, i32))),
      this.set(0, m.select(
        m.i32.lt_u(key(), m.i32.const(layout.maxEntries)),
        m.i64.extend_u(m.i32.add(m.i32.const(layout.base), m.i32.mul(slot, m.i32.const(layout.stride)))),
        k64(m, 0, 0),
      )),
      ...this.clearArgs(),
    ];
  }

  /**
   * Whether `size` bytes (an i32 expression, read as unsigned) at the address in register `r`
   * may be read (or written): `address`'s check, as a condition. A read-only region's shadow
   * entry has bit 31 set, so as a signed room it admits no write. False sends the call to the
   * host, which checks again exactly (a chunk of a large region not yet marked, a saturated entry).
   */
  private readable(r: number, size: Expr, write = false): Expr {
    const { m } = this;
    const at = (): Expr => m.i32.wrap(this.get(r));
    const shadow = this.shadowEntry(at());
    const room = write ? m.i64.extend_s(shadow) : m.i64.extend_u(m.i32.and(shadow, m.i32.const(ROOM_MASK)));
    return m.if(
      m.i64.lt_u(this.get(r), this.limit()),
      m.i64.le_s(m.i64.add(m.i64.extend_u(this.blockOffset(at())), m.i64.extend_u(size)), room),
      m.i32.const(0),
    );
  }

  /**
   * bpf_spin_lock / bpf_spin_unlock: one CPU runs at a time here, so a lock only records its
   * state in its word (src/helpers/control.ts); a word the program may not write goes to the host.
   */
  private inlineSpinLock(pc: number): Expr[] | undefined {
    const { m } = this;
    const lock = this.calls(pc, 'bpf_spin_lock');
    if (!lock && !this.calls(pc, 'bpf_spin_unlock')) return undefined;
    return [
      m.if(
        this.readable(1, m.i32.const(4), true),
        m.block(null, [m.i32.store(0, 4, this.lo(1), m.i32.const(lock ? 1 : 0)), this.set(0, k64(m, 0, 0)), ...this.clearArgs()], none),
        m.block(null, this.helperCallViaHost(pc), none),
      ),
    ];
  }

  /** bpf_get_smp_processor_id: the cell where the runtime keeps the running CPU. */
  private inlineCpuId(pc: number): Expr[] | undefined {
    const { m, code } = this;
    const cell = code.spec.cpuCell;
    if (!this.calls(pc, 'bpf_get_smp_processor_id') || cell === undefined) return undefined;
    return [this.set(0, m.i64.extend_u(m.i32.load(0, 4, m.i32.const(cell)))), ...this.clearArgs()];
  }

  /**
   * bpf_xdp_load_bytes / store_bytes on a linear frame: the helpers' range checks, then a
   * memmove between the packet and the program's buffer. Fragments, a buffer the program may not
   * use that way, or no XDP context in this run go through the host.
   */
  private inlinePacketBytes(pc: number): Expr[] | undefined {
    const { m, code } = this;
    const x = code.spec.xdpContext;
    const load = this.calls(pc, 'bpf_xdp_load_bytes');
    if (!x || !(load || this.calls(pc, 'bpf_xdp_store_bytes'))) return undefined;
    const field = (off: number): Expr => this.ctxField(off);
    const offset = (): Expr => this.lo(2);
    const len = (): Expr => this.lo(4);
    const packet = (): Expr => m.i32.add(field(x.data), offset());
    const buffer = (): Expr => this.lo(3);
    const copy = m.if(
      this.readable(3, len(), load),
      m.block(null, [m.memory.copy(load ? buffer() : packet(), load ? packet() : buffer(), len()), this.set(0, k64(m, 0, 0)), ...this.clearArgs()], none),
      m.block(null, this.helperCallViaHost(pc), none),
    );
    return [
      this.loadRunContext(),
      m.if(
        m.i32.or(m.i32.eqz(m.local.get(A, i32)), m.i32.ne(field(x.frags), m.i32.const(0))),
        m.block(null, this.helperCallViaHost(pc), none),
        m.if(
          m.i32.or(m.i32.gt_u(offset(), m.i32.const(0xffff)), m.i32.gt_u(len(), m.i32.const(0xffff))),
          m.block(null, [this.errno('EFAULT'), ...this.clearArgs()], none),
          m.if(
            m.i32.gt_u(m.i32.add(offset(), len()), m.i32.sub(field(x.dataEnd), field(x.data))),
            m.block(null, [this.errno('EINVAL'), ...this.clearArgs()], none),
            copy,
          ),
        ),
      ),
    ];
  }

  /** Set once a compiled hash lookup needs the module's `hash_find` function. */
  hashFindUsed = false;

  /**
   * `bpf_map_lookup_elem` on a plain hash map named by a constant: its memory index is probed
   * here (compileHashFind) and the value's address computed as HashMap.lookupElem does. An
   * unreadable key goes to the helper.
   */
  private inlineHashLookup(pc: number): Expr[] | undefined {
    const { m, code } = this;
    if (!this.calls(pc, 'bpf_map_lookup_elem') || this.r1 === undefined) return undefined;
    const layout = code.spec.hashLayout?.(this.r1);
    if (!layout) return undefined;
    this.hashFindUsed = true;
    const tag = (): Expr => m.local.get(S, i32);
    const element = this.perCpuIndex(m.i32.sub(tag(), m.i32.const(1)), layout);
    return [
      m.if(
        this.readable(2, m.i32.const(layout.keySize)),
        m.block(null, [
          m.local.set(S, m.call('hash_find', [m.i32.const(layout.table), m.i32.const(layout.mask), m.i32.const(layout.keys), m.i32.const(layout.keySize), this.lo(2)], i32)),
          this.set(0, m.select(tag(), m.i64.extend_u(m.i32.add(m.i32.const(layout.values), m.i32.mul(element, m.i32.const(layout.stride)))), k64(m, 0, 0))),
          ...this.clearArgs(),
        ], none),
        m.block(null, this.helperCallViaHost(pc), none),
      ),
    ];
  }

  /** The entry strides of the LPM tables compiled lookups scan (one `lpm_find` each). */
  readonly lpmStrides = new Set<number>();

  /**
   * `bpf_map_lookup_elem` on an LPM trie named by a constant, while it has few enough prefixes
   * for its scan table (LpmLayout): the longest covering prefix's value. An unreadable key, or a
   * larger trie, goes to the helper.
   */
  private inlineLpmLookup(pc: number): Expr[] | undefined {
    const { m, code } = this;
    if (!this.calls(pc, 'bpf_map_lookup_elem') || this.r1 === undefined) return undefined;
    const layout = code.spec.lpmLayout?.(this.r1);
    if (!layout) return undefined;
    this.lpmStrides.add(layout.entryStride);
    const slot = (): Expr => m.local.get(S, i32);
    return [
      m.if(
        m.i32.and(this.readable(2, m.i32.const(layout.keySize)), m.i32.le_u(m.i32.load(0, 4, m.i32.const(layout.table)), m.i32.const(layout.maxScan))),
        m.block(null, [
          m.local.set(S, m.call(`lpm_find${layout.entryStride}`, [m.i32.const(layout.table), this.lo(2), m.i32.const((layout.keySize - 4) * 8)], i32)),
          this.set(0, m.select(slot(), m.i64.extend_u(m.i32.add(m.i32.const(layout.values), m.i32.mul(m.i32.sub(slot(), m.i32.const(1)), m.i32.const(layout.stride)))), k64(m, 0, 0))),
          ...this.clearArgs(),
        ], none),
        m.block(null, this.helperCallViaHost(pc), none),
      ),
    ];
  }

  /** Set once a compiled bpf_csum_diff needs the module's `csum_partial` function. */
  csumPartialUsed = false;

  /**
   * `bpf_csum_diff` on readable arguments: src/helpers/checksum.ts's csumDiff, with the x86
   * csum_partial in wasm (compileCsumPartial). Unreadable ranges go to the helper.
   */
  private inlineCsumDiff(pc: number): Expr[] | undefined {
    const { m } = this;
    if (!this.calls(pc, 'bpf_csum_diff')) return undefined;
    this.csumPartialUsed = true;
    const fromSize = (): Expr => this.lo(2);
    const toSize = (): Expr => this.lo(4);
    const seed = (): Expr => this.lo(5);
    const partial = (r: number, size: Expr, init: Expr): Expr => m.call('csum_partial', [this.lo(r), size, init], i32);
    const ret = (): Expr => m.local.get(S, i32);
    const wide = (v: Expr): Expr => m.i64.extend_u(v);
    const argOk = (r: number, size: () => Expr): Expr => m.if(size(), this.readable(r, size()), m.i32.const(1));
    const compute = m.block(null, [
      m.local.set(S, seed()),
      m.if(
        m.i32.and(m.i32.ne(fromSize(), m.i32.const(0)), m.i32.ne(toSize(), m.i32.const(0))),
        // csum_add(partial(to, seed), ~partial(from, 0)) with the end-around carry
        m.block(null, [
          m.local.set(T, m.i64.add(wide(partial(3, toSize(), ret())), wide(m.i32.xor(partial(1, fromSize(), m.i32.const(0)), m.i32.const(-1))))),
          m.local.set(S, m.i32.wrap(m.select(m.i64.gt_u(m.local.get(T, i64), k64(m, -1, 0)), m.i64.sub(m.local.get(T, i64), k64(m, -1, 0)), m.local.get(T, i64)))),
        ], none),
        m.if(
          toSize(),
          m.local.set(S, partial(3, toSize(), ret())),
          m.if(fromSize(), m.local.set(S, m.i32.xor(partial(1, fromSize(), m.i32.xor(ret(), m.i32.const(-1))), m.i32.const(-1)))),
        ),
      ),
      // csum_from32to16: (sum + rotl(sum, 16)) >> 16, not complemented
      this.set(0, wide(m.i32.and(m.i32.shr_u(m.i32.add(ret(), m.i32.rotl(ret(), m.i32.const(16))), m.i32.const(16)), m.i32.const(0xffff)))),
    ], none);
    return [
      m.if(
        m.i32.and(argOk(1, fromSize), argOk(3, toSize)),
        m.block(null, [compute, ...this.clearArgs()], none),
        m.block(null, this.helperCallViaHost(pc), none),
      ),
    ];
  }

  /**
   * `bpf_map_update_elem` on an array named by a constant, without a spin lock in its values:
   * ArrayMap.updateElem's checks in its order, then a copy (memmove). Unreadable key or value
   * pointers go to the helper, which reports them as it does.
   */
  private inlineArrayUpdate(pc: number): Expr[] | undefined {
    const { m, code } = this;
    if (!this.calls(pc, 'bpf_map_update_elem') || this.r1 === undefined) return undefined;
    const layout = code.spec.arrayLayout?.(this.r1);
    if (!layout || layout.lockOffset !== undefined) return undefined;
    const flags = (): Expr => this.get(4);
    const key = (): Expr => m.local.get(S, i32);
    const slot = this.perCpuIndex(key(), layout);
    const update = m.if(
      m.i32.or(m.i64.gt_u(flags(), k64(m, BPF_F_LOCK, 0)), m.i64.eq(m.i64.and(flags(), k64(m, 3, 0)), k64(m, 3, 0))),
      this.errno('EINVAL'),
      m.block(null, [
        m.local.set(S, m.i32.load(0, 1, m.i32.wrap(this.get(2)))),
        m.if(
          m.i32.ge_u(key(), m.i32.const(layout.maxEntries)),
          this.errno('E2BIG'),
          m.if(
            m.i32.wrap(m.i64.and(flags(), k64(m, BPF_NOEXIST, 0))),
            this.errno('EEXIST'),
            m.block(null, [
              m.memory.copy(m.i32.add(m.i32.const(layout.base), m.i32.mul(slot, m.i32.const(layout.stride))), m.i32.wrap(this.get(3)), m.i32.const(layout.valueSize)),
              this.set(0, k64(m, 0, 0)),
            ], none),
          ),
        ),
      ], none),
    );
    return [
      m.if(
        m.i32.and(this.readable(2, m.i32.const(4)), this.readable(3, m.i32.const(layout.valueSize))),
        m.block(null, [update, ...this.clearArgs()], none),
        m.block(null, this.helperCallViaHost(pc), none),
      ),
    ];
  }

  /**
   * `bpf_loop` with a callback of this program named by a constant: the loop runs here, calling
   * the callback directly (DESIGN: bpf_loop semantics as the kernel inlines them). Frames past the
   * limit still go through the helper, which reports them; programs with legacy packet loads too
   * (one ends only its callback there).
   */
  private inlineLoop(pc: number): Expr[] | undefined {
    const { m, code } = this;
    if (!this.calls(pc, 'bpf_loop') || this.r2 === undefined || this.hasLegacyLoads()) return undefined;
    const fn = decodeFunctionAddress(this.r2);
    if (!fn || fn.uid !== code.uid || !code.spec.program.functionEntries.includes(fn.slot)) return undefined;
    const depth = (): Expr => m.local.get(DEPTH, i32);
    const i = (): Expr => m.local.get(S, i32);
    const n = (): Expr => this.lo(1);
    const zero = (): Expr => k64(m, 0, 0);
    const loop = m.block(`loop_done${pc}`, [
      m.local.set(S, m.i32.const(0)),
      m.loop(`loop_next${pc}`, m.block(null, [
        m.if(m.i32.ge_u(i(), n()), m.block(null, [this.set(0, m.i64.extend_u(n())), m.br(`loop_done${pc}`)], none)),
        m.if(
          m.i64.ne(m.call(`${this.ns}f${fn.slot}`, [m.i64.extend_u(i()), this.get(3), zero(), zero(), zero(), m.i32.add(depth(), m.i32.const(1))], i64), zero()),
          m.block(null, [this.set(0, m.i64.extend_u(m.i32.add(i(), m.i32.const(1)))), m.br(`loop_done${pc}`)], none),
        ),
        m.local.set(S, m.i32.add(i(), m.i32.const(1))),
        m.br(`loop_next${pc}`),
      ], none)),
    ], none);
    const inline = m.if(
      m.i64.ne(this.get(4), zero()),
      this.errno('EINVAL'),
      // The kernel's inlined bpf_loop sets w0 = -E2BIG: zero-extended.
      m.if(m.i32.gt_u(n(), m.i32.const(MAX_LOOPS)), this.set(0, k64(m, -ERRNO.E2BIG, 0)), loop),
    );
    // The loop counter lives in S across calls: callbacks are other wasm functions with their own locals.
    return [m.if(m.i32.ge_s(depth(), m.i32.const(MAX_CALL_DEPTH)), m.block(null, this.helperCallViaHost(pc), none), inline), ...this.clearArgs()];
  }

  private hasLegacyLoads(): boolean {
    this.legacyLoads ??= this.code.op.some((op) => (op & 7) === 0x00 && op !== 0x18 && op !== 0);
    return this.legacyLoads;
  }
  private legacyLoads: boolean | undefined;

  /** Set once a compiled tail call needs the `f0ByNode` table. */
  tailCallsByNode = false;
  /** Whether a bpf-to-bpf call may go to a replacement (through the `fns` table). */
  get callsReplacements(): boolean {
    return this.code.op.some((op, pc) => op === 0x85 && this.code.src[pc] === 1);
  }

  /**
   * `bpf_tail_call` through a program array named by a constant, in a direct run: the slot's node
   * comes from the array's memory, the count from the run's cells, and the target's f0 is called
   * from here, its result returned as this function's (the helper's semantics, without the host).
   */
  private inlineTailCall(pc: number): Expr[] | undefined {
    const { m, code, layout } = this;
    if (!this.calls(pc, 'bpf_tail_call') || code.helpers[pc]!.tailCall === undefined || this.r2 === undefined || layout.counters === undefined) return undefined;
    const table = code.spec.tailCallLayout?.(this.r2);
    const counters = layout.counters;
    if (!table) return undefined;
    this.tailCallsByNode = true;
    const cell = (at: number): Expr => m.i32.const(this.sc + at);
    const index = (): Expr => m.local.get(A, i32);
    const node = (): Expr => m.local.get(S, i32);
    const counter = (): Expr => m.i32.add(m.i32.const(counters), m.i32.mul(node(), m.i32.const(COUNTER_BYTES)));
    const zero = (): Expr => k64(m, 0, 0);
    const tail = m.block(`tail_fail${pc}`, [
      m.br(`tail_fail${pc}`, m.i32.or(this.hi(3), m.i32.ge_u(this.lo(3), m.i32.const(table.maxEntries)))),
      m.local.set(A, this.lo(3)),
      m.local.set(S, m.i32.load(0, 4, m.i32.add(m.i32.const(table.base), m.i32.shl(index(), m.i32.const(2))))),
      m.br(`tail_fail${pc}`, m.i32.eqz(node())),
      m.local.set(S, m.i32.sub(node(), m.i32.const(1))),
      m.br(`tail_fail${pc}`, m.i32.ge_u(m.i32.load(0, 4, cell(Scratch.tailCount)), m.i32.const(MAX_TAIL_CALLS))),
      m.i32.store(0, 4, cell(Scratch.tailCount), m.i32.add(m.i32.load(0, 4, cell(Scratch.tailCount)), m.i32.const(1))),
      m.f64.store(0, 8, counter(), m.f64.add(m.f64.load(0, 8, counter()), m.f64.const(1))),
      m.return(m.call_indirect('f0ByNode', node(), [this.get(1), zero(), zero(), zero(), zero(), m.local.get(DEPTH, i32)], this.binaryen.createType([i64, i64, i64, i64, i64, i32]), i64)),
    ], none);
    return [
      m.if(
        m.i32.load(0, 4, cell(Scratch.direct)),
        m.block(null, [tail, this.set(0, zero()), ...this.clearArgs()], none),
        m.block(null, this.helperCallViaHost(pc), none),
      ),
    ];
  }

  /**
   * The frame helpers on a linear frame, done on the context's fields in memory (the buffer's
   * own storage): adjust_head (without metadata), adjust_meta, adjust_tail and get_buff_len,
   * with src/xdp/buffer.ts's checks and errors. Anything else (fragments, metadata to move, no
   * XDP context in this run) goes through the host.
   */
  private inlineFrameHelper(pc: number): Expr[] | undefined {
    const { m, code } = this;
    const x = code.spec.xdpContext;
    const helper = FRAME_HELPERS.find((name) => this.calls(pc, name));
    if (!x || !helper) return undefined;
    const field = (off: number): Expr => this.ctxField(off);
    const store = (off: number, v: Expr): Expr => m.i32.store(0, 4, m.i32.add(m.local.get(A, i32), m.i32.const(off)), v);
    const wide = (v: Expr): Expr => m.i64.extend_u(v);
    const delta = (): Expr => m.i64.extend_s(this.lo(2));
    const target = (): Expr => m.local.get(T, i64);
    const ok = (): Expr => this.set(0, k64(m, 0, 0));
    const hardStart = (): Expr => wide(field(x.hardStart));
    const fragments = (): Expr => m.i32.ne(field(x.frags), m.i32.const(0));
    let fallback: Expr;
    let body: Expr[];
    switch (helper) {
      case 'bpf_xdp_adjust_head': // adjust_head: data moves within [hard start + descriptor, data_end - ETH_HLEN]
        fallback = m.i32.ne(field(x.data), field(x.dataMeta));
        body = [
          m.local.set(T, m.i64.add(wide(field(x.data)), delta())),
          m.if(
            m.i32.or(m.i64.lt_s(target(), m.i64.add(hardStart(), k64(m, x.frameDescriptor, 0))), m.i64.gt_s(target(), m.i64.sub(wide(field(x.dataEnd)), k64(m, x.ethHlen, 0)))),
            this.errno('EINVAL'),
            m.block(null, [store(x.data, m.i32.wrap(target())), store(x.dataMeta, m.i32.wrap(target())), ok()], none),
          ),
        ];
        break;
      case 'bpf_xdp_adjust_meta': // adjust_meta: data_meta moves within [hard start + descriptor, data], 4-byte multiples up to the maximum
        fallback = m.i32.const(0);
        body = [
          m.local.set(T, m.i64.add(wide(field(x.dataMeta)), delta())),
          m.local.set(U, m.i64.sub(wide(field(x.data)), target())),
          m.if(
            m.i32.or(m.i64.lt_s(target(), m.i64.add(hardStart(), k64(m, x.frameDescriptor, 0))), m.i64.lt_s(m.local.get(U, i64), k64(m, 0, 0))),
            this.errno('EINVAL'),
            m.if(
              m.i32.or(m.i64.gt_s(m.local.get(U, i64), k64(m, x.metadataMax, 0)), m.i64.ne(m.i64.and(m.local.get(U, i64), k64(m, 3, 0)), k64(m, 0, 0))),
              this.errno('EACCES'),
              m.block(null, [store(x.dataMeta, m.i32.wrap(target())), ok()], none),
            ),
          ),
        ];
        break;
      case 'bpf_xdp_adjust_tail': { // adjust_tail: data_end moves within [data + ETH_HLEN, frame end - tailroom]; grown bytes are zeroed
        fallback = fragments();
        const end = (): Expr => m.local.get(S, i32);
        body = [
          m.local.set(T, m.i64.add(wide(field(x.dataEnd)), delta())),
          m.if(
            m.i32.or(m.i64.gt_s(target(), m.i64.add(hardStart(), k64(m, x.frameSize - x.tailroom, 0))), m.i64.lt_s(target(), m.i64.add(wide(field(x.data)), k64(m, x.ethHlen, 0)))),
            this.errno('EINVAL'),
            m.block(null, [
              m.local.set(S, field(x.dataEnd)),
              m.block(`grown${pc}`, [m.loop(`zero${pc}`, m.block(null, [
                m.br(`grown${pc}`, m.i64.ge_s(wide(end()), target())),
                m.i32.store8(0, 1, end(), m.i32.const(0)),
                m.local.set(S, m.i32.add(end(), m.i32.const(1))),
                m.br(`zero${pc}`),
              ], none))], none),
              store(x.dataEnd, m.i32.wrap(target())),
              ok(),
            ], none),
          ),
        ];
        break;
      }
      default: // get_buff_len: the linear bytes
        fallback = fragments();
        body = [this.set(0, wide(m.i32.sub(field(x.dataEnd), field(x.data))))];
    }
    return [
      this.loadRunContext(),
      m.if(
        m.i32.or(m.i32.eqz(m.local.get(A, i32)), fallback),
        m.block(null, this.helperCallViaHost(pc), none),
        m.block(null, [...body, ...this.clearArgs()], none),
      ),
    ];
  }

  /**
   * bpf_redirect, and bpf_redirect_map on an indexed redirect map named by a constant: the
   * helpers' checks (src/helpers/redirect.ts), with the target written to the context's private
   * tail where XdpBuffer.redirect reads it. A run without an XDP context goes through the host.
   */
  private inlineRedirect(pc: number): Expr[] | undefined {
    const { m, code } = this;
    const x = code.spec.xdpContext?.redirect;
    if (!x) return undefined;
    const store = (off: number, v: Expr): Expr => m.i32.store(0, 4, m.i32.add(m.local.get(A, i32), m.i32.const(off)), v);
    const result = (v: Expr): Expr => this.set(0, m.i64.extend_u(v));
    const aborted = (): Expr => result(m.i32.const(x.abortedAction));
    let body: Expr;
    if (this.calls(pc, 'bpf_redirect')) {
      body = m.if(
        m.i64.ne(this.get(2), k64(m, 0, 0)),
        aborted(),
        m.block(null, [store(x.kind, m.i32.const(x.ifindexKind)), store(x.target, this.lo(1)), store(x.key, m.i32.const(0)), store(x.flags, m.i32.const(0)), result(m.i32.const(x.redirectAction))], none),
      );
    } else if (this.calls(pc, 'bpf_redirect_map') && this.r1 !== undefined) {
      const map = code.spec.redirectLayout?.(this.r1);
      if (!map) return undefined;
      const flags = (): Expr => this.lo(3);
      const key = (): Expr => m.local.get(S, i32);
      const broadcast = (): Expr => m.i32.and(flags(), m.i32.const(map.broadcastFlag));
      const empty = m.if(m.i32.ge_u(key(), m.i32.const(map.maxEntries)), m.i32.const(1), m.i32.eqz(m.i32.load(0, 4, m.i32.add(m.i32.const(map.base), m.i32.shl(key(), m.i32.const(2))))));
      body = m.if(
        m.i32.or(this.hi(3), m.i32.and(flags(), m.i32.const(~map.allowedFlags))),
        aborted(),
        m.block(null, [
          m.local.set(S, this.u32Arg(2)),
          m.if(
            m.i32.and(m.i32.eqz(broadcast()), empty),
            m.block(null, [store(x.kind, m.i32.const(0)), result(m.i32.and(flags(), m.i32.const(map.actionMask)))], none),
            m.block(null, [
              store(x.kind, m.i32.const(x.mapKind)),
              store(x.target, m.i32.const(map.mapId)),
              store(x.key, key()),
              store(x.flags, m.select(broadcast(), flags(), m.i32.const(0))),
              result(m.i32.const(x.redirectAction)),
            ], none),
          ),
        ], none),
      );
    } else {
      return undefined;
    }
    return [
      this.loadRunContext(),
      m.if(m.i32.eqz(m.local.get(A, i32)), m.block(null, this.helperCallViaHost(pc), none), m.block(null, [body, ...this.clearArgs()], none)),
    ];
  }

  /**
   * bpf_perf_event_output's refusals in wasm, as the kernel gives them before it copies anything:
   * bad flags, more frame bytes than the frame has, an index past the end, no buffer in the slot.
   * An output (or a fragmented frame, or no XDP context) goes through the host.
   */
  private inlinePerfOutput(pc: number): Expr[] | undefined {
    const { m, code } = this;
    const x = code.spec.xdpContext;
    const cpuCell = code.spec.cpuCell;
    if (!x || cpuCell === undefined || !this.calls(pc, 'bpf_perf_event_output') || this.r2 === undefined) return undefined;
    const slots = code.spec.perfEventLayout?.(this.r2);
    if (!slots) return undefined;
    const field = (off: number): Expr => this.ctxField(off);
    const ctxLen = (): Expr => this.hi(3);
    const index = (): Expr => m.local.get(S, i32);
    const host = (): Expr => m.block(null, this.helperCallViaHost(pc), none);
    const refused = (name: 'EINVAL' | 'EFAULT' | 'E2BIG' | 'ENOENT'): Expr => m.block(null, [this.errno(name), ...this.clearArgs()], none);
    return [
      this.loadRunContext(),
      m.if(
        m.i32.or(m.i32.eqz(m.local.get(A, i32)), m.i32.ne(field(x.frags), m.i32.const(0))),
        host(),
        m.if(
          m.i32.and(ctxLen(), m.i32.const(~CTXLEN_MASK_HI)),
          refused('EINVAL'),
          m.if(
            m.i32.gt_u(ctxLen(), m.i32.sub(field(x.dataEnd), field(x.data))),
            refused('EFAULT'),
            m.block(null, [
              m.local.set(S, m.select(m.i32.eq(this.lo(3), m.i32.const(BPF_F_CURRENT_CPU)), m.i32.load(0, 4, m.i32.const(cpuCell)), this.lo(3))),
              m.if(
                m.i32.ge_u(index(), m.i32.const(slots.maxEntries)),
                refused('E2BIG'),
                m.if(m.i32.load(0, 4, m.i32.add(m.i32.const(slots.base), m.i32.shl(index(), m.i32.const(2)))), host(), refused('ENOENT')),
              ),
            ], none),
          ),
        ),
      ),
    ];
  }

  /**
   * A map lookup whose map is not known in its block (blocks that join after each loaded a
   * different map, as clang emits for `f(cond ? lookup(&a, k) : lookup(&b, k))`): r1 is compared
   * with each map the program loads, and the lookup is inline for the one it holds.
   */
  private lookupByCandidateMap(pc: number): Expr[] | undefined {
    const { m, code } = this;
    if (this.r1 !== undefined || !this.calls(pc, 'bpf_map_lookup_elem')) return undefined;
    // Every constant the program loads; the layouts tell which are maps (loads resolve to handles).
    this.mapHandles ??= [...new Set([...code.op].flatMap((op, at) => (op === 0x18 ? [this.constantAfter(at, code.dst[at], undefined)] : [])))].filter((h): h is number => h !== undefined);
    const arms: [number, Expr[]][] = [];
    for (const handle of this.mapHandles) {
      this.r1 = handle;
      const body = this.inlineArrayLookup(pc) ?? this.inlineHashLookup(pc) ?? this.inlineLpmLookup(pc);
      this.r1 = undefined;
      if (body) arms.push([handle, body]);
      if (arms.length === MAX_CANDIDATE_MAPS) break;
    }
    if (arms.length === 0) return undefined;
    const host = m.block(null, this.helperCallViaHost(pc), none);
    return [arms.reduceRight<Expr>((rest, [handle, body]) => m.if(m.i64.eq(this.get(1), k64(m, handle % 4294967296, Math.floor(handle / 4294967296))), m.block(null, body, none), rest), host)];
  }
  private mapHandles: number[] | undefined;

  /**
   * bpf_ringbuf_reserve and bpf_ringbuf_query on a ring named by a constant, on the positions
   * the ring keeps in memory (RingLayout), as RingBufMap.reserve and query do them.
   */
  private inlineRing(pc: number): Expr[] | undefined {
    const { m, code } = this;
    const reserve = this.calls(pc, 'bpf_ringbuf_reserve');
    if ((!reserve && !this.calls(pc, 'bpf_ringbuf_query')) || this.r1 === undefined) return undefined;
    const ring = code.spec.ringLayout?.(this.r1);
    if (!ring) return undefined;
    const producer = (): Expr => m.f64.load(0, 8, m.i32.const(ring.positions));
    const consumer = (): Expr => m.f64.load(0, 8, m.i32.const(ring.positions + 8));
    const result = (v: Expr): Expr => this.set(0, m.i64.trunc_u.f64(v));
    const zero = (): Expr => this.set(0, k64(m, 0, 0));
    let body: Expr;
    if (reserve) {
      const size = (): Expr => m.local.get(S, i32);
      const header = (): Expr => m.local.get(A, i32);
      const len = (): Expr => m.f64.convert_u.i32(m.i32.and(m.i32.add(size(), m.i32.const(RINGBUF_HEADER + 7)), m.i32.const(~7)));
      body = m.block(null, [
        m.local.set(S, this.u32Arg(2)),
        m.if(
          m.i32.or(m.i64.ne(this.get(3), k64(m, 0, 0)), m.i32.gt_u(size(), m.i32.const(ring.size - RINGBUF_HEADER))),
          zero(),
          m.block(null, [
            m.if(
              m.f64.gt(m.f64.sub(m.f64.add(producer(), len()), consumer()), m.f64.const(ring.size - 1)),
              zero(),
              m.block(null, [
                m.local.set(A, m.i32.add(m.i32.const(ring.data), m.i32.and(m.i32.wrap(m.i64.trunc_u.f64(producer())), m.i32.const(ring.size - 1)))),
                m.i32.store(0, 4, header(), m.i32.or(size(), m.i32.const(RINGBUF_BUSY | 0))),
                m.i32.store(4, 4, header(), m.i32.add(m.i32.shr_u(m.i32.sub(header(), m.i32.const(ring.data)), m.i32.const(PAGE_SHIFT)), m.i32.const(1))),
                m.f64.store(0, 8, m.i32.const(ring.positions), m.f64.add(producer(), len())),
                this.set(0, m.i64.extend_u(m.i32.add(header(), m.i32.const(RINGBUF_HEADER)))),
              ], none),
            ),
          ], none),
        ),
      ], none);
    } else {
      const which = (): Expr => this.lo(2);
      const answer = (n: number, v: Expr, rest: Expr): Expr => m.select(m.i32.eq(which(), m.i32.const(n)), v, rest);
      body = m.if(
        this.hi(2),
        zero(),
        result(answer(0, m.f64.sub(producer(), consumer()), answer(1, m.f64.const(ring.size), answer(2, consumer(), answer(3, producer(), m.f64.const(0)))))),
      );
    }
    return [body, ...this.clearArgs()];
  }

  private helperCall(pc: number): Expr[] {
    const inline = this.inlineArrayLookup(pc) ?? this.inlineHashLookup(pc) ?? this.inlineLpmLookup(pc) ?? this.lookupByCandidateMap(pc) ?? this.inlineArrayUpdate(pc) ?? this.inlineCpuId(pc) ?? this.inlinePacketBytes(pc) ?? this.inlineCsumDiff(pc) ?? this.inlineLoop(pc) ?? this.inlineTailCall(pc) ?? this.inlineFrameHelper(pc) ?? this.inlineRedirect(pc) ?? this.inlinePerfOutput(pc) ?? this.inlineSpinLock(pc) ?? this.inlineRing(pc);
    if (inline) return inline;
    return this.helperCallViaHost(pc);
  }

  private helperCallViaHost(pc: number): Expr[] {
    const { m } = this;
    const status = m.call(this.ns + 'helper', [m.i32.const(pc), m.local.get(DEPTH, i32)], i32);
    const call = this.code.helpers[pc]?.tailCall ? m.if(status, m.return(m.i64.load(0, 8, m.i32.const(this.sc + Scratch.r0)))) : m.drop(status);
    return [...this.storeArgs(), call, this.loadR0(), ...this.clearArgs()];
  }

  private localCall(pc: number): Expr[] {
    const { m } = this;
    const target = pc + 1 + this.code.imm[pc];
    const depth = (): Expr => m.local.get(DEPTH, i32);
    const args = (): Expr[] => [1, 2, 3, 4, 5].map((r) => this.get(r)).concat(m.i32.add(depth(), m.i32.const(1)));
    const counter = (): Expr => m.global.get(`${this.ns}ovc${target}`, i32);
    const index = (): Expr => m.global.get(`${this.ns}ovf${target}`, i32);
    const viaTable = this.set(0, m.call_indirect('fns', index(), args(), this.binaryen.createType([i64, i64, i64, i64, i64, i32]), i64));
    const known = this.known.get(target);
    // A replacement runs straight from here when the host needs no word of it, else through the
    // host; one compiled into this module is called by name while the wiring still points to it.
    const replaced = m.if(
      m.i32.load(0, 4, m.i32.const(this.sc + Scratch.direct)),
      m.block(null, [
        m.f64.store(0, 8, counter(), m.f64.add(m.f64.load(0, 8, counter()), m.f64.const(1))),
        known ? m.if(m.i32.eq(index(), m.i32.const(known.index)), this.set(0, m.call(known.fn, args(), i64)), viaTable) : viaTable,
      ], none),
      m.block(null, [...this.storeArgs(), m.call(this.ns + 'callReplaced', [m.i32.const(target), depth()], none), this.loadR0()], none),
    );
    return [
      m.if(m.i32.ge_s(depth(), m.i32.const(MAX_CALL_DEPTH)), this.fault(FaultCode.callDepth, pc, m.i32.add(depth(), m.i32.const(1)), m.i32.const(0), m.i32.const(0))),
      m.if(m.global.get(`${this.ns}ov${target}`, i32), replaced, this.set(0, m.call(`${this.ns}f${target}`, args(), i64))),
    ];
  }

  private callx(pc: number): Expr[] {
    const { m } = this;
    return [
      m.i64.store(0, 8, m.i32.const(this.sc + Scratch.target), this.get(this.code.dst[pc])),
      ...this.storeArgs(),
      m.local.set(S, m.call(this.ns + 'callx', [m.i32.const(pc), m.local.get(DEPTH, i32)], i32)),
      this.loadR0(),
      // A helper reached through callx clobbers r1..r5 as a direct helper call does.
      m.if(m.local.get(S, i32), m.block(null, this.clearArgs(), none)),
    ];
  }

  /** BPF_ATOMIC on 4 or 8 bytes at local A: read-modify-write (single-threaded), old value to src or r0. */
  private atomic(pc: number, size: number): Expr[] {
    const { m, code } = this;
    const aop = code.imm[pc];
    const s = code.src[pc];
    const a = (): Expr => m.local.get(A, i32);
    const narrow = size === 4;
    const w = narrow ? m.i32 : m.i64;
    // The old value: in S for 4 bytes (the shadow word is no longer needed), in U for 8.
    const oldLocal = narrow ? S : U;
    const old = (): Expr => m.local.get(oldLocal, narrow ? i32 : i64);
    const reg = (r: number): Expr => (narrow ? this.lo(r) : this.get(r));
    const widen = (v: Expr): Expr => (narrow ? m.i64.extend_u(v) : v);
    const src = reg(s);
    let next: Expr;
    switch (aop & ~1) {
      case 0x00: next = w.add(old(), src); break;
      case 0x40: next = w.or(old(), src); break;
      case 0x50: next = w.and(old(), src); break;
      case 0xa0: next = w.xor(old(), src); break;
      case 0xe0: next = src; break;
      default: next = m.select(w.eq(old(), reg(0)), src, old());
    }
    const out: Expr[] = [m.local.set(oldLocal, w.load(0, 1, a())), w.store(0, 1, a(), next)];
    if (aop === 0xf1) out.push(this.set(0, widen(old())));
    else if (aop & 1) out.push(this.set(s, widen(old())));
    return out;
  }

  private alu64(pc: number): Expr {
    const { m, code } = this;
    const op = code.op[pc] & 0xf0;
    const x = code.op[pc] & 0x08;
    const d = code.dst[pc];
    const a = this.get(d);
    const b = x ? this.get(code.src[pc]) : this.imm64(pc);
    const signed = code.off[pc] === 1;
    switch (op) {
      case 0x00: return m.i64.add(a, b);
      case 0x10: return m.i64.sub(a, b);
      case 0x20: return m.i64.mul(a, b);
      case 0x40: return m.i64.or(a, b);
      case 0x50: return m.i64.and(a, b);
      case 0xa0: return m.i64.xor(a, b);
      case 0x60: return m.i64.shl(a, b);
      case 0x70: return m.i64.shr_u(a, b);
      case 0xc0: return m.i64.shr_s(a, b);
      case 0x80: return m.i64.sub(k64(m, 0, 0), a);
      case 0x30: case 0x90: return this.divmod64(op === 0x90, signed, a, b, d);
      case 0xb0: {
        if (!x) return b;
        const w = code.off[pc];
        return w === 8 ? m.i64.extend8_s(b) : w === 16 ? m.i64.extend16_s(b) : w === 32 ? m.i64.extend32_s(b) : b;
      }
      case 0xd0: return this.swap(code.imm[pc], a);
    }
    throw new Error(`alu64 opcode 0x${code.op[pc].toString(16)} at ${pc}`);
  }

  private divmod64(mod: boolean, signed: boolean, a: Expr, b: Expr, d: number): Expr {
    const { m } = this;
    const div = (): Expr => m.local.get(T, i64);
    const setB = m.local.set(T, b);
    const zero = m.i64.eqz(div());
    const minus1 = m.i64.eq(div(), k64(m, -1, -1));
    let result: Expr;
    if (!signed) result = m.if(zero, mod ? this.get(d) : k64(m, 0, 0), mod ? m.i64.rem_u(a, div()) : m.i64.div_u(a, div()));
    else if (mod) result = m.if(zero, this.get(d), m.if(minus1, k64(m, 0, 0), m.i64.rem_s(a, div())));
    else result = m.if(zero, k64(m, 0, 0), m.if(minus1, m.i64.sub(k64(m, 0, 0), this.get(d)), m.i64.div_s(a, div())));
    return m.block(null, [setB, result], i64);
  }

  private alu32(pc: number): Expr {
    const { m, code } = this;
    const op = code.op[pc] & 0xf0;
    const x = code.op[pc] & 0x08;
    const d = code.dst[pc];
    const a = this.lo(d);
    const b = x ? this.lo(code.src[pc]) : m.i32.const(code.imm[pc]);
    const signed = code.off[pc] === 1;
    const z = (v: Expr): Expr => m.i64.extend_u(v);
    switch (op) {
      case 0x00: return z(m.i32.add(a, b));
      case 0x10: return z(m.i32.sub(a, b));
      case 0x20: return z(m.i32.mul(a, b));
      case 0x40: return z(m.i32.or(a, b));
      case 0x50: return z(m.i32.and(a, b));
      case 0xa0: return z(m.i32.xor(a, b));
      case 0x60: return z(m.i32.shl(a, b));
      case 0x70: return z(m.i32.shr_u(a, b));
      case 0xc0: return z(m.i32.shr_s(a, b));
      case 0x80: return z(m.i32.sub(m.i32.const(0), a));
      case 0x30: case 0x90: {
        const div = (): Expr => m.local.get(S, i32);
        const zero = m.i32.eqz(div());
        const minus1 = m.i32.eq(div(), m.i32.const(-1));
        const mod = op === 0x90;
        let r: Expr;
        if (!signed) r = m.if(zero, mod ? this.lo(d) : m.i32.const(0), mod ? m.i32.rem_u(a, div()) : m.i32.div_u(a, div()));
        else if (mod) r = m.if(zero, this.lo(d), m.if(minus1, m.i32.const(0), m.i32.rem_s(a, div())));
        else r = m.if(zero, m.i32.const(0), m.if(minus1, m.i32.sub(m.i32.const(0), this.lo(d)), m.i32.div_s(a, div())));
        return z(m.block(null, [m.local.set(S, b), r], i32));
      }
      case 0xb0: {
        if (!x) return k64(m, code.imm[pc], 0);
        const w = code.off[pc];
        return z(w === 8 ? m.i32.extend8_s(b) : w === 16 ? m.i32.extend16_s(b) : b);
      }
      case 0xd0: {
        const bits = code.imm[pc];
        if (x) return this.swap(bits, this.get(d)); // to big endian: a byte swap on this little-endian machine
        return bits === 16 ? m.i64.and(this.get(d), k64(m, 0xffff, 0)) : bits === 32 ? z(a) : this.get(d);
      }
    }
    throw new Error(`alu32 opcode 0x${code.op[pc].toString(16)} at ${pc}`);
  }

  private bswap32(v: Expr, tmp: number): Expr {
    const { m } = this;
    const t = (): Expr => m.local.get(tmp, i32);
    const swapped = m.i32.or(m.i32.shr_u(m.i32.and(t(), m.i32.const(0xff00ff00 | 0)), m.i32.const(8)), m.i32.shl(m.i32.and(t(), m.i32.const(0x00ff00ff)), m.i32.const(8)));
    return m.block(null, [m.local.set(tmp, v), m.i32.rotl(swapped, m.i32.const(16))], i32);
  }

  private swap(bits: number, v: Expr): Expr {
    const { m } = this;
    if (bits === 16) {
      return m.block(null, [m.local.set(T, v), m.i64.or(m.i64.shl(m.i64.and(m.local.get(T, i64), k64(m, 0xff, 0)), k64(m, 8, 0)), m.i64.and(m.i64.shr_u(m.local.get(T, i64), k64(m, 8, 0)), k64(m, 0xff, 0)))], i64);
    }
    if (bits === 32) return m.i64.extend_u(this.bswap32(m.i32.wrap(v), S));
    return m.block(null, [
      m.local.set(T, v),
      m.i64.or(
        m.i64.shl(m.i64.extend_u(this.bswap32(m.i32.wrap(m.local.get(T, i64)), S)), k64(m, 32, 0)),
        m.i64.extend_u(this.bswap32(m.i32.wrap(m.i64.shr_u(m.local.get(T, i64), k64(m, 32, 0))), A)),
      ),
    ], i64);
  }

  private condition(pc: number): Expr {
    const { m, code } = this;
    const op = code.op[pc];
    const x = op & 0x08;
    const cond = op & 0xf0;
    const d = code.dst[pc];
    if ((op & 7) === 0x05) {
      const a = this.get(d);
      const b = x ? this.get(code.src[pc]) : this.imm64(pc);
      switch (cond) {
        case 0x10: return m.i64.eq(a, b);
        case 0x50: return m.i64.ne(a, b);
        case 0x40: return m.i64.ne(m.i64.and(a, b), k64(m, 0, 0));
        case 0x20: return m.i64.gt_u(a, b);
        case 0x30: return m.i64.ge_u(a, b);
        case 0xa0: return m.i64.lt_u(a, b);
        case 0xb0: return m.i64.le_u(a, b);
        case 0x60: return m.i64.gt_s(a, b);
        case 0x70: return m.i64.ge_s(a, b);
        case 0xc0: return m.i64.lt_s(a, b);
        case 0xd0: return m.i64.le_s(a, b);
      }
    } else {
      const a = this.lo(d);
      const b = x ? this.lo(code.src[pc]) : m.i32.const(code.imm[pc]);
      switch (cond) {
        case 0x10: return m.i32.eq(a, b);
        case 0x50: return m.i32.ne(a, b);
        case 0x40: return m.i32.ne(m.i32.and(a, b), m.i32.const(0));
        case 0x20: return m.i32.gt_u(a, b);
        case 0x30: return m.i32.ge_u(a, b);
        case 0xa0: return m.i32.lt_u(a, b);
        case 0xb0: return m.i32.le_u(a, b);
        case 0x60: return m.i32.gt_s(a, b);
        case 0x70: return m.i32.ge_s(a, b);
        case 0xc0: return m.i32.lt_s(a, b);
        case 0xd0: return m.i32.le_s(a, b);
      }
    }
    throw new Error(`jump opcode 0x${op.toString(16)} at ${pc}`);
  }
}
