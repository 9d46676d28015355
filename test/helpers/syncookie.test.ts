import { describe, expect, it } from 'vitest';
import { XdpchainError } from '../../src/errors/index.js';
import { seededRandom } from '../../src/helpers/services.js';
import { siphash24 } from '../../src/helpers/siphash.js';
import {
  checkSyncookie,
  COOKIE_BITS,
  makeSyncookie,
  MSS_TABLE_IPV4,
  MSS_TABLE_IPV6,
  mssIndex,
  SyncookieSecret,
  tcpMssOption,
  type CookieHeaders,
} from '../../src/helpers/syncookie.js';
import { buildFrame, TestHosts, type TcpOption } from '../../src/packet/index.js';

const dvOf = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const hex64 = (w: Uint32Array) => w[1].toString(16).padStart(8, '0') + w[0].toString(16).padStart(8, '0');

describe('SipHash-2-4', () => {
  // Key 00..0f, message 00..n-1: the values OpenSSL 3's SIPHASH MAC gives (`openssl mac -macopt
  // hexkey:000102030405060708090a0b0c0d0e0f -macopt size:8 SIPHASH`), read as little-endian u64.
  const vectors: [number, string][] = [
    [0, '726fdb47dd0e0e31'],
    [1, '74f839c593dc67fd'],
    [7, 'ab0200f58b01d137'],
    [8, '93f5f5799a932462'],
    [15, 'a129ca6149be45e5'],
    [16, '3f2acc7f57c29bdb'],
    [40, '0e3ea96b5304a7d0'],
  ];
  const key = Uint32Array.from([0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c]);
  it.each(vectors)('of %i bytes matches OpenSSL', (n, want) => {
    const msg = Uint8Array.from({ length: n + 3 }, (_, i) => (i - 3) & 0xff);
    // From an offset, as the helpers hash a scratch buffer.
    expect(hex64(siphash24(key, dvOf(msg), 3, n, new Uint32Array(2)))).toBe(want);
  });
});

function frame(
  family: 4 | 6,
  o: { seq?: number; ack?: number; flags?: ('syn' | 'ack')[]; sport?: number; dport?: number; src?: string; options?: TcpOption[] } = {},
): Uint8Array {
  return buildFrame([
    { kind: 'ethernet', src: TestHosts.clientMac, dst: TestHosts.serverMac },
    family === 4 ? { kind: 'ipv4', src: o.src ?? '10.0.0.1', dst: '10.0.0.2' } : { kind: 'ipv6', src: o.src ?? 'fd00::1', dst: 'fd00::2' },
    {
      kind: 'tcp',
      srcPort: o.sport ?? 40001,
      dstPort: o.dport ?? 80,
      seq: o.seq ?? 0x11223344,
      ack: o.ack ?? 0,
      flags: o.flags ?? ['syn'],
      options: o.options,
    },
  ]);
}

const headersOf = (family: 4 | 6, f: Uint8Array): CookieHeaders => ({ family, dv: dvOf(f), ip: 14, tcp: family === 4 ? 34 : 54 });

/** The client's ACK of a cookie for `frame(family, o)`'s SYN. */
const ackOf = (family: 4 | 6, cookie: number, o: Parameters<typeof frame>[1] = {}) =>
  headersOf(family, frame(family, { ...o, seq: ((o.seq ?? 0x11223344) + 1) >>> 0, ack: (cookie + 1) >>> 0, flags: ['ack'] }));

const secretOf = (seed: number) => new SyncookieSecret(seededRandom(seed));

