import { XdpchainError } from '../errors/index.js';
import { siphash24, type SipHashKey } from './siphash.js';

/**
 * TCP SYN cookies as the kernel makes them (net/ipv4/syncookies.c, net/ipv6/syncookies.c),
 * without a listening socket: the cookie is the server's initial sequence number,
 *
 *   hash(addresses, ports, 0, key 0) + client's seq + (count << 24)
 *     + ((hash(addresses, ports, count, key 1) + mss index) mod 2^24)
 *
 * where `count` is jiffies / (60 * HZ), a minute counter. A cookie checks out while the count
 * it carries is this minute's or the last one's (MAX_SYNCOOKIE_AGE), and then gives back the
 * MSS index, which must be one of the table's four.
 *
 * The hashes are SipHash-2-4 over the same bytes the kernel hashes, under keys drawn from the
 * runtime's random source on first use, where the kernel draws its own at random once per boot:
 * xdpchain's cookies are equal to the kernel's in structure (count bits, MSS index, validity
 * window, what a change of any input does) but not in value, unless given the kernel's keys.
 */

/** Bits of the cookie below the minute counter. */
export const COOKIE_BITS = 24;
const COOKIE_MASK = (1 << COOKIE_BITS) - 1;
/** A cookie is valid while the counter has moved on by less than this (2 minutes at most). */
export const MAX_SYNCOOKIE_AGE = 2;
/** Seconds per step of the cookie counter (TCP_SYNCOOKIE_PERIOD is 60 * HZ jiffies). */
export const SYNCOOKIE_PERIOD_S = 60;
/** The MSS values an IPv4 cookie can carry, by index (sorted: a SYN's MSS rounds down to one). */
export const MSS_TABLE_IPV4: readonly number[] = [536, 1300, 1440, 1460];
/** The IPv6 table: IPV6_MIN_MTU - 60, and 1480, 1500 and 9000 less 60. */
export const MSS_TABLE_IPV6: readonly number[] = [1220, 1420, 1440, 8940];
/** The MSS an IPv4 SYN without an MSS option gets (TCP_MSS_DEFAULT). */
export const TCP_MSS_DEFAULT = 536;
/** The MSS an IPv6 SYN without an MSS option gets: IPV6_MIN_MTU less the IPv6 and TCP headers. */
export const IPV6_MSS_DEFAULT = 1280 - 40 - 20;

/** Words of the four keys: IPv4 keys 0 and 1, then IPv6 keys 0 and 1, 4 u32 each. */
const SECRET_WORDS = 16;

/**
 * The runtime's SYN cookie keys (the kernel's syncookie_secret and syncookie6_secret). They are
 * drawn from the runtime's random source when a cookie is first made or checked, as the kernel
 * draws its own once, so a seeded runtime makes the same cookies on every run; `words`/`restore`
 * carry them across processes (the state directory), as they would live on in a running kernel.
 */
export class SyncookieSecret {
  private keys: SipHashKey[] | undefined;

  constructor(private readonly random: () => number) {}

  /** Whether the keys have been drawn (a state directory keeps them only then). */
  get drawn(): boolean {
    return this.keys !== undefined;
  }

  /** The key for `family` and hash `c` (0: the part every cookie of the flow shares, 1: the counted part). */
  key(family: 4 | 6, c: 0 | 1): SipHashKey {
    if (!this.keys) this.restore(Array.from({ length: SECRET_WORDS }, () => this.random() >>> 0));
    return this.keys![(family === 6 ? 2 : 0) + c];
  }

  /** The 16 key words, or undefined before any cookie was made. */
  words(): number[] | undefined {
    return this.keys?.flatMap((k) => [...k]);
  }

  /** Take keys saved by `words` (or chosen by a test). */
  restore(words: readonly number[]): void {
    if (words.length !== SECRET_WORDS || words.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)) {
      throw new XdpchainError('EINVAL', `SYN cookie secret: needs ${SECRET_WORDS} u32 words, got ${JSON.stringify(words)}`);
    }
    this.keys = [0, 1, 2, 3].map((k) => Uint32Array.from(words.slice(4 * k, 4 * k + 4)));
  }
}

/** Where a flow's headers are: an IPv4 or IPv6 header and a TCP header, in one memory. */
export interface CookieHeaders {
  family: 4 | 6;
  dv: DataView;
  ip: number;
  tcp: number;
}

/** struct tcphdr offsets. */
const TCP = { sport: 0, dport: 2, seq: 4, ackSeq: 8 } as const;

// Scratch for the hash input: up to 40 bytes (IPv6 addresses, count, ports), reused per call.
const input = new DataView(new ArrayBuffer(40));
const digest = new Uint32Array(2);

