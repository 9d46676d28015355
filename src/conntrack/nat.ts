import { ERRNO } from '../errors/errno.js';
import { XdpchainError } from '../errors/index.js';
import { parseIpv4, parseIpv6 } from '../packet/bytes.js';
import type { ConntrackEntry } from './entry.js';
import { IPS, IPS_NAT_MASK } from './status.js';
import type { ConntrackTable } from './table.js';
import { invertTuple, IP_CT_DIR_ORIGINAL, IPPROTO_UDP, NFPROTO_IPV4, NFPROTO_IPV6, tupleEqual, zoneIdIn, type ConntrackTuple } from './tuple.js';

/** enum nf_nat_manip_type. Any other value is treated as DST, except where the kernel tests for DST itself. */
export const NF_NAT_MANIP_SRC = 0;
/** The other enum nf_nat_manip_type value. */
export const NF_NAT_MANIP_DST = 1;
/** NF_NAT_MAX_ATTEMPTS: ports tried per round when a mapping clashes. */
const MAX_ATTEMPTS = 128;

/**
 * A NAT mapping of one address and at most one port (struct nf_nat_range2 with min == max):
 * without an address it is the null binding ctnetlink sets up for the manipulation not asked for.
 */
export interface NatRange {
  /** The 16 bytes of union nf_inet_addr; undefined: NF_NAT_RANGE_MAP_IPS clear. */
  addr?: Uint8Array;
  /** Host order; undefined: NF_NAT_RANGE_PROTO_SPECIFIED clear. */
  port?: number;
}

/**
 * bpf_ct_set_nat_info on an allocated entry: the kernel's nf_nat_setup_info with a range of one
 * address (and one port when `port` > 0; the port is cut to 16 bits). The reply tuple becomes the
 * inverse of the translated original, SRC_NAT/DST_NAT is set when the tuple changed and
 * SRC_NAT_DONE/DST_NAT_DONE always. Returns 0, -EINVAL for an entry of another family, or -ENOMEM
 * when that manipulation was already set up (the kernel's NF_DROP).
 */
export function setNatInfo(table: ConntrackTable, ct: ConntrackEntry, addr: Uint8Array, port: number, manip: number): number {
  const l3 = ct.original.l3num;
  if (l3 !== NFPROTO_IPV4 && l3 !== NFPROTO_IPV6) return -ERRNO.EINVAL;
  return setupNat(table, ct, { addr: Uint8Array.from(addr), ...(port > 0 ? { port: port & 0xffff } : {}) }, manip);
}

/** nf_nat_setup_info on an entry not yet confirmed: 0, or -ENOMEM when `manip` was already set up. */
export function setupNat(table: ConntrackTable, ct: ConntrackEntry, range: NatRange, manip: number): number {
  if (ct.status & IPS.CONFIRMED) return 0;
  const isSrc = manip === NF_NAT_MANIP_SRC;
  if (ct.status & (isSrc ? IPS.SRC_NAT_DONE : IPS.DST_NAT_DONE)) return -ERRNO.ENOMEM;
  const current = invertTuple(ct.reply);
  const next = uniqueTuple(table, ct, current, range, manip);
  if (!tupleEqual(next, current)) {
    table.alterReply(ct, invertTuple(next));
    ct.status |= isSrc ? IPS.SRC_NAT : IPS.DST_NAT;
  }
  if (isSrc) table.addBysource(ct);
  ct.status |= manip === NF_NAT_MANIP_DST ? IPS.DST_NAT_DONE : IPS.SRC_NAT_DONE;
  return 0;
}

/** get_unique_tuple: the translated original tuple. */
function uniqueTuple(table: ConntrackTable, ct: ConntrackEntry, orig: ConntrackTuple, range: NatRange, manip: number): ConntrackTuple {
  const isSrc = manip === NF_NAT_MANIP_SRC;
  if (isSrc) {
    // 1) Keep the tuple, or reuse the mapping another connection from this source already has.
    if (inRange(orig, range)) {
      if (!usedTupleNew(table, orig, ct)) return orig;
    } else {
      const mapped = appropriateSource(table, ct, orig, range);
      if (mapped && !usedTuple(table, mapped, ct)) return mapped;
    }
  }
  // 2) The one address of the range.
  let t = orig;
  if (range.addr) t = isSrc ? { ...orig, src: Uint8Array.from(range.addr) } : { ...orig, dst: Uint8Array.from(range.addr) };
  // 3) The port, when it is not already in range and unique.
  if (range.port !== undefined) {
    if (portOf(t, isSrc) === range.port) return t;
  } else if (!usedTuple(table, t, ct)) {
    return t;
  }
  t = uniquePort(table, ct, t, range, manip);
  return t;
}

const portOf = (t: ConntrackTuple, isSrc: boolean): number => (isSrc ? t.sport : t.dport);