describe('SYN cookies', () => {
  it('hash the bytes the kernel hashes: siphash_4u32(saddr, daddr, sport << 16 | dport, count) for IPv4', () => {
    // The cookie of a SYN with seq 0 and MSS index 0 at count 0 is hash0 + (hash1 mod 2^24):
    // computed here from the kernel's words, not from the helper's own layout.
    const secret = secretOf(3);
    const f = frame(4, { seq: 0, sport: 0x1234, dport: 0xabcd });
    const dv = dvOf(f);
    const words = new DataView(new ArrayBuffer(16));
    words.setUint32(0, dv.getUint32(26, true), true);
    words.setUint32(4, dv.getUint32(30, true), true);
    words.setUint32(8, ((dv.getUint16(34, true) << 16) | dv.getUint16(36, true)) >>> 0, true);
    words.setUint32(12, 0, true);
    const h0 = siphash24(secret.key(4, 0), words, 0, 16, new Uint32Array(2))[0];
    const h1 = siphash24(secret.key(4, 1), words, 0, 16, new Uint32Array(2))[0];
    expect(makeSyncookie(secret, headersOf(4, f), 100, 0).cookie).toBe((h0 + (h1 & 0xffffff)) >>> 0);
  });

  it('hash saddr, daddr, count, sport, dport (a packed struct) for IPv6', () => {
    const secret = secretOf(4);
    const f = frame(6, { seq: 0, sport: 0x1234, dport: 0xabcd });
    const bytes = new Uint8Array(40);
    bytes.set(f.subarray(22, 54), 0);
    bytes.set(f.subarray(54, 58), 36);
    const h = (c: 0 | 1) => siphash24(secret.key(6, c), dvOf(bytes), 0, 40, new Uint32Array(2))[0];
    expect(makeSyncookie(secret, headersOf(6, f), 1000, 0).cookie).toBe((h(0) + (h(1) & 0xffffff)) >>> 0);
  });

  it('carry every MSS of the table, round down what the SYN offers, and give it back on the ACK', () => {
    const secret = secretOf(5);
    for (const [family, table] of [
      [4, MSS_TABLE_IPV4],
      [6, MSS_TABLE_IPV6],
    ] as const) {
      for (const offer of [1, 535, 536, 1000, 1220, 1299, 1300, 1419, 1420, 1440, 1459, 1460, 1500, 8940, 9000, 65535]) {
        const made = makeSyncookie(secret, headersOf(family, frame(family)), offer, 77);
        const want = table[mssIndex(table, offer)];
        expect(made.mss).toBe(want);
        expect(want <= offer || want === table[0]).toBe(true);
        expect(checkSyncookie(secret, ackOf(family, made.cookie), 77)).toBe(want);
      }
    }
  });

  it('keep the minute counter in the top 8 bits once the flow hash and seq are taken off', () => {
    const secret = secretOf(6);
    const f = frame(4, { seq: 0 });
    const base = makeSyncookie(secret, headersOf(4, f), 536, 0).cookie;
    for (const count of [1, 2, 0x7f, 0x1ff]) {
      const c = makeSyncookie(secret, headersOf(4, f), 536, count).cookie;
      // Equal hash0 and seq: the difference is (count << 24) plus a change below bit 24.
      expect(((c - base) >>> 0) >>> COOKIE_BITS).toBeOneOf([count & 0xff, (count - 1) & 0xff]);
    }
  });

  it('are valid this minute and the next, not after, nor from the future', () => {
    const secret = secretOf(7);
    for (const family of [4, 6] as const) {
      const { cookie, mss } = makeSyncookie(secret, headersOf(family, frame(family)), 1460, 1000);
      expect(checkSyncookie(secret, ackOf(family, cookie), 1000)).toBe(mss);
      expect(checkSyncookie(secret, ackOf(family, cookie), 1001)).toBe(mss);
      expect(checkSyncookie(secret, ackOf(family, cookie), 1002)).toBe(0);
      expect(checkSyncookie(secret, ackOf(family, cookie), 999)).toBe(0);
      // The counter wraps at 2^32 like the kernel's u32.
      const late = makeSyncookie(secret, headersOf(family, frame(family)), 1460, 0xffffffff).cookie;
      expect(checkSyncookie(secret, ackOf(family, late), 0)).toBe(mss);
    }
  });

  it('fail for any other flow, seq, or an altered cookie', () => {
    const secret = secretOf(8);
    for (const family of [4, 6] as const) {
      const { cookie } = makeSyncookie(secret, headersOf(family, frame(family)), 1460, 5);
      expect(checkSyncookie(secret, ackOf(family, cookie, { sport: 40002 }), 5)).toBe(0);
      expect(checkSyncookie(secret, ackOf(family, cookie, { dport: 81 }), 5)).toBe(0);
      expect(checkSyncookie(secret, ackOf(family, cookie, { src: family === 4 ? '10.0.0.3' : 'fd00::3' }), 5)).toBe(0);
      expect(checkSyncookie(secret, ackOf(family, cookie, { seq: 0x11233344 }), 5)).toBe(0);
      // The SYN's seq is added, not hashed: one more moves the MSS index down by one, as on the kernel.
      expect(checkSyncookie(secret, ackOf(family, cookie, { seq: 0x11223345 }), 5)).toBe(family === 4 ? 1440 : 1420);
      for (const bit of [4, 16, 23, 24, 31]) expect(checkSyncookie(secret, ackOf(family, (cookie ^ (1 << bit)) >>> 0), 5)).toBe(0);
      expect(checkSyncookie(secretOf(9), ackOf(family, cookie), 5)).toBe(0);
    }
  });
});

