import type { ByteMask, FlowOptions, Layer } from '../../src/index.js';

/**
 * A corpus of third-party XDP objects: which programs to run, configured as each project's own
 * loader configures them, on which packets. Paths are relative to the manifest's directory.
 * The kernel's answers (`--record`) are written to `<manifest dir>/golden/<object id>.json`.
 */
export interface CorpusManifest {
  /** How to get the objects when they are missing (shown with the missing paths). */
  requires?: string;
  objects: CorpusObject[];
}

/** One object file and how its project's loader sets it up. */
export interface CorpusObject {
  /** Project the object comes from (report grouping), e.g. `katran`. */
  project: string;
  /** Object path, relative to the manifest or absolute (an object a package installs). */
  object: string;
  /** Unique id (golden file name); default: `<project>/<object file name without .o>`. */
  id?: string;
  /** Why this configuration: which loader code the sizes and values come from. */
  notes?: string;
  programs: CorpusProgram[];
  /** max_entries the loader sets before load, by map name (global data: section name). */
  maxEntries?: Record<string, number>;
  /** Global variables the loader sets before load, by BTF variable name (`name+offset` allowed). */
  globals?: Record<string, Bytes>;
  /** Map updates the loader applies after load (the scenario). */
  setup?: MapSetup[];
  /** Maps whose contents depend on time or randomness, or are too big to dump: not compared. */
  ignoreMaps?: string[];
  /** Single entries that hold a time or random value (by map, the keys): not compared. */
  ignoreKeys?: Record<string, Bytes[]>;
  /**
   * Bytes of one packet's output frame (by packet name) that differ on every kernel run, each
   * with its reason: a SYN cookie, a timestamp from the kernel's clock. Not compared; a mask with
   * `checksum: true` hides a checksum over them, which must still be right on both sides.
   * (ByteMask in src/packet/mask.ts: offset from the start of the output, length, why.)
   */
  ignoreBytes?: Record<string, ByteMask[]>;
  /** Packets every program of the object runs (after the standard set, unless `standard: false`). */
  packets?: PacketSpec[];
}

/** One program: it alone (plus `alsoLoad`) is loaded; every other program is off. */
export interface CorpusProgram {
  name: string;
  /** Force BPF_PROG_TYPE_XDP (legacy section names such as `prog` or `xdp_sock`). */
  type?: 'xdp';
  /** Other programs to load with it (tail-call targets); they are loaded with the same type. */
  alsoLoad?: string[];
  /** Extra map updates for this program (after the object's). */
  setup?: MapSetup[];
  /** Extra packets for this program. */
  packets?: PacketSpec[];
  /** Run the standard packet set (IPv4 TCP/UDP/ICMP, IPv6 TCP/UDP, VLAN IPv4 UDP)? Default true. */
  standard?: boolean;
  /**
   * A negative test: the kernel refuses this program with this errno (e.g. `EACCES` from the
   * verifier). Its answers are not compared (xdpchain has no verifier yet).
   */
  kernelRefuses?: string;
}

/** A map update: key and value as bytes; per-CPU maps may give one value per CPU. */
export type MapSetup =
  | { map: string; key: Bytes; value: Bytes }
  | { map: string; key: Bytes; values: Bytes[] }
  /** prog_array slot pointing at a program of the same object (loaded via alsoLoad). */
  | { map: string; key: Bytes; program: string }
  /**
   * u32 keys `first` .. `first + count - 1` get `values` in turn: a consistent-hash ring filled
   * the way a load balancer's userspace fills it, without listing every slot.
   */
  | { map: string; fill: { first: number; count: number }; values: Bytes[] };

/**
 * Bytes, either as hex (`"0a000001"`) or as a list of typed fields concatenated in order; numbers
 * without `be` are little-endian (host order here).
 */
export type Bytes = string | BytesField[];

export type BytesField =
  | { hex: string }
  | { u8: number }
  | { u16: number }
  | { u32: number }
  | { u64: number | string }
  | { be16: number }
  | { be32: number }
  | { ipv4: string }
  | { ipv6: string }
  | { mac: string }
  /** n zero bytes (padding). */
  | { zero: number };

/** A test packet and optional xdp_md input. */
export type PacketSpec = (
  | { name: string; hex: string }
  /** One of the standard kinds (`ipv4-udp`, `vlan-ipv4-udp`, `ipv6-tcp`, … see src/packet/kinds.ts). */
  | { name?: string; kind: string }
  /** A flow builder from src/packet/kinds.ts with options (ports, addresses, VLAN tags). */
  | { name: string; flow: FlowKind; options?: FlowOptions }
  /** Explicit layers, outermost first (src/packet/layers.ts). */
  | { name: string; layers: Layer[]; padTo?: number }
) & {
  ctx?: { ingressIfindex?: number; rxQueueIndex?: number; dataMeta?: number };
  repeat?: number;
};

/** The flow builders a PacketSpec can name. */
export type FlowKind = 'ipv4-udp' | 'ipv4-tcp-syn' | 'ipv4-icmp' | 'ipv6-udp' | 'ipv6-tcp' | 'ipv6-icmp';
