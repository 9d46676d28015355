import { ipv4IcmpEchoFrame, ipv4TcpSynFrame, ipv4UdpFrame, ipv6UdpFrame } from '../../../src/packet/index.js';
import type { Scenario } from '../scenario.js';
import { frameCase, standardCases } from './common.js';

/** Packets that take every path of the TTL step and the port ACL. */
export const chainPackets = [
  ...standardCases(),
  frameCase('ttl-1', ipv4UdpFrame({ ttl: 1 })),
  frameCase('ttl-2-icmp-echo', ipv4IcmpEchoFrame({ ttl: 2 })),
  frameCase('telnet-syn', ipv4TcpSynFrame({ dstPort: 23 })),
  frameCase('smb-udp', ipv4UdpFrame({ dstPort: 445 })),
  frameCase('rdp-syn-ttl-1', ipv4TcpSynFrame({ dstPort: 3389, ttl: 1 })),
  frameCase('hop-limit-1', ipv6UdpFrame({ ttl: 1 })),
];

/**
 * The chain-call acceptance: the kernel runs xdp_ttl_then_acl (both steps in one program);
 * xdpchain must give the same answers with `chain add xdp_ttl_guard XDP_PASS xdp_port_acl`.
 * The components are recorded on their own too.
 */
export const chainScenarios: Scenario[] = [
  { name: 'ttl-then-acl', object: 'progs/build/ttl_then_acl.o', program: 'xdp_ttl_then_acl', packets: chainPackets },
  { name: 'ttl-guard', object: 'progs/build/ttl_guard.o', program: 'xdp_ttl_guard', packets: chainPackets },
  { name: 'port-acl', object: 'progs/build/port_acl.o', program: 'xdp_port_acl', packets: chainPackets },
];
