import type { Btf } from '../btf/types.js';
import type { CoreRelocation } from '../btf/core/relocation.js';
import type { RawInstruction } from '../isa/raw.js';

/** Program types we know by name (kernel enum bpf_prog_type values in parentheses). */
export type ProgramType = 'xdp' | 'sched_cls' | 'ext' | 'socket_filter' | 'unspec';

/** Expected attach type, from the section name (`xdp/devmap` → 'xdp_devmap'). */
export type AttachType = 'xdp' | 'xdp_devmap' | 'xdp_cpumap' | 'tcx_ingress' | 'tcx_egress' | 'none';

/**
 * What an `ld_imm64` or call at `slot` refers to, resolved only when the program is loaded
 * (maps and global data do not exist until then).
 */
export type ProgramReference =
  /** ld_imm64 → the map itself (BPF_PSEUDO_MAP_FD). */
  | { slot: number; kind: 'map'; map: string }
  /** ld_imm64 → address of a map value + offset: global data (.data/.rodata/.bss/.kconfig). */
  | { slot: number; kind: 'map-value'; map: string; offset: number }
  /**
   * call → a function outside this object, by name: a kernel function (kfunc), or a BPF function
   * of another object that static linking supplies (src/link). Fails at load unless resolved.
   */
  | { slot: number; kind: 'kfunc'; name: string }
  /** ld_imm64 → address of an extern kernel symbol (ksym); fails at load unless known. */
  | { slot: number; kind: 'ksym'; name: string };

/** BTF func info: a function starts at `slot`, described by BTF type `typeId` (a FUNC). */
export interface FuncInfo {
  slot: number;
  typeId: number;
  name: string;
  /** The function's ELF symbol is weak: a strong definition in another object replaces it when linking. */
  weak?: boolean;
}

/** BTF line info: `slot` was compiled from `file:line:column`, whose text is `text`. */
export interface LineInfo {
  slot: number;
  file: string;
  line: number;
  column: number;
  text: string;
}

export type { CoreRelocation, CoreRelocationKind } from '../btf/core/relocation.js';

/** libxdp metadata from `.xdp_run_config`: run priority and the actions that continue the chain. */
export interface XdpRunConfig {
  priority: number;
  /** Return codes (0..4 for XDP actions) on which the dispatcher runs the next program. */
  chainCallActions: number[];
}

/**
 * A program as parsed from an object file: plain, editable data with no live state.
 * `instructions` holds the entry function followed by every subprogram it reaches, with
 * bpf-to-bpf call offsets already fixed up (libbpf's layout).
 */
export interface ProgramSpec {
  name: string;
  sectionName: string;
  type: ProgramType;
  attachType: AttachType;
  /** For `freplace/NAME`: the global function of a target program this one replaces. */
  attachTo?: string;
  /** Load flags, e.g. BPF_F_XDP_HAS_FRAGS (1 << 5) for `xdp.frags`, BPF_F_XDP_DEV_BOUND_ONLY (1 << 6). */
  flags: number;
  /**
   * The device to load the program for (the kernel's prog_ifindex, libbpf's
   * bpf_program__set_ifindex). With BPF_F_XDP_DEV_BOUND_ONLY the program is bound to it: it may
   * call the XDP RX metadata kfuncs, and runs on that device only.
   */
  ifindex?: number;
  instructions: RawInstruction[];
  references: ProgramReference[];
  license: string;
  /** Kernel version from the `version` section (legacy), 0 when absent. */
  kernelVersion: number;
  funcInfo: FuncInfo[];
  lineInfo: LineInfo[];
  /** CO-RE relocations, by slot; absent or empty when the object has none. */
  coreRelocations?: CoreRelocation[];
  /** BTF of the object the program came from (shared by every program of the object). */
  btf?: Btf;
  runConfig?: XdpRunConfig;
  /** Warnings raised while parsing (e.g. legacy section names). */
  warnings: string[];
}