/** nf_in_range: the tuple's source address (and port) is the range's, where the range gives them. */
function inRange(t: ConntrackTuple, range: NatRange): boolean {
  const width = t.l3num === NFPROTO_IPV4 ? 4 : 16;
  if (range.addr) for (let i = 0; i < width; i++) if (t.src[i] !== range.addr[i]) return false;
  return range.port === undefined || t.sport === range.port;
}

/** nf_nat_used_tuple: would the reply of this mapping be another entry's tuple? */
function usedTuple(table: ConntrackTable, t: ConntrackTuple, ct: ConntrackEntry): boolean {
  return table.tupleTaken(invertTuple(t), ct);
}

/**
 * nf_nat_used_tuple_new: as usedTuple, but a UDP flow (which may clash and be resolved later)
 * that only meets its own reverse, neither of them translated, is not a clash.
 */
function usedTupleNew(table: ConntrackTable, t: ConntrackTuple, ct: ConntrackEntry): boolean {
  if (!usedTuple(table, t, ct)) return false;
  if (t.protonum !== IPPROTO_UDP) return true;
  const usesNat = IPS_NAT_MASK | IPS.SEQ_ADJUST;
  if (ct.status & usesNat) return true;
  const found = table.find(t, ct.zone) ?? table.find(invertTuple(t), ct.zone);
  if (!found) return false;
  if (found.dir !== 1 || found.entry.status & usesNat) return true;
  return !(tupleEqual(found.entry.original, ct.reply) && tupleEqual(found.entry.reply, ct.original));
}

/**
 * find_appropriate_src: the source another connection from the same address and port (same
 * protocol and zone) is already mapped to, newest first, if it fits the range.
 */
function appropriateSource(table: ConntrackTable, ct: ConntrackEntry, orig: ConntrackTuple, range: NatRange): ConntrackTuple | undefined {
  const candidates = [...table.allEntries()].filter((e) => e.bysource > 0).sort((a, b) => b.bysource - a.bysource);
  for (const e of candidates) {
    const o = e.original;
    const same = o.protonum === orig.protonum && Buffer.compare(o.src, orig.src) === 0 && o.sport === orig.sport;
    if (!same || zoneIdIn(e.zone, IP_CT_DIR_ORIGINAL) !== zoneIdIn(ct.zone, IP_CT_DIR_ORIGINAL)) continue;
    const inverse = invertTuple(e.reply);
    const result: ConntrackTuple = { ...inverse, dst: orig.dst, dport: orig.dport, protonum: orig.protonum, dir: orig.dir };
    if (inRange(result, range)) return result;
  }
  return undefined;
}

/**
 * nf_nat_l4proto_unique_tuple for TCP and UDP: try ports from a random offset (from 0 for a
 * destination mapping) in the range, or in the privileged/unprivileged band of the current
 * port when no port was given; a destination port without a range is left alone.
 */
function uniquePort(table: ConntrackTable, ct: ConntrackEntry, t: ConntrackTuple, range: NatRange, manip: number): ConntrackTuple {
  const isSrc = manip === NF_NAT_MANIP_SRC;
  let min: number;
  let size: number;
  if (range.port === undefined) {
    if (manip === NF_NAT_MANIP_DST) return t;
    const port = portOf(t, isSrc);
    if (port < 512) [min, size] = [1, 511];
    else if (port < 1024) [min, size] = [600, 424];
    else [min, size] = [1024, 65535 - 1024 + 1];
  } else {
    [min, size] = [range.port, 1];
  }
  let off = manip !== NF_NAT_MANIP_DST ? table.random() & 0xffff : 0;
  let attempts = Math.min(size, MAX_ATTEMPTS);
  let candidate = t;
  for (;;) {
    for (let i = 0; i < attempts; i++, off = (off + 1) & 0xffff) {
      const port = min + (off % size);
      candidate = isSrc ? { ...t, sport: port } : { ...t, dport: port };
      if (!usedTuple(table, candidate, ct)) return candidate;
    }
    if (attempts >= size || attempts < 16) return candidate;
    attempts = Math.floor(attempts / 2);
    off = table.random() & 0xffff;
  }
}

/**
 * A NAT target as the conntrack tool takes it: `10.1.0.80`, `10.1.0.80:80`, `fd00::1`,
 * `[fd00::1]:80`; the address must be of the entry's family.
 */
export function parseNatTarget(text: string, l3num: number): NatRange {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text) ?? [text, text, undefined];
  const [, host, port] = m;
  const v6 = host.includes(':');
  if ((l3num === NFPROTO_IPV6) !== v6) throw new XdpchainError('EINVAL', `NAT address ${host} is not of the entry's address family`);
  const addr = new Uint8Array(16);
  addr.set(v6 ? parseIpv6(host) : parseIpv4(host));
  if (port === undefined) return { addr };
  const p = Number(port);
  if (p < 1 || p > 0xffff) throw new XdpchainError('EINVAL', `NAT port ${port} is not from 1 to 65535`);
  return { addr, port: p };
}
