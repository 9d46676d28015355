import { XdpchainError } from '../errors/index.js';
import { EtherType, IpProto } from '../packet/layers.js';

/**
 * What a device tells XDP programs about a received frame through the RX metadata kfuncs
 * (bpf_xdp_metadata_rx_timestamp/_hash/_vlan_tag), the way a driver's xdp_metadata_ops do.
 *
 * A device lists the kfuncs it implements; a device-bound program calling one it does not gets
 * the kernel's default, -EOPNOTSUPP. For a frame that came from the wire (injected) the device
 * answers from what it recorded: the capture timestamp (0 when the frame had none, as veth
 * answers for an skb without a hardware stamp), an RSS hash, and the outer VLAN tag when the
 * device strips tags. A frame that reached the device as an XDP frame (a peer's XDP_TX, a
 * redirect) has no such record, and every kfunc answers -ENODATA, as veth's do.
 */

/** The RX metadata kfuncs a device may implement. */
export type RxMetadataOp = 'timestamp' | 'hash' | 'vlan';
export const RX_METADATA_OPS: readonly RxMetadataOp[] = ['timestamp', 'hash', 'vlan'];

/** Parse `timestamp,hash,vlan` (any subset, in any order). */
export function parseRxMetadataOps(text: string): RxMetadataOp[] {
  const ops = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const op of ops) {
    if (!(RX_METADATA_OPS as readonly string[]).includes(op)) {
      throw new XdpchainError('EINVAL', `unknown RX metadata "${op}": a device can give ${RX_METADATA_OPS.join(', ')}`);
    }
  }
  return RX_METADATA_OPS.filter((op) => ops.includes(op));
}

/** enum xdp_rss_hash_type bits. */
export const XdpRss = {
  L3_IPV4: 1,
  L3_IPV6: 2,
  L3_DYNHDR: 4,
  L4: 8,
  L4_TCP: 16,
  L4_UDP: 32,
  L4_SCTP: 64,
} as const;

/** What the device recorded for a frame it took off the wire. */
export interface RxRecord {
  /** Capture time in ns (0: none). */
  timestampNs: bigint;
  /** RSS hash and its enum xdp_rss_hash_type. */
  hash: number;
  rssType: number;
  /** The outer tag the device stripped from the frame: TPID (0x8100 or 0x88a8) and TCI. */
  vlan?: { proto: number; tci: number };
}

/** The metadata a frame in an XDP buffer comes with. */
export interface RxMetadata {
  /** The kfuncs the receiving device implements. */
  readonly ops: ReadonlySet<RxMetadataOp>;
  /** Absent for a frame that arrived as an XDP frame: the device has nothing to tell (-ENODATA). */
  readonly record?: RxRecord;
}

/**
 * The 40-byte Toeplitz key xdpchain's devices hash with: the one Microsoft's RSS specification
 * verifies implementations against (and many NICs ship as their default), so hashes can be
 * checked against published values.
 */
export const RSS_KEY = Uint8Array.from([
  0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb,
  0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
]);

/** The Toeplitz hash of `input` under `key` (at least input.length + 4 bytes of key). */
export function toeplitzHash(input: Uint8Array, key: Uint8Array = RSS_KEY): number {
  let result = 0;
  // The 32-bit window of the key that lines up with the current input bit.
  let window = ((key[0] << 24) | (key[1] << 16) | (key[2] << 8) | key[3]) >>> 0;
  for (let i = 0; i < input.length; i++) {
    for (let bit = 7; bit >= 0; bit--) {
      if ((input[i] >> bit) & 1) result = (result ^ window) >>> 0;
      const next = key[i + 4] ?? 0;
      window = ((window << 1) | ((next >> bit) & 1)) >>> 0;
    }
  }
  return result;
}

