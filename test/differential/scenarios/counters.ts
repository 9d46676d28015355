import { ipv4UdpFrame, ipv6UdpFrame } from '../../../src/packet/index.js';
import type { Scenario } from '../scenario.js';
import { frameCase, standardCases } from './common.js';

export const counterScenarios: Scenario[] = [
  {
    name: 'proto-counters',
    object: 'progs/build/proto_counters.o',
    program: 'xdp_proto_counters',
    packets: [...standardCases(), frameCase('counters-repeat-3', ipv4UdpFrame({ vlans: [{ vid: 9 }] }), { repeat: 3 })],
  },
  {
    name: 'ringbuf-events',
    object: 'progs/build/ringbuf_events.o',
    program: 'xdp_ringbuf_events',
    packets: [
      ...standardCases(),
      // 48-byte records (8-byte header + 40) in a 4096-byte ring: the 86th reservation fails.
      frameCase('ringbuf-fills-up', ipv4UdpFrame(), { repeat: 100 }),
      frameCase('ringbuf-ipv6-two-records-each', ipv6UdpFrame(), { repeat: 50 }),
    ],
  },
  {
    name: 'spin-lock',
    object: 'progs/build/spin_lock.o',
    program: 'xdp_spin_lock',
    packets: [...standardCases(), frameCase('spin-lock-repeat-4', ipv4UdpFrame({ src: '10.0.0.77' }), { repeat: 4 })],
  },
];
