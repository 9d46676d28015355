import { ipv4TcpSynFrame, ipv4UdpFrame, parseIpv4, TestHosts } from '../../../src/packet/index.js';
import type { MapUpdate, Scenario } from '../scenario.js';
import { be16, frameCase, ipv4, mac, standardCases, u32le, u8, zeros } from './common.js';

/**
 * maglev_lb: a balancer with a production balancer's geometry (a 268 MB ring array). A control
 * plane would fill each VIP's 65537-slot ring by the Maglev permutation; the scenario fills only the
 * slots its flows reach, computed with the program's own flow hash, and leaves one flow's slot empty.
 */
const RING_SIZE = 65537;
const VIP = '10.0.0.10';

/** The program's flow_hash (Jenkins' one-at-a-time) over struct flow_key. */
function flowHash(saddr: string, daddr: string, sport: number, dport: number, proto: number): number {
  const key = [...parseIpv4(saddr), ...parseIpv4(daddr), sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, proto, 0, 0, 0];
  let h = 0;
  for (const b of key) {
    h = (h + b) >>> 0;
    h = (h + (h << 10)) >>> 0;
    h = (h ^ (h >>> 6)) >>> 0;
  }
  h = (h + (h << 3)) >>> 0;
  h = (h ^ (h >>> 11)) >>> 0;
  return (h + (h << 15)) >>> 0;
}

const vipKey = (addr: string, port: number, proto: number) => ipv4(addr) + be16(port) + u8(proto) + u8(0);
const vipMeta = (vipNum: number) => u32le(vipNum) + u32le(0);
const backend = (n: number) => ipv4(`192.168.1.${n}`) + mac(`02:00:00:00:01:0${n}`) + zeros(2);
const slot = (vipNum: number, src: string, sport: number, dport: number, proto: number) =>
  vipNum * RING_SIZE + (flowHash(src, VIP, sport, dport, proto) % RING_SIZE);

const client = TestHosts.clientIpv4;
const tcpFlows = [40001, 40002, 40003];
const SETUP: MapUpdate[] = [
  { map: 'vip_map', key: vipKey(VIP, 80, 6), value: vipMeta(0) },
  { map: 'vip_map', key: vipKey(VIP, 53, 17), value: vipMeta(511) },
  { map: 'backends', key: u32le(1), value: backend(1) },
  { map: 'backends', key: u32le(2), value: backend(2) },
  ...tcpFlows.map((port, i) => ({ map: 'rings', key: u32le(slot(0, client, port, 80, 6)), value: u32le(1 + (i % 2)) })),
  // The last VIP's ring: its slots sit at the far end of the 268 MB array.
  { map: 'rings', key: u32le(slot(511, client, 40000, 53, 17)), value: u32le(2) },
];

export const maglevLbScenarios: Scenario[] = [
  {
    name: 'maglev-lb',
    object: 'progs/build/maglev_lb.o',
    program: 'xdp_maglev_lb',
    setup: SETUP,
    // 33.5M ring slots: too many to dump on either side; every other map is compared.
    ignoreMaps: ['rings'],
    packets: [
      ...standardCases(),
      ...tcpFlows.map((port) => frameCase(`maglev-vip-tcp-sport-${port}`, ipv4TcpSynFrame({ dst: VIP, srcPort: port }))),
      frameCase('maglev-vip-udp-last-ring', ipv4UdpFrame({ dst: VIP, dstPort: 53 })),
      frameCase('maglev-vip-empty-slot', ipv4TcpSynFrame({ dst: VIP, srcPort: 50000 })),
      frameCase('maglev-vip-repeat-3-keeps-its-backend', ipv4TcpSynFrame({ dst: VIP, srcPort: 40002 }), { repeat: 3 }),
    ],
  },
];
