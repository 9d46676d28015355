import { XdpchainError } from '../errors/index.js';
import { tcpStateValue } from './format.js';
import { parseNatTarget } from './nat.js';
import { parseStatusNames } from './status.js';
import type { ConntrackAddRequest } from './table.js';
import { IPPROTO_TCP, IPPROTO_UDP, tupleFromText, ZONE_DIR_BOTH } from './tuple.js';

/** Seconds a new entry lives when no timeout is given: the kernel's nf_conntrack_udp_timeout and _tcp_timeout_established. */
export const DEFAULT_TIMEOUT_S: Readonly<Record<number, number>> = { [IPPROTO_UDP]: 30, [IPPROTO_TCP]: 432000 };

/** An entry in the conntrack tool's terms (`conntrack -I -p tcp -s … -d … --sport … --dport … -t … -u … -m … -w …`). */
export interface ConntrackEntryText {
  /** tcp or udp. */
  proto: string;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /** Seconds (-t); default DEFAULT_TIMEOUT_S. */
  timeout?: number;
  /** Status bit names (-u), e.g. ['SEEN_REPLY', 'ASSURED']. */
  status?: readonly string[];
  mark?: number;
  /** TCP state name (--state), e.g. ESTABLISHED. */
  tcpState?: string;
  /** Zone id for both directions (-w). */
  zone?: number;
  /** `ip[:port]` (--dst-nat, --src-nat). */
  dstNat?: string;
  srcNat?: string;
}

/** tcp/udp (or their numbers) → IPPROTO_*; EINVAL for other protocols. */
export function protocolNumber(name: string): number {
  const p = name.toLowerCase();
  if (p === 'tcp' || p === '6') return IPPROTO_TCP;
  if (p === 'udp' || p === '17') return IPPROTO_UDP;
  throw new XdpchainError('EINVAL', `protocol ${name}: conntrack here tracks tcp and udp (the protocols the kfuncs take)`);
}

/** The table request for an entry described as the conntrack tool takes it; EINVAL naming what is wrong. */
export function addRequestFromText(t: ConntrackEntryText): ConntrackAddRequest {
  const protonum = protocolNumber(t.proto);
  const original = tupleFromText(protonum, t.src, t.dst, t.sport, t.dport);
  const status = parseStatusNames((t.status ?? []).join(','));
  if (typeof status !== 'number') throw new XdpchainError('EINVAL', `unknown status bit ${status.unknown} (SEEN_REPLY, ASSURED, FIXED_TIMEOUT, HELPER, ...)`);
  let tcpState: number | undefined;
  if (t.tcpState !== undefined) {
    if (protonum !== IPPROTO_TCP) throw new XdpchainError('EINVAL', 'a TCP state is for tcp entries');
    tcpState = tcpStateValue(t.tcpState);
    if (tcpState === undefined)
      throw new XdpchainError(
        'EINVAL',
        `${t.tcpState} is not a TCP conntrack state (NONE, SYN_SENT, SYN_RECV, ESTABLISHED, FIN_WAIT, CLOSE_WAIT, LAST_ACK, TIME_WAIT, CLOSE, SYN_SENT2)`,
      );
  }
  const mark = t.mark ?? 0;
  if (!Number.isInteger(mark) || mark < 0 || mark > 0xffffffff) throw new XdpchainError('EINVAL', `mark ${mark} is not a 32-bit unsigned number`);
  if (t.zone !== undefined && (!Number.isInteger(t.zone) || t.zone < 0 || t.zone > 0xffff))
    throw new XdpchainError('EINVAL', `zone ${t.zone} is not a 16-bit zone id`);
  return {
    original,
    timeout: t.timeout ?? DEFAULT_TIMEOUT_S[protonum],
    status,
    mark,
    ...(tcpState !== undefined ? { tcpState } : {}),
    ...(t.zone !== undefined ? { zone: { id: t.zone, flags: 0, dir: ZONE_DIR_BOTH } } : {}),
    ...(t.dstNat ? { dstNat: parseNatTarget(t.dstNat, original.l3num) } : {}),
    ...(t.srcNat ? { srcNat: parseNatTarget(t.srcNat, original.l3num) } : {}),
  };
}
