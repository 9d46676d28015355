import {
  buildFrame,
  internetChecksum,
  ipv4IcmpEchoFrame,
  ipv4PseudoSum,
  ipv4TcpSynFrame,
  ipv4UdpFrame,
  parseIpv4,
  TestHosts,
} from '../../../src/packet/index.js';
import type { MapUpdate, Scenario } from '../scenario.js';
import { be16, frameCase, ipv4, standardCases, u8, zeros } from './common.js';

const OBJECT = 'progs/build/nat.o';

/** nat_key: address, port (network order), protocol, pad; nat_target: address, port, pad. */
const key = (addr: string, port: number, proto: number) => ipv4(addr) + be16(port) + u8(proto) + u8(0);
const target = (addr: string, port: number) => ipv4(addr) + be16(port) + zeros(2);

const SETUP: MapUpdate[] = [
  { map: 'dnat', key: key(TestHosts.serverIpv4, 80, 6), value: target('192.168.1.20', 8080) },
  { map: 'dnat', key: key(TestHosts.serverIpv4, 53, 17), value: target('192.168.1.53', 5353) },
  { map: 'dnat', key: key(TestHosts.serverIpv4, 0x1234, 1), value: target('192.168.1.2', 0x5678) },
  { map: 'snat', key: key('192.168.1.20', 8080, 6), value: target(TestHosts.serverIpv4, 80) },
  { map: 'snat', key: key('192.168.1.53', 5353, 17), value: target(TestHosts.serverIpv4, 53) },
  { map: 'snat', key: key(TestHosts.clientIpv4, 40000, 17), value: target('198.51.100.1', 61000) },
  { map: 'snat', key: key('192.168.1.99', 7, 17), value: target('198.51.100.7', 7) },
];

/**
 * A UDP packet from 192.168.1.99:7 whose checksum, once the source is rewritten to
 * 198.51.100.7, comes out as 0 — which UDP must send as 0xffff. Found by searching the
 * two payload bytes so that the rewritten packet's checksum sums to zero.
 */
function udpChecksumBecomesZero(): Uint8Array {
  const build = (src: string, word: number, checksum?: number) =>
    buildFrame([
      { kind: 'ethernet', src: TestHosts.clientMac, dst: TestHosts.serverMac },
      { kind: 'ipv4', src, dst: '203.0.113.9' },
      { kind: 'udp', srcPort: 7, dstPort: 9, checksum },
      { kind: 'payload', bytes: Uint8Array.from([word >> 8, word & 0xff, 1, 2, 3, 4]) },
    ]);
  // The sum over the rewritten packet with the checksum field 0: the field value would be its complement.
  const rewrittenCheck = (word: number) => {
    const udp = build('198.51.100.7', word, 0).subarray(34);
    return internetChecksum(udp, ipv4PseudoSum(parseIpv4('198.51.100.7'), parseIpv4('203.0.113.9'), 17, udp.length));
  };
  for (let word = 0; word < 0x10000; word++) {
    if (rewrittenCheck(word) === 0) return build('192.168.1.99', word);
  }
  throw new Error('no payload makes the rewritten UDP checksum zero');
}

export const natScenarios: Scenario[] = [
  {
    name: 'nat',
    object: OBJECT,
    program: 'xdp_nat',
    setup: SETUP,
    packets: [
      ...standardCases(),
      frameCase('nat-snat-tcp-reply', ipv4TcpSynFrame({ src: '192.168.1.20', srcPort: 8080, dst: TestHosts.clientIpv4, dstPort: 40001 })),
      frameCase('nat-snat-udp-reply', ipv4UdpFrame({ src: '192.168.1.53', srcPort: 5353, dst: TestHosts.clientIpv4, dstPort: 40000 })),
      frameCase('nat-snat-client-outbound', ipv4UdpFrame({ dst: '203.0.113.5', dstPort: 123 })),
      frameCase(
        'nat-udp-without-checksum',
        buildFrame([
          { kind: 'ethernet', src: TestHosts.clientMac, dst: TestHosts.serverMac },
          { kind: 'ipv4', src: TestHosts.clientIpv4, dst: TestHosts.serverIpv4 },
          { kind: 'udp', srcPort: 40000, dstPort: 53, checksum: 'none' },
          { kind: 'payload', bytes: new Uint8Array(12).fill(0xab) },
        ]),
      ),
      frameCase('nat-udp-checksum-becomes-zero', udpChecksumBecomesZero()),
      frameCase('nat-icmp-other-id', ipv4IcmpEchoFrame({ id: 0x9999 })),
      frameCase('nat-no-rule', ipv4TcpSynFrame({ src: '10.9.9.9', dst: '10.8.8.8' })),
    ],
  },
];
