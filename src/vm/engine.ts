import type { InstructionSite } from '../errors/index.js';
import type { DecodedProgram } from '../isa/program.js';
import type { AddressSpace } from './address-space.js';
import type { BatchDriver, BatchLayout } from './batch.js';
import type { HelperTable } from './helper.js';
import type { RunState } from './run-state.js';
import type { ModuleStore } from './module-store.js';

export type EngineName = 'interp' | 'wasm';

/** A source position from BTF line info, used to name the line in every fault. */
export interface SourceLocation {
  file: string;
  line: number;
  column?: number;
  text?: string;
}

/**
 * What an engine compiles: a decoded program whose `ld_imm64` map and global-data references
 * are already resolved to plain constants (pseudo 0). Only BPF_PSEUDO_FUNC (4) remains, because
 * function addresses belong to the engine's code registry.
 */
export interface ExecutableSpec {
  readonly name: string;
  readonly program: DecodedProgram;
  readonly helpers: HelperTable;
  /** Kernel functions by the id the loader put in each kfunc call's `imm`; called as helpers are. */
  readonly kfuncs?: HelperTable;
  /** Source line of an instruction slot, when BTF line info exists. */
  sourceOf?(insn: number): SourceLocation | undefined;
  /**
   * Conformance-suite convention: `callx` with a register holding a small helper id calls that
   * helper (the upstream vectors rely on it). Off for XDP programs, where only function
   * addresses are valid callx targets.
   */
  readonly callxHelperIds?: boolean;
  /**
   * The layout of an array map by its handle, so an engine may do `bpf_map_lookup_elem` on it
   * inline (address arithmetic) instead of calling the helper.
   */
  arrayLayout?(handle: number): ArrayLayout | undefined;
  /** A ring buffer by its handle, so an engine may reserve records and answer queries inline. */
  ringLayout?(handle: number): RingLayout | undefined;
  /** An LPM trie's prefix table by its handle, so an engine may look keys up inline. */
  lpmLayout?(handle: number): LpmLayout | undefined;
  /** The memory index of a hash map by its handle, so an engine may look keys up inline. */
  hashLayout?(handle: number): HashLayout | undefined;
  /** Where a program array keeps its slots' nodes, so an engine may tail-call without the helper. */
  tailCallLayout?(handle: number): SlotLayout | undefined;
  /** A perf event array's slots by its handle, so an engine may refuse an output to an empty slot inline. */
  perfEventLayout?(handle: number): SlotLayout | undefined;
  /** A devmap, cpumap or xskmap by its handle, so an engine may do bpf_redirect_map inline. */
  redirectLayout?(handle: number): RedirectLayout | undefined;
  /** Address of a u32 that always holds the running CPU (bpf_get_smp_processor_id inline). */
  readonly cpuCell?: number;
  /** How an XDP context and its frame are laid out, so an engine may run the frame helpers inline. */
  readonly xdpContext?: XdpContextLayout;
  /**
   * Address of the program's run count (an f64), so an engine that calls it directly as a
   * replacement (freplace) counts the run itself.
   */
  readonly runCounter?: number;
}

/**
 * Where an array map keeps its values: element i of CPU c at base + (i·cpus + c)·stride. For a
 * per-CPU array, `cpuCell` is the address of a u32 that always holds the running CPU.
 */
export interface ArrayLayout {
  base: number;
  stride: number;
  maxEntries: number;
  cpus: number;
  cpuCell?: number;
  valueSize: number;
  /** Offset of a bpf_spin_lock in the value, which updates never copy (engines leave those to the helper). */
  lockOffset?: number;
  /** Frozen (.rodata): programs only read it, so engines leave updates to the helper, which refuses them. */
  readOnly?: boolean;
}

/**
 * Where the frame helpers (adjust_head/meta/tail, get_buff_len) find what they change: offsets
 * in the context of data, data_end, data_meta and of two u32 no program can reach (the frame's
 * first byte, the fragment count), and the frame's geometry.
 */
export interface XdpContextLayout {
  data: number;
  dataEnd: number;
  dataMeta: number;
  hardStart: number;
  frags: number;
  /** A u32 adjust_tail clears: the frame may hold bytes past data_end (src/xdp/buffer.ts `receive`). */
  loadedEnd: number;
  /** Where the redirect helpers record their target, and the codes they use (src/xdp/constants.ts). */
  redirect: {
    kind: number;
    target: number;
    key: number;
    flags: number;
    ifindexKind: number;
    mapKind: number;
    /** XDP_REDIRECT and XDP_ABORTED. */
    redirectAction: number;
    abortedAction: number;
  };
  /** Bytes at the frame's start that adjust_head/adjust_meta may not reach (xdp_frame). */
  frameDescriptor: number;
  frameSize: number;
  /** Bytes at the frame's end that adjust_tail may not grow into (skb_shared_info). */
  tailroom: number;
  ethHlen: number;
  metadataMax: number;
}

/**
 * A hash map's memory index (src/maps/hash-index.ts): `mask + 1` entries of [u32 FNV-1a hash,
 * u32 slot + 1] at `table` (0 empty, 0xffffffff removed), probed linearly; slot s's key at
 * keys + s·keySize; its value for CPU c at values + (s·cpus + c)·stride (c from `cpuCell` for a
 * per-CPU map, else 0).
 */
export interface HashLayout {
  table: number;
  mask: number;
  keys: number;
  keySize: number;
  values: number;
  stride: number;
  cpus: number;
  cpuCell?: number;
}

