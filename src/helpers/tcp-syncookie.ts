import { ERRNO } from '../errors/errno.js';
import type { HelperCall, HelperSpec } from '../vm/helper.js';
import { jiffies64, KERNEL_HZ, type HelperServices } from './services.js';
import { checkSyncookie, IPV6_MSS_DEFAULT, makeSyncookie, SYNCOOKIE_PERIOD_S, TCP_MSS_DEFAULT, tcpMssOption, type CookieHeaders } from './syncookie.js';

const IPV4_HEADER = 20;
const IPV6_HEADER = 40;
const TCP_HEADER = 20;
/** struct tcphdr: doff is the high nibble of byte 12. */
const TCP_DOFF_BYTE = 12;

/**
 * tcp_cookie_time: the cookie counter, jiffies / (60 * HZ) as a u32, from the clock bpf_jiffies64
 * reads, so a test that moves the runtime's clock ages cookies as minutes pass on a kernel.
 */
export function syncookieCount(s: HelperServices): number {
  return Number((jiffies64(s.clock) / BigInt(SYNCOOKIE_PERIOD_S * KERNEL_HZ)) & 0xffffffffn);
}

/**
 * The raw SYN cookie helpers (net/core/filter.c), which need no listening socket:
 * bpf_tcp_raw_gen_syncookie_ipv4/ipv6 (204, 205) and bpf_tcp_raw_check_syncookie_ipv4/ipv6
 * (206, 207), for XDP SYN proxies. Cookies are made with the runtime's keys (SyncookieSecret,
 * see syncookie.ts): equal to the kernel's in structure, not in value.
 *
 * The verifier lets a program pass only memory it may read: the IP header's fixed size and
 * `th_len` bytes (gen) or the 20-byte TCP header (check). xdpchain checks the same at the call
 * and ends the run with a fault naming the helper when the memory is not there.
 */
export function tcpSyncookieHelpers(s: HelperServices): HelperSpec[] {
  const headers = (c: HelperCall, family: 4 | 6, tcpLength: number): CookieHeaders => ({
    family,
    dv: c.space.dv,
    ip: c.space.check(c.addr(1), family === 4 ? IPV4_HEADER : IPV6_HEADER),
    tcp: c.space.check(c.addr(2), tcpLength),
  });

  // Returns the cookie in the low 32 bits and its MSS above them; -EINVAL unless th_len is the
  // header's own length (doff * 4, at least 20).
  const gen = (family: 4 | 6) => (c: HelperCall) => {
    const thLen = c.lo(3);
    const h = headers(c, family, thLen);
    if (thLen < TCP_HEADER || thLen !== (h.dv.getUint8(h.tcp + TCP_DOFF_BYTE) >>> 4) * 4) return -ERRNO.EINVAL;
    const mss = tcpMssOption(h.dv, h.tcp, thLen) || (family === 4 ? TCP_MSS_DEFAULT : IPV6_MSS_DEFAULT);
    const made = makeSyncookie(s.syncookies, h, mss, syncookieCount(s));
    return (BigInt(made.mss) << 32n) | BigInt(made.cookie);
  };

  // 0 for an ACK that acknowledges a valid cookie, else -EACCES.
  const check = (family: 4 | 6) => (c: HelperCall) => (checkSyncookie(s.syncookies, headers(c, family, TCP_HEADER), syncookieCount(s)) > 0 ? 0 : -ERRNO.EACCES);

  return [
    { id: 204, name: 'bpf_tcp_raw_gen_syncookie_ipv4', fn: gen(4) },
    { id: 205, name: 'bpf_tcp_raw_gen_syncookie_ipv6', fn: gen(6) },
    { id: 206, name: 'bpf_tcp_raw_check_syncookie_ipv4', fn: check(4) },
    { id: 207, name: 'bpf_tcp_raw_check_syncookie_ipv6', fn: check(6) },
  ];
}