/** The RSS hash and type of a frame, as a NIC hashing IPv4/IPv6 addresses and TCP/UDP/SCTP ports computes it. */
export function rssHash(frame: Uint8Array): { hash: number; rssType: number } {
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const none = { hash: 0, rssType: 0 };
  let off = 12;
  if (frame.length < 14) return none;
  let etherType = dv.getUint16(off);
  for (let tags = 0; tags < 2 && (etherType === EtherType.VLAN || etherType === EtherType.QinQ); tags++) {
    if (frame.length < off + 6) return none;
    off += 4;
    etherType = dv.getUint16(off);
  }
  off += 2;
  const ports = (at: number): Uint8Array | undefined => (frame.length >= at + 4 ? frame.subarray(at, at + 4) : undefined);
  const hashed = (l3: Uint8Array, l3Type: number, proto: number | undefined, l4At: number, dynamic: boolean): { hash: number; rssType: number } => {
    const l4 = proto === IpProto.TCP ? XdpRss.L4_TCP : proto === IpProto.UDP ? XdpRss.L4_UDP : proto === SCTP ? XdpRss.L4_SCTP : 0;
    const p = l4 ? ports(l4At) : undefined;
    const dyn = dynamic ? XdpRss.L3_DYNHDR : 0;
    if (!p) return { hash: toeplitzHash(l3), rssType: l3Type | dyn };
    return { hash: toeplitzHash(Uint8Array.from([...l3, ...p])), rssType: l3Type | dyn | XdpRss.L4 | l4 };
  };
  if (etherType === EtherType.IPv4) {
    if (frame.length < off + 20 || frame[off] >> 4 !== 4) return none;
    const ihl = (frame[off] & 0x0f) * 4;
    const fragmented = (dv.getUint16(off + 6) & 0x3fff) !== 0;
    const addresses = frame.subarray(off + 12, off + 20);
    // A fragment's ports are not hashed (only the first carries them); options change nothing else.
    return hashed(addresses, XdpRss.L3_IPV4, fragmented ? undefined : frame[off + 9], off + ihl, false);
  }
  if (etherType === EtherType.IPv6) {
    if (frame.length < off + 40 || frame[off] >> 4 !== 6) return none;
    let next = frame[off + 6];
    let l4At = off + 40;
    let extended = false;
    if (next === IpProto.HopByHop || next === IpProto.Routing || next === IpProto.DestOptions) {
      if (frame.length < l4At + 2) return { hash: toeplitzHash(frame.subarray(off + 8, off + 40)), rssType: XdpRss.L3_IPV6 | XdpRss.L3_DYNHDR };
      next = frame[l4At];
      l4At += (frame[l4At + 1] + 1) * 8;
      extended = true;
    }
    return hashed(frame.subarray(off + 8, off + 40), XdpRss.L3_IPV6, next, l4At, extended);
  }
  return none;
}

const SCTP = 132;

/**
 * What a device records for a frame taking it off the wire, and the frame XDP then sees: with
 * `stripVlan` an outer 802.1Q/802.1ad tag is removed and kept in the record, as NICs with RX VLAN
 * offload (and veth, for an skb carrying its tag outside the data) present it.
 */
export function receiveRecord(frame: Uint8Array, opts: { timestampNs?: bigint; stripVlan?: boolean }): { frame: Uint8Array; record: RxRecord } {
  let seen = frame;
  let vlan: RxRecord['vlan'];
  if (opts.stripVlan && frame.length >= 18) {
    const tpid = (frame[12] << 8) | frame[13];
    if (tpid === EtherType.VLAN || tpid === EtherType.QinQ) {
      vlan = { proto: tpid, tci: (frame[14] << 8) | frame[15] };
      seen = new Uint8Array(frame.length - 4);
      seen.set(frame.subarray(0, 12));
      seen.set(frame.subarray(16), 12);
    }
  }
  const { hash, rssType } = rssHash(frame);
  return { frame: seen, record: { timestampNs: opts.timestampNs ?? 0n, hash, rssType, ...(vlan ? { vlan } : {}) } };
}

/** The frame with a stripped tag put back after the MAC addresses (what the stack and a capture see on XDP_PASS). */
export function withVlanTag(frame: Uint8Array, vlan: { proto: number; tci: number }): Uint8Array {
  if (frame.length < 12) return frame;
  const out = new Uint8Array(frame.length + 4);
  out.set(frame.subarray(0, 12));
  out.set([vlan.proto >> 8, vlan.proto & 0xff, vlan.tci >> 8, vlan.tci & 0xff], 12);
  out.set(frame.subarray(12), 16);
  return out;
}
