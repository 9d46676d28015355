import { buildFrame, ipv4TcpSynFrame, ipv4UdpFrame, patternPayload, TestHosts } from '../../../src/packet/index.js';
import type { MapUpdate, Scenario } from '../scenario.js';
import { be16, frameCase, ipv4, standardCases, u32le, u8 } from './common.js';

const OBJECT = 'progs/build/firewall.o';

/** Rule ids in the allow/deny maps are just labels for the operator; the counters use the rule kind. */
const RULES: MapUpdate[] = [
  { map: 'allow_src', key: ipv4('10.0.5.5'), value: u32le(100) },
  { map: 'allow_src', key: ipv4('10.0.7.7'), value: u32le(101) },
  { map: 'deny_src', key: ipv4('10.0.6.6'), value: u32le(200) },
  // LPM key: prefix length (host order u32), then the address bytes.
  { map: 'deny_prefix', key: u32le(16) + ipv4('192.168.0.0'), value: u32le(300) },
  { map: 'deny_prefix', key: u32le(24) + ipv4('10.0.7.0'), value: u32le(301) },
  // Port key: protocol, pad, port in network order.
  { map: 'deny_port', key: u8(6) + u8(0) + be16(23), value: u32le(400) },
  { map: 'deny_port', key: u8(17) + u8(0) + be16(161), value: u32le(401) },
];

const specific = [
  frameCase('fw-allowed-src-denied-port', ipv4UdpFrame({ src: '10.0.5.5', dstPort: 161 })),
  frameCase('fw-denied-src', ipv4UdpFrame({ src: '10.0.6.6' })),
  frameCase('fw-denied-prefix', ipv4TcpSynFrame({ src: '192.168.1.10' })),
  frameCase('fw-allow-beats-prefix', ipv4UdpFrame({ src: '10.0.7.7' })),
  frameCase('fw-next-to-prefix', ipv4UdpFrame({ src: '10.0.8.1' })),
  frameCase('fw-denied-tcp-port', ipv4TcpSynFrame({ dstPort: 23 })),
  frameCase('fw-denied-udp-port', ipv4UdpFrame({ dstPort: 161 })),
  frameCase('fw-udp-to-tcp-only-port', ipv4UdpFrame({ dstPort: 23 })),
  frameCase('fw-vlan-denied-src', ipv4UdpFrame({ src: '10.0.6.6', vlans: [{ vid: 42 }] })),
  frameCase(
    'fw-later-fragment-to-denied-port',
    // A later fragment whose bytes happen to look like a UDP header to port 161: not checked.
    buildFrame([
      { kind: 'ethernet', src: TestHosts.clientMac, dst: TestHosts.serverMac },
      { kind: 'ipv4', src: TestHosts.clientIpv4, dst: TestHosts.serverIpv4, fragmentOffset: 2, protocol: 17 },
      { kind: 'payload', bytes: Uint8Array.from([0x9c, 0x40, 0x00, 0xa1, 0x00, 0x10, 0x00, 0x00]) },
      patternPayload(8),
    ]),
  ),
  frameCase('fw-repeat-5-counts-5', ipv4UdpFrame({ src: '10.0.6.6' }), { repeat: 5 }),
];

export const firewallScenarios: Scenario[] = [
  {
    name: 'firewall',
    object: OBJECT,
    program: 'xdp_firewall',
    setup: RULES,
    packets: [...standardCases(), ...specific],
  },
  {
    name: 'firewall-default-drop',
    object: OBJECT,
    program: 'xdp_firewall',
    // .data holds only default_action (u32): XDP_DROP.
    setup: [...RULES, { map: '.data', key: u32le(0), value: u32le(1) }],
    packets: [...standardCases(), ...specific.slice(0, 5)],
  },
];
