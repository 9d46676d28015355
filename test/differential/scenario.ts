import type { ConntrackEntryText } from '../../src/conntrack/request.js';
import type { ByteMask } from '../../src/packet/mask.js';

/**
 * A differential scenario: one program of one of our objects, run on a list of packets, each
 * on a fresh load (so map state from one packet does not leak into the next). The kernel's
 * answers are recorded in `test/golden/<scenario>.json`; xdpchain must give the same ones.
 */
export interface Scenario {
  /** Unique; also the golden file name. */
  name: string;
  /** Object path relative to the repository root, e.g. `progs/build/firewall.o`. */
  object: string;
  /** Program (function) name inside the object. */
  program: string;
  /** Map updates applied after load and before the packet runs. */
  setup?: MapUpdate[];
  packets: PacketCase[];
  /** Maps whose contents depend on the machine (time, randomness) and are not compared. */
  ignoreMaps?: string[];
  /** Network namespace state that helpers like fib_lookup see (routes, neighbours, links). */
  netns?: NetnsSetup;
  /**
   * Record the namespace's conntrack table after the run (`conntrack -L`, added): each entry's
   * line without the seconds left, which depend on when the dump ran.
   */
  recordConntrack?: boolean;
}

export type MapUpdate =
  /** Bytes as hex strings; `values` gives one value per possible CPU for percpu maps. */
  | { map: string; key: string; value: string }
  | { map: string; key: string; values: string[] }
  /** prog_array slot → another program of the same object. */
  | { map: string; key: string; program: string };

export interface PacketCase {
  /** Packet kind, e.g. `ipv4-udp`, `vlan-ipv4-udp`, `arp`, `min-14`, `max-3520`, `malformed-ipv4`. */
  name: string;
  /**
   * The frame as hex. With `ctx.dataMeta` = n > 0 the first n bytes are the metadata (the test-run
   * takes metadata and frame as one buffer), and `dataOut` likewise starts with the metadata.
   */
  data: string;
  /** `xdp_md` input fields (BPF_PROG_TEST_RUN ctx_in). */
  ctx?: { ingressIfindex?: number; rxQueueIndex?: number; /** metadata length in bytes */ dataMeta?: number };
  /** Test-run repeat count (default 1). */
  repeat?: number;
  /**
   * Output bytes not compared because they differ on every kernel run (a SYN cookie, made with
   * keys the kernel draws per boot), each with its reason; a masked checksum must still be
   * right. Golden files keep the kernel's real bytes; only the comparison leaves these out.
   */
  mask?: ByteMask[];
}

export interface NetnsSetup {
  /**
   * Shell-free description: links to create and routes/neighbours to add with `ip`. A link with a
   * `peer` is a veth pair, one without is a dummy device; all are brought up. IPv6 addresses are
   * added without duplicate address detection. `ifindex`/`peerIfindex`/`peerMac` (added for the
   * kernel oracle) pin the values a program sees, so results do not depend on creation order.
   */
  links: {
    name: string;
    peer?: string;
    addresses: string[];
    mac?: string;
    ifindex?: number;
    peerIfindex?: number;
    peerMac?: string;
  }[];
  /** Arguments of `ip route add`, e.g. `10.2.0.0/16 via 10.1.0.1 dev egress0`, `blackhole 10.9.0.0/16`. */
  routes: string[];
  neighbours: { address: string; mac: string; dev: string }[];
  /** sysctl settings inside the namespace, e.g. `{ 'net.ipv4.conf.all.forwarding': '1' }` (added). */
  sysctls?: Record<string, string>;
  /**
   * Conntrack entries to create before the program runs (added): `conntrack -I` on the kernel
   * (package conntrack), `runtime.conntrack.add` on xdpchain. TCP entries need `tcpState`, as the
   * conntrack tool insists. Timeouts tick from the moment they are created.
   */
  conntrack?: ConntrackEntryText[];
}

/** What the kernel (and xdpchain) produced for one packet. */
export type CaseResult =
  | {
      retval: number;
      /** Output frame as hex. */
      dataOut: string;
      /** Present when the case has `ctx` (the kernel's ctx_out: metadata length, ingress, queue). */
      ctxOut?: { dataMeta: number; ingressIfindex: number; rxQueueIndex: number };
      /** Every map of the object after the run (except ignored ones), entries sorted by key. */
      maps: Record<string, MapDump>;
      /** With `recordConntrack`: the conntrack table's lines, sorted (see `conntrackListing`). */
      conntrack?: string[];
    }
  /** The test-run itself was refused (e.g. EINVAL for a 13-byte packet). */
  | { error: string };

export type MapDump = { key: string; value?: string; values?: string[] }[];

export interface GoldenFile {
  scenario: string;
  object: string;
  program: string;
  /** sha256 of the object the kernel ran: a rebuilt object must be re-recorded. */
  objectSha256: string;
  kernel: string;
  bpftool: string;
  possibleCpus: number;
  recorded: string;
  cases: { packet: string; result: CaseResult }[];
}
