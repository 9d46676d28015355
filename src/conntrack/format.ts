import type { ConntrackEntry } from './entry.js';
import { IPS, statusNames, type StatusName } from './status.js';
import type { ConntrackTable } from './table.js';
import { formatAddress, formatTuple, IP_CT_DIR_ORIGINAL, IPPROTO_TCP, IPPROTO_UDP, NFPROTO_IPV6, ZONE_DIR_BOTH, type ConntrackTuple } from './tuple.js';

/** enum tcp_conntrack by value, as the conntrack tool names the states (9 is its SYN_SENT2). */
export const TCP_STATE_NAMES = [
  'NONE',
  'SYN_SENT',
  'SYN_RECV',
  'ESTABLISHED',
  'FIN_WAIT',
  'CLOSE_WAIT',
  'LAST_ACK',
  'TIME_WAIT',
  'CLOSE',
  'SYN_SENT2',
] as const;

/** The value of a TCP state name (`LISTEN` is 9 too), or undefined. */
export function tcpStateValue(name: string): number | undefined {
  const upper = name.toUpperCase();
  if (upper === 'LISTEN') return 9;
  const i = (TCP_STATE_NAMES as readonly string[]).indexOf(upper);
  return i < 0 ? undefined : i;
}

/** The conntrack tool's name of a protocol number. */
export function protocolName(protonum: number): string {
  return protonum === IPPROTO_TCP ? 'tcp' : protonum === IPPROTO_UDP ? 'udp' : 'unknown';
}

/** One direction of an entry, for JSON. */
export interface TupleRecord {
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

/** An entry as `xdpchain conntrack list --json` prints it. */
export interface ConntrackRecord {
  id: number;
  family: 'ipv4' | 'ipv6';
  proto: string;
  protonum: number;
  /** Whole seconds left. */
  timeout: number;
  /** TCP state name (TCP entries only). */
  state?: string;
  original: TupleRecord;
  reply: TupleRecord;
  status: StatusName[];
  mark: number;
  zone: { id: number; dir: number };
  use: number;
}

function tupleRecord(t: ConntrackTuple): TupleRecord {
  return { src: formatAddress(t.l3num, t.src), dst: formatAddress(t.l3num, t.dst), sport: t.sport, dport: t.dport };
}

/** An entry for JSON output. */
export function conntrackRecord(table: ConntrackTable, e: ConntrackEntry): ConntrackRecord {
  return {
    id: e.id,
    family: e.original.l3num === NFPROTO_IPV6 ? 'ipv6' : 'ipv4',
    proto: protocolName(e.original.protonum),
    protonum: e.original.protonum,
    timeout: table.secondsLeft(e),
    ...(e.original.protonum === IPPROTO_TCP ? { state: tcpStateName(e.tcpState) } : {}),
    original: tupleRecord(e.original),
    reply: tupleRecord(e.reply),
    status: statusNames(e.status),
    mark: e.mark,
    zone: { id: e.zone.id, dir: e.zone.dir },
    use: e.use,
  };
}

function tcpStateName(state: number): string {
  return TCP_STATE_NAMES[state] ?? String(state);
}

/**
 * An entry as `conntrack -L` prints it: protocol, seconds left, TCP state, both tuples with
 * [UNREPLIED] before the reply one until a reply was seen, [ASSURED], mark, the zone (per
 * direction when it applies to one direction only, as ctnetlink reports it) and the use count.
 */
export function conntrackLine(table: ConntrackTable, e: ConntrackEntry): string {
  const o = e.original;
  const zone = (dir: number, label: string): string => (e.zone.id !== 0 && e.zone.dir === dir ? `${label}=${e.zone.id} ` : '');
  return [
    `${protocolName(o.protonum).padEnd(8)} ${o.protonum} ${table.secondsLeft(e)} `,
    o.protonum === IPPROTO_TCP ? `${tcpStateName(e.tcpState)} ` : '',
    `${formatTuple(o)} `,
    zone(1 << IP_CT_DIR_ORIGINAL, 'zone-orig'),
    e.status & IPS.SEEN_REPLY ? '' : '[UNREPLIED] ',
    `${formatTuple(e.reply)} `,
    zone(2, 'zone-reply'),
    e.status & IPS.ASSURED ? '[ASSURED] ' : '',
    `mark=${e.mark} `,
    zone(ZONE_DIR_BOTH, 'zone'),
    `use=${e.use}`,
  ].join('');
}
