import { describe, expect, it } from 'vitest';
import { buildFrame, decodeFrame, formatIpv6, fromHex, internetChecksum, parseIpv6, patternPayload, toHex } from '../../src/packet/index.js';

const eth = { kind: 'ethernet', src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' } as const;

describe('buildFrame', () => {
  it('computes the IPv4 header checksum of a published example (0xb861)', () => {
    // 4500 0073 0000 4000 4011 [b861] c0a8 0001 c0a8 00c7
    const frame = buildFrame([eth, { kind: 'ipv4', src: '192.168.0.1', dst: '192.168.0.199', totalLength: 0x73, dontFragment: true, protocol: 17 }]);
    expect(toHex(frame.subarray(14))).toBe('45000073000040004011b861c0a80001c0a800c7');
  });

  it('lays out Ethernet, UDP and its pseudo-header checksum byte by byte', () => {
    const frame = buildFrame([
      eth,
      { kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' },
      { kind: 'udp', srcPort: 1, dstPort: 2 },
      { kind: 'payload', bytes: fromHex('0102') },
    ]);
    expect(toHex(frame.subarray(0, 14))).toBe('020000000002020000000001' + '0800');
    const udp = frame.subarray(34);
    expect(toHex(udp.subarray(0, 6))).toBe('00010002000a');
    // Pseudo header: 0a00 0001 + 0a00 0002 + 0011 + 000a; UDP: 0001 + 0002 + 000a + 0102.
    const sum = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 0x0011 + 0x000a + 0x0001 + 0x0002 + 0x000a + 0x0102;
    expect((udp[6] << 8) | udp[7]).toBe(~sum & 0xffff);
  });

  it('derives EtherTypes and TPIDs for 802.1Q and QinQ stacks', () => {
    const frame = buildFrame([
      eth,
      { kind: 'vlan', vid: 200, pcp: 5, tpid: 0x88a8 },
      { kind: 'vlan', vid: 100 },
      { kind: 'ipv6', src: 'fd00::1', dst: 'fd00::2' },
    ]);
    expect(toHex(frame.subarray(12, 22))).toBe('88a8' + 'a0c8' + '8100' + '0064' + '86dd');
  });

  it('encodes TCP options, pads them and sets the data offset', () => {
    const frame = buildFrame([
      eth,
      { kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' },
      {
        kind: 'tcp',
        srcPort: 1,
        dstPort: 2,
        flags: ['syn', 'ack'],
        options: [
          { kind: 'mss', value: 1460 },
          { kind: 'window-scale', shift: 7 },
        ],
      },
    ]);
    const tcp = frame.subarray(34);
    expect(tcp.length).toBe(28);
    expect(tcp[12] >> 4).toBe(7);
    expect(tcp[13]).toBe(0x12);
    expect(toHex(tcp.subarray(20))).toBe('020405b4' + '03030700');
    expect(decodeFrame(frame).problems).toEqual([]);
  });

  it('checksums ICMPv6 over the IPv6 pseudo header and ICMP without one', () => {
    for (const layers of [
      [eth, { kind: 'ipv6', src: 'fd00::1', dst: 'fd00::2' }, { kind: 'icmpv6-echo', type: 'request', id: 1, sequence: 2 }],
      [eth, { kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' }, { kind: 'icmp-echo', type: 'reply', id: 1, sequence: 2 }],
    ] as const) {
      const frame = buildFrame(layers);
      expect(decodeFrame(frame).problems).toEqual([]);
      frame[frame.length - 1] ^= 1;
      expect(decodeFrame(frame).problems.join()).toMatch(/wrong checksum/);
    }
  });

  it('writes fragment flags, offsets and options into the IPv4 header', () => {
    const frame = buildFrame([
      eth,
      { kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2', moreFragments: true, fragmentOffset: 3, options: new Uint8Array([1, 1, 1]), protocol: 17 },
      patternPayload(8),
    ]);
    expect(frame[14]).toBe(0x46);
    expect(toHex(frame.subarray(20, 22))).toBe('2003');
    expect(toHex(frame.subarray(34, 38))).toBe('01010100');
    expect(internetChecksum(frame.subarray(14, 38))).toBe(0);
  });

  it('builds IPIP, GRE and VXLAN encapsulations that decode back layer by layer', () => {
    const inner = [
      { kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' },
      { kind: 'udp', srcPort: 5, dstPort: 6 },
    ] as const;
    const outer = { kind: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2' } as const;
    const ipip = decodeFrame(buildFrame([eth, outer, ...inner]));
    expect(ipip.layers.map((l) => l.kind)).toEqual(['ethernet', 'ipv4', 'ipv4', 'udp']);
    expect(ipip.layers[1].fields.protocol).toBe(4);
    const gre = decodeFrame(buildFrame([eth, outer, { kind: 'gre', key: 7, withChecksum: true }, ...inner]));
    expect(gre.layers.map((l) => l.kind)).toEqual(['ethernet', 'ipv4', 'gre', 'ipv4', 'udp']);
    expect(gre.layers[2].fields).toMatchObject({ protocol: 0x0800, key: 7, checksum: 'ok' });
    const vxlan = decodeFrame(buildFrame([eth, outer, { kind: 'udp', srcPort: 1, dstPort: 4789 }, { kind: 'vxlan', vni: 0xabcdef }, eth, ...inner]));
    expect(vxlan.layers.map((l) => l.kind)).toEqual(['ethernet', 'ipv4', 'udp', 'vxlan', 'ethernet', 'ipv4', 'udp']);
    expect(vxlan.layers[3].fields.vni).toBe(0xabcdef);
    expect(vxlan.problems).toEqual([]);
  });

  it('pads to a length and refuses what it cannot derive', () => {
    expect(
      buildFrame([eth, { kind: 'arp', op: 1, senderMac: '02:00:00:00:00:01', senderIp: '1.2.3.4', targetMac: '00:00:00:00:00:00', targetIp: '1.2.3.5' }], {
        padTo: 60,
      }).length,
    ).toBe(60);
    expect(() => buildFrame([eth, patternPayload(4)])).toThrow(/etherType/);
    expect(() => buildFrame([eth, { kind: 'ipv4', src: '10.0.0.300', dst: '10.0.0.1' }])).toThrow(/IPv4 address/);
    expect(() => buildFrame([eth, { kind: 'udp', srcPort: 1, dstPort: 2 }])).toThrow(/IPv4 or IPv6 layer right before it/);
  });
});

describe('addresses', () => {
  it('parses and formats IPv6 in RFC 5952 form', () => {
    expect(toHex(parseIpv6('fd00::1'))).toBe('fd000000000000000000000000000001');
    expect(formatIpv6(parseIpv6('2001:db8:0:0:1:0:0:1'))).toBe('2001:db8::1:0:0:1');
    expect(formatIpv6(parseIpv6('::'))).toBe('::');
    expect(formatIpv6(parseIpv6('1:2:3:4:5:6:7:8'))).toBe('1:2:3:4:5:6:7:8');
    expect(() => parseIpv6('1::2::3')).toThrow();
    expect(() => parseIpv6('1:2:3')).toThrow();
  });
});