/**
 * Lay out the bytes the kernel hashes for this flow, without the count. IPv4 (siphash_4u32):
 * saddr, daddr, (sport << 16 | dport) as a host-order u32 of the network-order ports, count.
 * IPv6 (a packed struct): saddr, daddr, count, sport, dport. Returns the count's offset.
 */
function layFlow(h: CookieHeaders): number {
  const { dv, ip, tcp } = h;
  if (h.family === 4) {
    input.setUint32(0, dv.getUint32(ip + 12, true), true);
    input.setUint32(4, dv.getUint32(ip + 16, true), true);
    input.setUint16(8, dv.getUint16(tcp + TCP.dport, true), true);
    input.setUint16(10, dv.getUint16(tcp + TCP.sport, true), true);
    return 12;
  }
  for (let i = 0; i < 32; i += 4) input.setUint32(i, dv.getUint32(ip + 8 + i, true), true);
  input.setUint16(36, dv.getUint16(tcp + TCP.sport, true), true);
  input.setUint16(38, dv.getUint16(tcp + TCP.dport, true), true);
  return 32;
}

/** cookie_hash: the low 32 bits of SipHash of the flow with `count` under key `c`. */
function cookieHash(secret: SyncookieSecret, h: CookieHeaders, countAt: number, count: number, c: 0 | 1): number {
  input.setUint32(countAt, count >>> 0, true);
  return siphash24(secret.key(h.family, c), input, 0, h.family === 4 ? 16 : 40, digest)[0];
}

/** The table index a SYN's MSS rounds down to (index 0 also takes anything below its value). */
export function mssIndex(table: readonly number[], mss: number): number {
  let i = table.length - 1;
  while (i > 0 && mss < table[i]) i--;
  return i;
}

/**
 * __cookie_v4/v6_init_sequence: the cookie for a SYN with these headers, made at minute `count`,
 * carrying `mss` rounded down to the family's table. Returns the cookie and the MSS it carries.
 */
export function makeSyncookie(secret: SyncookieSecret, h: CookieHeaders, mss: number, count: number): { cookie: number; mss: number } {
  const table = h.family === 4 ? MSS_TABLE_IPV4 : MSS_TABLE_IPV6;
  const index = mssIndex(table, mss);
  const countAt = layFlow(h);
  const seq = h.dv.getUint32(h.tcp + TCP.seq, false);
  const flowPart = cookieHash(secret, h, countAt, 0, 0);
  const counted = (cookieHash(secret, h, countAt, count, 1) + index) & COOKIE_MASK;
  return { cookie: (flowPart + seq + ((count << COOKIE_BITS) >>> 0) + counted) >>> 0, mss: table[index] };
}

/**
 * __cookie_v4/v6_check: the MSS an ACK with these headers acknowledges a cookie of (its ack_seq
 * less 1, for the SYN whose seq was its seq less 1), at minute `count`; 0 when the cookie is
 * not valid (made for other addresses, ports or seq, too old, or altered).
 */
export function checkSyncookie(secret: SyncookieSecret, h: CookieHeaders, count: number): number {
  const table = h.family === 4 ? MSS_TABLE_IPV4 : MSS_TABLE_IPV6;
  const cookie = (h.dv.getUint32(h.tcp + TCP.ackSeq, false) - 1) >>> 0;
  const seq = (h.dv.getUint32(h.tcp + TCP.seq, false) - 1) >>> 0;
  const countAt = layFlow(h);
  const rest = (cookie - cookieHash(secret, h, countAt, 0, 0) - seq) >>> 0;
  const age = (count - (rest >>> COOKIE_BITS)) & (0xffffffff >>> COOKIE_BITS);
  if (age >= MAX_SYNCOOKIE_AGE) return 0;
  const index = (rest - cookieHash(secret, h, countAt, (count - age) >>> 0, 1)) & COOKIE_MASK;
  return index < table.length ? table[index] : 0;
}

/**
 * tcp_parse_mss_option with no user MSS: the last non-zero MSS option among the TCP header's
 * options (`length` bytes of header from `tcp`), or 0. Parsing stops at EOL or at an option
 * whose length is under 2 or runs past the header, keeping what it found before.
 */
export function tcpMssOption(dv: DataView, tcp: number, length: number): number {
  let at = tcp + 20;
  let left = length - 20;
  let mss = 0;
  while (left > 0) {
    const kind = dv.getUint8(at++);
    if (kind === 0) return mss;
    if (kind === 1) {
      left--;
      continue;
    }
    if (left < 2) return mss;
    const size = dv.getUint8(at++);
    if (size < 2 || size > left) return mss;
    if (kind === 2 && size === 4) {
      const value = dv.getUint16(at, false);
      if (value) mss = value;
    }
    at += size - 2;
    left -= size;
  }
  return mss;
}
