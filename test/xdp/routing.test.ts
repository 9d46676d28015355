import { describe, expect, it } from 'vitest';
import { parseIp, Routing } from '../../src/xdp/routing.js';

const devs: Record<string, number> = { eth0: 10, eth1: 20 };
const ifindexOf = (n: string) => devs[n];

describe('Routing', () => {
  it('parses IPv4 and compressed IPv6 addresses', () => {
    expect([...parseIp('10.1.2.3')]).toEqual([10, 1, 2, 3]);
    expect([...parseIp('fd02::5')]).toEqual([0xfd, 0x02, ...new Array(13).fill(0), 5]);
    expect([...parseIp('::1')]).toEqual([...new Array(15).fill(0), 1]);
    expect(() => parseIp('1.2.3')).toThrow(/not an IPv4 address/);
    expect(() => parseIp('1::2::3')).toThrow(/not an IPv6 address/);
  });

  it('matches prefixes of every length bit by bit', () => {
    for (const len of [0, 1, 7, 8, 13, 23, 25, 31, 32]) {
      const r = new Routing();
      r.addRoute(`blackhole 172.20.255.255/${len}`, ifindexOf);
      for (const probe of ['172.20.255.255', '172.20.254.1', '172.21.0.0', '172.19.255.255', '173.0.0.0', '44.1.2.3', '0.0.0.0']) {
        const a = parseIp(probe);
        const b = parseIp('172.20.255.255');
        const reference = [...a].every((x, i) => i * 8 >= len || ((x ^ b[i]) & ((0xff << (8 - Math.min(8, len - i * 8))) & 0xff)) === 0);
        expect({ len, probe, hit: r.lookup(a) !== undefined }).toEqual({ len, probe, hit: reference });
      }
    }
    const r6 = new Routing();
    r6.addRoute('unreachable fd00:ab:cd80::/41', ifindexOf);
    expect(r6.lookup(parseIp('fd00:ab:cdff::1'))?.type).toBe('unreachable');
    expect(r6.lookup(parseIp('fd00:ab:cd00::1'))).toBeUndefined();
    expect(r6.lookup(parseIp('10.0.0.1'))).toBeUndefined();
  });

  it('prefers local routes, then the longest prefix, then the lowest metric', () => {
    const r = new Routing();
    r.addAddress(10, '10.0.0.2/24');
    r.addAddress(20, '10.1.0.254/24');
    r.addRoute('10.2.0.0/16 via 10.1.0.1 dev eth1', ifindexOf);
    r.addRoute('10.2.3.0/24 via 10.1.0.1 metric 10', ifindexOf);
    r.addRoute('10.2.3.0/24 via 10.1.0.2 metric 5', ifindexOf);
    r.addRoute('blackhole 10.9.0.0/16', ifindexOf);
    expect(r.lookup(parseIp('10.0.0.2'))?.type).toBe('local');
    expect(r.lookup(parseIp('10.0.0.7'))).toMatchObject({ type: 'unicast', ifindex: 10, prefixLength: 24 });
    expect(r.lookup(parseIp('10.2.3.4'))).toMatchObject({ metric: 5, ifindex: 20 });
    expect(r.lookup(parseIp('10.2.9.9'))).toMatchObject({ prefixLength: 16 });
    expect(r.lookup(parseIp('10.9.0.1'))?.type).toBe('blackhole');
    expect(r.lookup(parseIp('192.0.2.1'))).toBeUndefined();
  });

  it('refuses a gateway route it cannot place on a device', () => {
    expect(() => new Routing().addRoute('10.2.0.0/16 via 10.1.0.1', ifindexOf)).toThrow(/needs "dev"/);
  });

  it('applies forwarding sysctls', () => {
    const r = new Routing();
    expect(r.forwards4(10)).toBe(false);
    r.applySysctl('net.ipv4.conf.eth0.forwarding', '1', ifindexOf);
    expect(r.forwards4(10)).toBe(true);
    expect(r.forwards4(20)).toBe(false);
    r.applySysctl('net.ipv4.conf.all.forwarding', '1', ifindexOf);
    r.applySysctl('net.ipv6.conf.all.forwarding', '1', ifindexOf);
    expect(r.forwards4(20)).toBe(true);
    expect(r.forwarding6).toBe(true);
  });
});