describe('the SYN cookie secret', () => {
  it("is drawn from the runtime's random source on first use, so a seed gives the same cookies", () => {
    let draws = 0;
    const counting = seededRandom(11);
    const secret = new SyncookieSecret(() => (draws++, counting()));
    expect(secret.drawn).toBe(false);
    expect(secret.words()).toBeUndefined();
    const a = makeSyncookie(secret, headersOf(4, frame(4)), 1460, 3).cookie;
    expect(draws).toBe(16);
    expect(makeSyncookie(secretOf(11), headersOf(4, frame(4)), 1460, 3).cookie).toBe(a);
    expect(makeSyncookie(secretOf(12), headersOf(4, frame(4)), 1460, 3).cookie).not.toBe(a);
    const copy = new SyncookieSecret(() => 0);
    copy.restore(secret.words()!);
    expect(makeSyncookie(copy, headersOf(4, frame(4)), 1460, 3).cookie).toBe(a);
    expect(draws).toBe(16);
  });

  it('refuses saved keys that are not 16 u32 words', () => {
    const s = new SyncookieSecret(() => 0);
    for (const bad of [[1, 2], Array(16).fill(-1), Array(16).fill(2 ** 32), Array(16).fill(0.5)]) expect(() => s.restore(bad)).toThrow(XdpchainError);
  });
});

describe('tcp_parse_mss_option', () => {
  const mssOf = (options: number[]) => {
    const header = new Uint8Array(20 + options.length);
    header.set(options, 20);
    return tcpMssOption(dvOf(header), 0, header.length);
  };
  it('finds the MSS among the options, the last non-zero one if several', () => {
    expect(mssOf([2, 4, 0x05, 0xb4])).toBe(1460);
    expect(mssOf([1, 1, 4, 2, 2, 4, 0x05, 0x00, 1, 1, 1, 1])).toBe(1280);
    expect(mssOf([2, 4, 0x05, 0xb4, 2, 4, 0x02, 0x18])).toBe(536);
    expect(mssOf([2, 4, 0x05, 0xb4, 2, 4, 0, 0])).toBe(1460);
  });
  it('stops at the end of options, a bad length, or an option running past the header', () => {
    expect(mssOf([0, 0, 0, 0, 2, 4, 0x05, 0xb4])).toBe(0);
    expect(mssOf([3, 1, 2, 4, 0x05, 0xb4, 0, 0])).toBe(0);
    expect(mssOf([1, 1, 2, 8, 0x05, 0xb4, 0, 0])).toBe(0);
    expect(mssOf([2, 3, 0x05, 0xb4])).toBe(0);
    expect(mssOf([1, 1, 1, 2])).toBe(0);
    expect(mssOf([])).toBe(0);
  });
});