/**
 * An LPM trie's prefixes as compiled code scans them (src/maps/lpm-trie.ts): at `table` a u32
 * count, then `count` entries of `entryStride` bytes, longest prefix first: u32 prefix length,
 * u32 value slot, the prefix's data. A count above `maxScan` means: ask the host. A slot's value
 * is at values + slot·stride.
 */
export interface LpmLayout {
  table: number;
  entryStride: number;
  keySize: number;
  maxScan: number;
  values: number;
  stride: number;
}

/**
 * A ring buffer (src/maps/ringbuf.ts): `size` bytes of records at `data` (mapped twice), the
 * producer and consumer positions as f64 at `positions` and `positions + 8`.
 */
export interface RingLayout {
  data: number;
  size: number;
  positions: number;
}

/**
 * An indexed object map's slots (src/maps/object-slots.ts): the u32 at base + 4·i is 0 when slot
 * i is empty; in a program array, the node + 1 of its program.
 */
export interface SlotLayout {
  base: number;
  maxEntries: number;
}

/** A redirect map's slots, and what bpf_redirect_map records and allows for it. */
export interface RedirectLayout extends SlotLayout {
  mapId: number;
  /** Flag bits bpf_redirect_map accepts for this map type (others give XDP_ABORTED). */
  allowedFlags: number;
  /** BPF_F_BROADCAST, and the flags' low bits: the action when the slot is empty. */
  broadcastFlag: number;
  actionMask: number;
}

/** Where instruction `insn` of a program is, with its source line when BTF line info has it (for faults). */
export function instructionSite(spec: ExecutableSpec, insn: number): InstructionSite {
  const site: InstructionSite = { program: spec.name, insn };
  const source = spec.sourceOf?.(insn);
  if (source) site.source = source;
  return site;
}

/** A compiled program ready to run. Function addresses are `functionAddress(exe.uid, slot)`. */
export interface Executable {
  readonly uid: number;
  readonly engine: EngineName;
  readonly spec: ExecutableSpec;
  /**
   * Run from slot 0 with r1 (and r2) set; returns r0 as an unsigned 64-bit value.
   * Throws VmFault on out-of-bounds access, budget exhaustion, call depth > 8, bad callx.
   */
  run(state: RunState, r1: bigint | number, r2?: bigint | number): bigint;
  /**
   * The XDP hot path: r1 is a 32-bit address (the context), the result r0's low 32 bits.
   * Same semantics as `run`, without a BigInt per call.
   */
  runU32(state: RunState, r1: number): number;
  /**
   * freplace: calls to the global function at `slot` go to `replacement` (its slot 0) until
   * cleared with null. The replacement runs as a callee frame of the caller.
   */
  replaceFunction(slot: number, replacement: Executable | null): void;
  /** Build the machine code now, for engines that compile on first run (so timings exclude it). */
  prepare?(): void;
}

export interface EngineOptions {
  space: AddressSpace;
  /** Maps function addresses to executables for callx and bpf_loop callbacks. */
  registry: CodeRegistry;
  /**
   * Packets a batch entry runs before the engine compiles the programs it reaches into one
   * module with the driver (0: from the first batch; Infinity: never; default: in proportion
   * to their instructions). Compiling costs time once and saves time on every packet after.
   */
  graphAfterPackets?: number;
  /** Where an engine that generates code keeps it between processes (src/vm/module-store.ts); none: generate every time. */
  moduleStore?: ModuleStore;
}

export interface ExecutionEngine {
  readonly name: EngineName;
  compile(spec: ExecutableSpec): Executable;
  /** A driver that runs many packets per call (engines that compile; others run packet by packet). */
  batchDriver?(layout: BatchLayout): BatchDriver;
}

/**
 * Function "addresses" are tagged values outside the data address space (never accessible),
 * so they survive being stored in maps and globals and can be recognised by callx.
 */
export const FUNCTION_ADDRESS_BASE = 0x7f00_0000_0000;
const SLOT_SPACE = 1 << 20;

export function functionAddress(uid: number, slot: number): number {
  return FUNCTION_ADDRESS_BASE + uid * SLOT_SPACE * 8 + slot * 8;
}

export function decodeFunctionAddress(addr: bigint | number): { uid: number; slot: number } | undefined {
  const v = typeof addr === 'bigint' ? (addr >= 0n && addr < 2n ** 53n ? Number(addr) : -1) : addr;
  if (v < FUNCTION_ADDRESS_BASE || (v - FUNCTION_ADDRESS_BASE) % 8 !== 0) return undefined;
  const rel = (v - FUNCTION_ADDRESS_BASE) / 8;
  return { uid: Math.floor(rel / SLOT_SPACE), slot: rel % SLOT_SPACE };
}

/** Every live executable by uid, so a function address can be resolved across programs. */
export class CodeRegistry {
  private nextUid = 1;
  private readonly byUid = new Map<number, Executable>();

  allocateUid(): number {
    return this.nextUid++;
  }
  register(exe: Executable): void {
    this.byUid.set(exe.uid, exe);
  }
  unregister(exe: Executable): void {
    this.byUid.delete(exe.uid);
  }
  get(uid: number): Executable | undefined {
    return this.byUid.get(uid);
  }
  /** The executable and function entry an address names, if it is one. */
  resolve(addr: bigint | number): { exe: Executable; slot: number } | undefined {
    const d = decodeFunctionAddress(addr);
    if (!d) return undefined;
    const exe = this.byUid.get(d.uid);
    if (!exe || !exe.spec.program.functionEntries.includes(d.slot)) return undefined;
    return { exe, slot: d.slot };
  }
}
