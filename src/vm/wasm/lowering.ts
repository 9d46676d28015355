import { CALL, CALLX, classOf, InsnClass, isAtomicFetch, isLegacyLoad, LD_IMM64, PseudoCall } from '../../isa/opcodes.js';
import type { Code } from '../interp/code.js';
import { GRANULE_SHIFT, OFFSET_MASK, ROOM_MASK } from '../address-space.js';
import { ERRNO } from '../../errors/errno.js';
import { inFrame } from './access-groups.js';
import { FaultCode, Scratch } from './abi.js';
import { i32, i64, none, type Expr, type ValType } from './emit/expr.js';
import type { WasmModule } from './emit/module.js';

/** Local indices: r1..r5 and the frame depth are parameters; the rest are locals. */
export const DEPTH = 5;
export const R0 = 6;
export const R10 = 11;
export const A = 12;
export const S = 13;
export const T = 14;
export const U = 15;
export const LABEL = 16;
/** i32 locals holding whether an access group's range check passed (src/vm/wasm/access-groups.ts). */
export const GROUP_FLAGS = [17, 18, 19, 20];
/** The locals after the parameters (R0 onwards), by type. */
export const PROGRAM_VARS: ValType[] = [i64, i64, i64, i64, i64, i64, i32, i32, i64, i64, i32, ...GROUP_FLAGS.map(() => i32)];
/** `(r1..r5: i64, depth: i32)`: every compiled eBPF function's parameters. */
export const PROGRAM_PARAMS: readonly ValType[] = [i64, i64, i64, i64, i64, i32];
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

/** A function entry's replacement compiled into the same module: its f0, and its index in `fns` (what `ovf<slot>` holds while wired to it). */
export interface KnownReplacement {
  fn: string;
  index: number;
}

/**
 * Helpers that have a lowering here, by name with their ids. A lowering is attached to its
 * helper's spec (HelperSpec.wasm, in src/helpers/) and still checks, with `calls`, that the call
 * is the helper it compiles: both id and name must match (tables may give an id to another
 * helper, as the conformance suite's does).
 */
