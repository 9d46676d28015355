import { ipv4TcpSynFrame, ipv4UdpFrame, MAX_LINEAR_FRAME } from '../../../src/packet/index.js';
import type { MapUpdate, Scenario } from '../scenario.js';
import { be16, frameCase, ipv4, mac, standardCases, u32le, u8, zeros } from './common.js';

const OBJECT = 'progs/build/load_balancer.o';
const VIP = '10.0.0.100';

/** vip_key: address, port (network order), protocol, pad. */
const vipKey = (addr: string, port: number, proto: number) => ipv4(addr) + be16(port) + u8(proto) + u8(0);
/** vip_meta: first backend index, backend count. */
const vipMeta = (first: number, count: number) => u32le(first) + u32le(count);
/** backend: address, MAC, pad. */
const backend = (n: number) => ipv4(`10.1.0.${n}`) + mac(`02:00:00:00:01:${n.toString(16).padStart(2, '0')}`) + zeros(2);

const SETUP: MapUpdate[] = [
  { map: 'vips', key: vipKey(VIP, 80, 6), value: vipMeta(0, 4) },
  { map: 'vips', key: vipKey(VIP, 53, 17), value: vipMeta(4, 2) },
  { map: 'vips', key: vipKey('10.0.0.101', 443, 6), value: vipMeta(6, 0) },
  // A VIP whose backend slot was never filled: address 0 means "no backend" and drops.
  { map: 'vips', key: vipKey('10.0.0.102', 80, 6), value: vipMeta(10, 1) },
  ...[0, 1, 2, 3, 4, 5].map((i) => ({ map: 'backends', key: u32le(i), value: backend(0x11 + i) })),
];

const flows = [40001, 40002, 40003, 40004, 40005, 51000].map((port) => frameCase(`lb-vip-tcp-sport-${port}`, ipv4TcpSynFrame({ dst: VIP, srcPort: port })));

export const loadBalancerScenarios: Scenario[] = [
  {
    name: 'load-balancer',
    object: OBJECT,
    program: 'xdp_load_balancer',
    setup: SETUP,
    packets: [
      ...standardCases(),
      ...flows,
      frameCase('lb-vip-tcp-other-client', ipv4TcpSynFrame({ src: '172.16.5.9', dst: VIP, srcPort: 40001 })),
      frameCase('lb-vip-udp', ipv4UdpFrame({ dst: VIP, dstPort: 53 })),
      frameCase('lb-vip-udp-other-port', ipv4UdpFrame({ dst: VIP, dstPort: 53, srcPort: 33333 })),
      frameCase('lb-vip-wrong-protocol', ipv4UdpFrame({ dst: VIP, dstPort: 80 })),
      frameCase('lb-vip-no-backends', ipv4TcpSynFrame({ dst: '10.0.0.101', dstPort: 443 })),
      frameCase('lb-vip-empty-backend-slot', ipv4TcpSynFrame({ dst: '10.0.0.102' })),
      frameCase('lb-vip-vlan-tagged', ipv4TcpSynFrame({ dst: VIP, vlans: [{ vid: 100 }] })),
      frameCase('lb-vip-max-size', ipv4UdpFrame({ dst: VIP, dstPort: 53, payload: MAX_LINEAR_FRAME - 42 })),
      frameCase('lb-vip-tos-ttl', ipv4TcpSynFrame({ dst: VIP, ttl: 3 })),
      frameCase('lb-vip-repeat-3', ipv4TcpSynFrame({ dst: VIP }), { repeat: 3 }),
    ],
  },
];
