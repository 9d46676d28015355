/** What a device records for a frame off the wire: Toeplitz RSS hash and type, VLAN offload. */
import { describe, expect, it } from 'vitest';
import { ipv4IcmpEchoFrame, ipv4TcpSynFrame, ipv4UdpFrame, ipv6UdpFrame, parseIpv4, parseIpv6, standardPacketKind } from '../../src/packet/index.js';
import { parseRxMetadataOps, receiveRecord, rssHash, toeplitzHash, withVlanTag } from '../../src/xdp/rx-metadata.js';

const port = (p: number) => [p >> 8, p & 0xff];

/**
 * Microsoft's RSS verification suite (the key is its sample key): source address and port,
 * destination address and port, then the IPv4/IPv6 hash and the hash with TCP ports.
 */
const IPV4_VECTORS: [string, number, string, number, number, number][] = [
  ['66.9.149.187', 2794, '161.142.100.80', 1766, 0x323e8fc2, 0x51ccc178],
  ['199.92.111.2', 14230, '65.69.140.83', 4739, 0xd718262a, 0xc626b0ea],
  ['24.19.198.95', 12898, '12.22.207.184', 38024, 0xd2d0a5de, 0x5c2b394a],
  ['38.27.205.30', 48228, '209.142.163.6', 2217, 0x82989176, 0xafc7327f],
  ['153.39.163.191', 44251, '202.188.127.2', 1303, 0x5d1809c5, 0x10e828a2],
];
const IPV6_VECTORS: [string, number, string, number, number, number][] = [
  ['3ffe:2501:200:1fff::7', 2794, '3ffe:2501:200:3::1', 1766, 0x2cc18cd5, 0x40207d3d],
  ['3ffe:501:8::260:97ff:fe40:efab', 14230, 'ff02::1', 4739, 0x0f0c461c, 0xdde51bbf],
  ['3ffe:1900:4545:3:200:f8ff:fe21:67cf', 44251, 'fe80::200:f8ff:fe21:67cf', 38024, 0x4b61e985, 0x02d1feef],
];

describe('Toeplitz RSS hash', () => {
  it('gives the published values for IPv4 and IPv6, with and without ports', () => {
    for (const [vectors, parse] of [
      [IPV4_VECTORS, parseIpv4],
      [IPV6_VECTORS, parseIpv6],
    ] as const) {
      for (const [src, sport, dst, dport, l3, l4] of vectors) {
        const addresses = [...parse(src), ...parse(dst)];
        expect(toeplitzHash(Uint8Array.from(addresses)) >>> 0, src).toBe(l3);
        expect(toeplitzHash(Uint8Array.from([...addresses, ...port(sport), ...port(dport)])) >>> 0, src).toBe(l4);
      }
    }
  });

  it('hashes frames as a NIC does and names the type as enum xdp_rss_hash_type', () => {
    const [src, sport, dst, dport, , l4] = IPV4_VECTORS[0];
    expect(rssHash(ipv4TcpSynFrame({ src, dst, srcPort: sport, dstPort: dport }))).toEqual({ hash: l4, rssType: 25 });
    expect(rssHash(ipv4UdpFrame({ src, dst, srcPort: sport, dstPort: dport, vlans: [{ vid: 7 }, { vid: 8 }] }))).toEqual({ hash: l4, rssType: 41 });
    const [, , , , l3] = IPV4_VECTORS[1];
    expect(rssHash(ipv4IcmpEchoFrame({ src: IPV4_VECTORS[1][0], dst: IPV4_VECTORS[1][2] }))).toEqual({ hash: l3, rssType: 1 });
    const [s6, p6, d6, q6, , l4v6] = IPV6_VECTORS[0];
    expect(rssHash(ipv6UdpFrame({ src: s6, dst: d6, srcPort: p6, dstPort: q6 }))).toEqual({ hash: l4v6, rssType: 42 });
    expect(rssHash(standardPacketKind('ipv6-ext-udp').frame).rssType).toBe(46);
    expect(rssHash(standardPacketKind('ipv4-fragment').frame).rssType).toBe(1);
    expect(rssHash(standardPacketKind('arp').frame)).toEqual({ hash: 0, rssType: 0 });
    expect(rssHash(standardPacketKind('min-14').frame)).toEqual({ hash: 0, rssType: 0 });
  });
});

describe('receiving a frame', () => {
  it('strips the outer tag only with RX VLAN offload, and puts it back for the stack', () => {
    const tagged = ipv4UdpFrame({ vlans: [{ vid: 42, tpid: 0x88a8 }, { vid: 7 }] });
    const kept = receiveRecord(tagged, { timestampNs: 3n });
    expect(kept.frame).toBe(tagged);
    expect(kept.record).toMatchObject({ timestampNs: 3n, rssType: 41 });
    expect(kept.record.vlan).toBeUndefined();
    const stripped = receiveRecord(tagged, { stripVlan: true });
    expect(stripped.record.vlan).toEqual({ proto: 0x88a8, tci: 42 });
    expect(stripped.record.hash).toBe(kept.record.hash);
    expect(stripped.frame).toEqual(ipv4UdpFrame({ vlans: [{ vid: 7 }] }));
    expect(withVlanTag(stripped.frame, stripped.record.vlan!)).toEqual(tagged);
  });

  it('takes the kfunc list in any order and names an unknown one', () => {
    expect(parseRxMetadataOps('vlan, timestamp')).toEqual(['timestamp', 'vlan']);
    expect(() => parseRxMetadataOps('timestamp,csum')).toThrow(/unknown RX metadata "csum": a device can give timestamp, hash, vlan/);
  });
});