const INLINE_HELPERS = {
  bpf_map_lookup_elem: 1,
  bpf_map_update_elem: 2,
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
/** A helper that may compile inline (INLINE_HELPERS). */
export type InlineHelper = keyof typeof INLINE_HELPERS;

/**
 * What lowering an eBPF program's instructions needs: the module and program, the registers as
 * locals, checked memory addresses, host calls, and what the block being lowered knows. The
 * inline helper lowerings (inline-maps.ts, inline-xdp.ts) and FunctionGen build on it.
 */
export class Lowering {
  readonly sc: number;
  constructor(
    readonly m: WasmModule,
    readonly code: Code,
    readonly layout: CodegenLayout,
    readonly ns: string,
    readonly known: ReadonlyMap<number, KnownReplacement>,
  ) {
    this.sc = layout.scratch;
  }

  /**
   * r1's and r2's values where the block has just set them to constants: a map handle before a
   * helper call, a callback's address before bpf_loop.
   */
  r1: number | undefined;
  r2: number | undefined;
  get(r: number): Expr {
    return this.m.local.get(regLocal(r), i64);
  }
  set(r: number, v: Expr): Expr {
    return this.m.local.set(regLocal(r), v);
  }
  lo(r: number): Expr {
    return this.m.i32.wrap(this.get(r));
  }
  hi(r: number): Expr {
    return this.m.i32.wrap(this.m.i64.shr_u(this.get(r), this.m.i64.const(32, 0)));
  }
  /** A u32 argument as helpers read it: 0xffffffff when the value does not fit in 32 bits. */
  u32Arg(r: number): Expr {
    return this.m.select(this.hi(r), this.m.i32.const(-1), this.lo(r));
  }
  imm64(pc: number): Expr {
    const v = this.code.imm[pc];
    return this.m.i64.const(v, v >> 31);
  }
  /** Whether the call at `pc` is to that helper (id and name). */
  calls(pc: number, name: InlineHelper): boolean {
    const h = this.code.helpers[pc];
    return h?.id === INLINE_HELPERS[name] && h.name === name;
  }
  /** r0 = -errno, sign-extended, as a helper returning a negative int gives it. */
  errno(name: 'EINVAL' | 'E2BIG' | 'EEXIST' | 'EACCES' | 'EFAULT' | 'ENOENT'): Expr {
    return this.set(0, this.m.i64.const(-ERRNO[name], -1));
  }
  /** The element of `index` in a map with `cpus` values per index: index·cpus + the running CPU for a per-CPU map. */
  perCpuIndex(index: Expr, layout: { cpus: number; cpuCell?: number }): Expr {
    const { m } = this;
    return layout.cpuCell === undefined ? index : m.i32.add(m.i32.mul(index, m.i32.const(layout.cpus)), m.i32.load(0, 4, m.i32.const(layout.cpuCell)));
  }
  /**
   * The shadow-table entry of the granule holding `addr` (i32): bytes from the start of the
   * address's 1 GiB block to its region's end (saturated), bit 31 set when read-only (src/vm/address-space.ts).
   */
  shadowEntry(addr: Expr): Expr {
    const { m } = this;
    return m.i32.load(0, 4, m.i32.shl(m.i32.shr_u(addr, m.i32.const(GRANULE_SHIFT)), m.i32.const(2)));
  }
  /** `addr`'s offset in its 1 GiB block, which a shadow entry counts from. */
  blockOffset(addr: Expr): Expr {
    return this.m.i32.and(addr, this.m.i32.const(OFFSET_MASK));
  }
  /** The address space's limit (at most 2^32) as an i64. */
  limit(): Expr {
    return this.m.i64.const(this.layout.limit % 2 ** 32, Math.floor(this.layout.limit / 2 ** 32));
  }
  /** A = the XDP context of the packet running (0 when the run has none). */
  loadRunContext(): Expr {
    return this.m.local.set(A, this.m.i32.load(0, 4, this.m.i32.const(this.sc + Scratch.ctx)));
  }
  /** The u32 at offset `off` of the context in A. */
  ctxField(off: number): Expr {
    const { m } = this;
    return m.i32.load(0, 4, m.i32.add(m.local.get(A, i32), m.i32.const(off)));
  }

  fault(kind: number, pc: number, x: Expr, y: Expr, z: Expr): Expr {
    return this.m.call(this.ns + 'fault', [this.m.i32.const(kind), this.m.i32.const(pc), x, y, z], none);
  }

  /** Members of the block's access groups, by slot: the local holding their group's check. */
  groupFlag = new Map<number, number>();

  /**
   * Checked address of `base + off` for `size` bytes, left in local A. r10 with an offset inside
   * its frame needs no check: r10 is read-only (the decoder refuses writes to it) and always the
   * top of this call's frame, in the stack region. A member of an access group whose range check
   * passed needs none either.
   */
  address(pc: number, base: number, size: number, write: boolean): Expr[] {
    const { m } = this;
    const off = this.code.off[pc];
    if (inFrame(base, off, size)) return [m.local.set(A, m.i32.add(m.i32.wrap(this.get(10)), m.i32.const(off)))];
    const flag = this.groupFlag.get(pc);
    if (flag !== undefined) {
      return [
        m.if(
          m.local.get(flag, i32),
          m.local.set(A, m.i32.add(m.i32.wrap(this.get(base)), m.i32.const(off))),
          m.block(null, this.checkedAddress(pc, base, size, write), none),
        ),
      ];
    }
    return this.checkedAddress(pc, base, size, write);
  }

  checkedAddress(pc: number, base: number, size: number, write: boolean): Expr[] {
    const { m } = this;
    const off = this.code.off[pc];
    const report = (): Expr =>
      this.fault(
        FaultCode.memory,
        pc,
        m.i32.wrap(m.local.get(T, i64)),
        m.i32.wrap(m.i64.shr_u(m.local.get(T, i64), m.i64.const(32, 0))),
        m.i32.const(size | (write ? 0x100 : 0)),
      );
    const end = m.i32.add(this.blockOffset(m.local.get(A, i32)), m.i32.const(size));
    return [
      m.local.set(T, m.i64.add(this.get(base), m.i64.const(off, off >> 31))),
      m.if(m.i64.ge_u(m.local.get(T, i64), this.limit()), report()),
      m.local.set(A, m.i32.wrap(m.local.get(T, i64))),
      m.local.set(S, this.shadowEntry(m.local.get(A, i32))),
      // A read-only region has bit 31 set: signed, its room compares below any offset. The host
      // returns from `fault` when the access turns out allowed (a large region's chunk marked on
      // first touch), and the access goes on.
      m.if(write ? m.i32.gt_s(end, m.local.get(S, i32)) : m.i32.gt_u(end, m.i32.and(m.local.get(S, i32), m.i32.const(ROOM_MASK))), report()),
    ];
  }

  clearArgs(): Expr[] {
    return [1, 2, 3, 4, 5].map((r) => this.set(r, this.m.i64.const(0, 0)));
  }
  storeArgs(): Expr[] {
    return [1, 2, 3, 4, 5].map((r) => this.m.i64.store(0, 8, this.m.i32.const(this.sc + Scratch.args + (r - 1) * 8), this.get(r)));
  }
  loadR0(): Expr {
    return this.set(0, this.m.i64.load(0, 8, this.m.i32.const(this.sc + Scratch.r0)));
  }

  /** What is known of register `r` (1 or 2), `known` before the instruction at `pc`, after it. */
  constantAfter(pc: number, r: number, known: number | undefined): number | undefined {
    const { code } = this;
    const op = code.op[pc];
    if (op === LD_IMM64 && code.dst[pc] === r)
      return code.immHi[pc] >= 0 && code.immHi[pc] < 0x200000 ? code.immHi[pc] * 4294967296 + (code.imm[pc] >>> 0) : undefined;
    const cls = classOf(op);
    if (isLegacyLoad(op)) return undefined; // ld_abs/ld_ind clear r1..r5
    const writesDst = cls === InsnClass.ALU || cls === InsnClass.ALU64 || cls === InsnClass.LDX || cls === InsnClass.LD;
    const atomicFetch = isAtomicFetch(op, code.imm[pc]) && code.src[pc] === r;
    if ((writesDst && code.dst[pc] === r) || atomicFetch || op === CALL || op === CALLX) return undefined;
    return known;
  }

  /**
   * Whether `size` bytes (an i32 expression, read as unsigned) at the address in register `r`
   * may be read (or written): `address`'s check, as a condition. A read-only region's shadow
   * entry has bit 31 set, so as a signed room it admits no write. False sends the call to the
   * host, which checks again exactly (a chunk of a large region not yet marked, a saturated entry).
   */
  readable(r: number, size: Expr, write = false): Expr {
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

  /** Set once a compiled hash lookup needs the module's `hash_find` function. */
  hashFindUsed = false;

  /** The entry strides of the LPM tables compiled lookups scan (one `lpm_find` each). */
  readonly lpmStrides = new Set<number>();

  /** Set once a compiled bpf_csum_diff needs the module's `csum_partial` function. */
  csumPartialUsed = false;

  hasLegacyLoads(): boolean {
    this.legacyLoads ??= this.code.op.some((op) => isLegacyLoad(op) && op !== 0);
    return this.legacyLoads;
  }
  private legacyLoads: boolean | undefined;

  /** Set once a compiled tail call needs the `f0ByNode` table. */
  tailCallsByNode = false;
  /** Whether a bpf-to-bpf call may go to a replacement (through the `fns` table). */
  get callsReplacements(): boolean {
    return this.code.op.some((op, pc) => op === CALL && this.code.src[pc] === PseudoCall.LOCAL);
  }

  mapHandles: number[] | undefined;

  helperCallViaHost(pc: number): Expr[] {
    const { m } = this;
    const status = m.call(this.ns + 'helper', [m.i32.const(pc), m.local.get(DEPTH, i32)], i32);
    const call = this.code.helpers[pc]?.tailCall ? m.if(status, m.return(m.i64.load(0, 8, m.i32.const(this.sc + Scratch.r0)))) : m.drop(status);
    return [...this.storeArgs(), call, this.loadR0(), ...this.clearArgs()];
  }
}
