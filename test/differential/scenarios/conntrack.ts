import { buildFrame, ipv4TcpSynFrame, ipv4UdpFrame, ipv6UdpFrame, standardPacketKind, TestHosts, type TcpFlag } from '../../../src/packet/index.js';
import type { MapUpdate, NetnsSetup, Scenario } from '../scenario.js';
import { frameCase, u16le, u32le } from './common.js';

/** Any packet: the conntrack.o programs call the kfuncs on tuples of their own. */
const ANY_PACKET = [frameCase('ipv4-udp', ipv4UdpFrame())];

const kfuncScenario = (name: string, program: string): Scenario => ({
  name,
  object: 'progs/build/conntrack.o',
  program,
  packets: ANY_PACKET,
  recordConntrack: true,
});

function tcpFrame(src: string, dst: string, srcPort: number, dstPort: number, flags: TcpFlag[]): Uint8Array {
  const v6 = src.includes(':');
  return buildFrame([
    { kind: 'ethernet', src: TestHosts.clientMac, dst: TestHosts.serverMac },
    v6 ? { kind: 'ipv6', src, dst } : { kind: 'ipv4', src, dst, id: 0x3b00, dontFragment: true },
    { kind: 'tcp', srcPort, dstPort, seq: 0x01020304, ack: flags.includes('ack') ? 0x0a0b0c0d : 0, flags, window: 512 },
  ]);
}

/** Services of ct_firewall.o: destination port -> the mark new connections get (1 would block them). */
const SERVICES: MapUpdate[] = [
  [80, 0x50],
  [443, 0x1bb],
  [53, 0x35],
  [8080, 0x1f90],
].map(([port, mark]) => ({ map: 'services', key: u16le(port), value: u32le(mark) }));

/** Connections the namespace already has when the packet arrives. */
const EXISTING: NetnsSetup = {
  links: [],
  routes: [],
  neighbours: [],
  conntrack: [
    { proto: 'tcp', src: '10.0.0.1', dst: '10.0.0.2', sport: 40100, dport: 80, timeout: 300, tcpState: 'ESTABLISHED' },
    { proto: 'udp', src: '10.0.0.9', dst: '10.0.0.2', sport: 5000, dport: 53, timeout: 300, mark: 1 },
    {
      proto: 'tcp',
      src: '10.0.0.1',
      dst: '10.0.0.2',
      sport: 40200,
      dport: 8080,
      timeout: 300,
      tcpState: 'ESTABLISHED',
      status: ['SEEN_REPLY', 'ASSURED'],
      dstNat: '10.1.0.80:80',
    },
    { proto: 'udp', src: 'fd00::1', dst: 'fd00::2', sport: 40000, dport: 53, timeout: 300, status: ['SEEN_REPLY'], mark: 7 },
  ],
};

export const conntrackScenarios: Scenario[] = [
  kfuncScenario('conntrack-kfunc-errors', 'xdp_ct_errors'),
  kfuncScenario('conntrack-kfunc-lifecycle', 'xdp_ct_lifecycle'),
  kfuncScenario('conntrack-kfunc-nat', 'xdp_ct_nat'),
  kfuncScenario('conntrack-kfunc-zones', 'xdp_ct_zones'),
  {
    name: 'conntrack-firewall',
    object: 'progs/build/ct_firewall.o',
    program: 'xdp_ct_firewall',
    setup: SERVICES,
    netns: EXISTING,
    recordConntrack: true,
    packets: [
      frameCase('tcp-syn-new', ipv4TcpSynFrame({ srcPort: 40001, dstPort: 80 })),
      frameCase('tcp-syn-new-then-known', ipv4TcpSynFrame({ srcPort: 40001, dstPort: 80 }), { repeat: 2 }),
      frameCase('tcp-ack-without-entry', tcpFrame('10.0.0.1', '10.0.0.2', 40500, 80, ['ack'])),
      frameCase('tcp-syn-no-service', ipv4TcpSynFrame({ srcPort: 40002, dstPort: 22 })),
      frameCase('udp-new', ipv4UdpFrame({ srcPort: 40000, dstPort: 53 })),
      frameCase('ipv6-udp-known', ipv6UdpFrame({ srcPort: 40000, dstPort: 53 })),
      frameCase('ipv6-tcp-syn-new', tcpFrame('fd00::1', 'fd00::2', 40003, 443, ['syn'])),
      frameCase('tcp-first-reply', tcpFrame('10.0.0.2', '10.0.0.1', 80, 40100, ['syn', 'ack'])),
      frameCase('tcp-fin-known', tcpFrame('10.0.0.1', '10.0.0.2', 40100, 80, ['fin', 'ack'])),
      frameCase('udp-blocked-mark', ipv4UdpFrame({ src: '10.0.0.9', srcPort: 5000, dstPort: 53 })),
      frameCase('tcp-syn-dnat-new', ipv4TcpSynFrame({ srcPort: 40300, dstPort: 8080 })),
      frameCase('tcp-dnat-known-original', tcpFrame('10.0.0.1', '10.0.0.2', 40200, 8080, ['ack', 'psh'])),
      frameCase('tcp-dnat-known-reply', tcpFrame('10.1.0.80', '10.0.0.1', 80, 40200, ['ack', 'psh'])),
      frameCase('tcp-syn-clashes-with-nat-reply', tcpFrame('10.0.0.1', '10.1.0.80', 40200, 80, ['syn'])),
      frameCase('arp', standardPacketKind('arp').frame),
    ],
  },
];
