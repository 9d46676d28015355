import { XdpchainError } from '../errors/index.js';
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '../packet/bytes.js';

/** Address families as the kernel numbers them (`nf_conntrack_man.l3num`). */
export const NFPROTO_IPV4 = 2;
/** AF_INET6. */
export const NFPROTO_IPV6 = 10;
/** The protocols conntrack's kfuncs take. */
export const IPPROTO_TCP = 6;
/** UDP. */
export const IPPROTO_UDP = 17;

/** Index of `nf_conn.tuplehash`, and the `dir` the lookup kfunc reports. */
export const IP_CT_DIR_ORIGINAL = 0;
/** The reply direction. */
export const IP_CT_DIR_REPLY = 1;

/**
 * One direction of a connection, as `struct nf_conntrack_tuple` holds it. Addresses are the
 * 16 bytes of `union nf_inet_addr` (an IPv4 address fills the first 4; the kernel compares all
 * 16), ports are numbers in host order.
 */
export interface ConntrackTuple {
  readonly l3num: number;
  readonly protonum: number;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly sport: number;
  readonly dport: number;
  /** The direction this tuple describes (0 original, 1 reply); not part of its identity. */
  readonly dir: number;
}

/**
 * A conntrack zone: connections in different zones never match. `dir` says which directions
 * the id applies to (bit 0 original, bit 1 reply); in the others the entry is in zone 0.
 */
export interface ConntrackZone {
  readonly id: number;
  readonly flags: number;
  readonly dir: number;
}

/** NF_CT_ZONE_DIR_ORIG | NF_CT_ZONE_DIR_REPL. */
export const ZONE_DIR_BOTH = 3;
/** nf_ct_zone_dflt: zone 0 in both directions. */
export const DEFAULT_ZONE: ConntrackZone = { id: 0, flags: 0, dir: ZONE_DIR_BOTH };

/** The zone id an entry has in direction `dir` (the kernel's nf_ct_zone_id). */
export function zoneIdIn(zone: ConntrackZone, dir: number): number {
  return zone.dir & (1 << dir) ? zone.id : 0;
}

/**
 * A string equal for two tuples exactly when the kernel's nf_ct_tuple_equal holds: one UTF-16
 * unit per 16 bits of the compared fields (built without byte-to-hex work: lookups make one per
 * packet).
 */
export function tupleKey(t: ConntrackTuple): string {
  const s = t.src;
  const d = t.dst;
  return String.fromCharCode(
    t.l3num,
    t.protonum,
    t.sport,
    t.dport,
    (s[0] << 8) | s[1],
    (s[2] << 8) | s[3],
    (s[4] << 8) | s[5],
    (s[6] << 8) | s[7],
    (s[8] << 8) | s[9],
    (s[10] << 8) | s[11],
    (s[12] << 8) | s[13],
    (s[14] << 8) | s[15],
    (d[0] << 8) | d[1],
    (d[2] << 8) | d[3],
    (d[4] << 8) | d[5],
    (d[6] << 8) | d[7],
    (d[8] << 8) | d[9],
    (d[10] << 8) | d[11],
    (d[12] << 8) | d[13],
    (d[14] << 8) | d[15],
  );
}

/** nf_ct_tuple_equal: both directions' addresses, ports and protocols (not `dir`). */
export function tupleEqual(a: ConntrackTuple, b: ConntrackTuple): boolean {
  return tupleKey(a) === tupleKey(b);
}

/**
 * The tuple of the other direction (the kernel's nf_ct_invert_tuple): addresses and ports swap.
 * For IPv4 only the 4 address bytes are carried over, the rest of each union stays zero.
 */
export function invertTuple(t: ConntrackTuple): ConntrackTuple {
  const width = t.l3num === NFPROTO_IPV4 ? 4 : t.l3num === NFPROTO_IPV6 ? 16 : 0;
  const src = new Uint8Array(16);
  const dst = new Uint8Array(16);
  src.set(t.dst.subarray(0, width));
  dst.set(t.src.subarray(0, width));
  return { l3num: t.l3num, protonum: t.protonum, src, dst, sport: t.dport, dport: t.sport, dir: t.dir ? 0 : 1 };
}

/** Build a tuple from address text (IPv4 or IPv6, both the same family) and ports. */
export function tupleFromText(protonum: number, src: string, dst: string, sport: number, dport: number): ConntrackTuple {
  const s = parseAddress(src);
  const d = parseAddress(dst);
  if (s.l3num !== d.l3num) throw new XdpchainError('EINVAL', `source ${src} and destination ${dst} are not the same address family`);
  for (const [name, port] of [
    ['source', sport],
    ['destination', dport],
  ] as const) {
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new XdpchainError('EINVAL', `${name} port ${port} is not a number from 0 to 65535`);
  }
  return { l3num: s.l3num, protonum, src: s.bytes, dst: d.bytes, sport, dport, dir: IP_CT_DIR_ORIGINAL };
}

function parseAddress(text: string): { l3num: number; bytes: Uint8Array } {
  const bytes = new Uint8Array(16);
  if (text.includes(':')) {
    bytes.set(parseIpv6(text));
    return { l3num: NFPROTO_IPV6, bytes };
  }
  bytes.set(parseIpv4(text));
  return { l3num: NFPROTO_IPV4, bytes };
}

/** An address as the conntrack tool prints it. */
export function formatAddress(l3num: number, addr: Uint8Array): string {
  return l3num === NFPROTO_IPV6 ? formatIpv6(addr) : formatIpv4(addr.subarray(0, 4));
}

/** `src=10.0.0.1 dst=10.0.0.2 sport=1000 dport=80`, the conntrack tool's form. */
export function formatTuple(t: ConntrackTuple): string {
  return `src=${formatAddress(t.l3num, t.src)} dst=${formatAddress(t.l3num, t.dst)} sport=${t.sport} dport=${t.dport}`;
}
