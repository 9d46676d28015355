import type { ProgramStats } from '../runtime/program.js';
import type { LoadEdits } from '../object-spec/edit.js';
import type { RoutingState } from '../xdp/routing.js';
import type { NetdevStats } from '../xdp/netdev.js';
import type { RxMetadataOp } from '../xdp/rx-metadata.js';

/** Everything a state directory remembers between invocations, as JSON. */
export interface StateSnapshot {
  version: 1;
  /** Per-CPU map layouts depend on it, so it is fixed when the directory is created. */
  possibleCpus: number;
  ids: { nextProgram: number; nextMap: number; nextLink: number };
  /** Objects by sha256: where they came from; the bytes are in objects/<sha256>.o. */
  objects: Record<string, { source: string }>;
  collections: CollectionState[];
  netdevs: NetdevState[];
  routing: RoutingState;
  chains: { prev: number; retcode: number; next: number }[];
  attachments: { ifindex: number; program: number }[];
  links: LinkState[];
  /**
   * State kept by StateExtensions, by key: multi-program hooks (dispatcher, mprog) by ifindex,
   * captures, the conntrack table (`conntrack`: SavedConntrackEntry[]), the SYN cookie keys
   * (`syncookies`: 16 u32 words, once drawn); owned by their writers.
   */
  hooks?: Record<string, unknown>;
}

export interface CollectionState {
  object: string;
  /** What the loader changed before load (map sizes, globals, program type), applied again on restore. */
  edits?: LoadEdits;
  /** `ifindex`: the device a program was bound to (loaded again bound to it). */
  programs: Record<
    string,
    { id: number; stats: ProgramStats; loadedAt: string; flags?: number; ifindex?: number; target?: { program: number; function: string } }
  >;
  maps: Record<string, { id: number; entries: { key: string; value: string }[] }>;
  /**
   * The BTF its CO-RE relocations were applied against when one was given (`--btf`): its bytes
   * are kept in btf/<sha256>.btf, so a restore relocates the same way even if the file changed.
   */
  kernelBtf?: { sha: string; source: string };
}

export interface NetdevState {
  name: string;
  ifindex: number;
  peer?: string;
  mac: string;
  mtu: number;
  stats: NetdevStats;
  /** The RX metadata kfuncs the device implements, and RX VLAN offload (absent: none, off). */
  rxMetadata?: RxMetadataOp[];
  rxVlanStrip?: boolean;
}

export type LinkState =
  { id: number; kind: 'xdp'; program: number; ifindex: number; pin?: string } | { id: number; kind: 'freplace'; program: number; pin?: string };

export const emptySnapshot = (possibleCpus: number): StateSnapshot => ({
  version: 1,
  possibleCpus,
  ids: { nextProgram: 1, nextMap: 1, nextLink: 1 },
  objects: {},
  collections: [],
  netdevs: [],
  routing: { routes: [], neighbours: [], forwarding4: [], forwardingAll4: false, forwarding6: false },
  chains: [],
  attachments: [],
  links: [],
});
