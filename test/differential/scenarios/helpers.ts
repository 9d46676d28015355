/** One scenario (or a few) per helper program. */
import { buildFrame, ipv4UdpFrame, MAX_LINEAR_FRAME, TestHosts } from '../../../src/packet/index.js';
import type { Scenario } from '../scenario.js';
import { frameCase, metaCase, standardCases, u32le } from './common.js';

const udp = ipv4UdpFrame();

export const helperScenarios: Scenario[] = [
  {
    name: 'adjust-meta',
    object: 'progs/build/adjust_meta.o',
    program: 'xdp_adjust_meta',
    packets: [
      ...standardCases(),
      // How much metadata can still be added depends on what arrived: the 216 usable bytes of
      // headroom hold both, and the kernel caps the metadata length itself.
      ...[4, 24, 28, 100, 148, 152, 188, 200, 208, 212, 216].map((n) => metaCase(`meta-arrives-${n}`, n, udp)),
      frameCase('meta-repeat-3', udp, { repeat: 3 }),
    ],
  },
  {
    name: 'tail-grow',
    object: 'progs/build/adjust_tail.o',
    program: 'xdp_tail_grow',
    packets: [...standardCases(), frameCase('grow-repeat-3', udp, { repeat: 3 })],
  },
  {
    name: 'tail-grow-large',
    object: 'progs/build/adjust_tail.o',
    program: 'xdp_tail_grow',
    // .data: grow_by s32 @0, shrink_by s32 @4.
    setup: [{ map: '.data', key: u32le(0), value: u32le(3000) + u32le(4) }],
    packets: [
      ...standardCases(),
      frameCase('grow-to-exactly-3520', ipv4UdpFrame({ payload: 3520 - 3000 - 42 })),
      frameCase('grow-to-3521', ipv4UdpFrame({ payload: 3521 - 3000 - 42 })),
    ],
  },
  {
    name: 'tail-grow-negative',
    object: 'progs/build/adjust_tail.o',
    program: 'xdp_tail_grow',
    setup: [{ map: '.data', key: u32le(0), value: u32le(-8) + u32le(4) }],
    packets: standardCases(),
  },
  {
    name: 'tail-shrink',
    object: 'progs/build/adjust_tail.o',
    program: 'xdp_tail_shrink',
    packets: [...standardCases(), frameCase('shrink-repeat-10', udp, { repeat: 10 })],
  },
  {
    name: 'tail-shrink-to-minimum',
    object: 'progs/build/adjust_tail.o',
    program: 'xdp_tail_shrink',
    // 60-byte frames shrink by 46 to exactly 14 bytes; shorter ones are refused.
    setup: [{ map: '.data', key: u32le(0), value: u32le(16) + u32le(46) }],
    packets: [...standardCases(), frameCase('shrink-61-to-15', ipv4UdpFrame({ payload: 19 }))],
  },
  {
    name: 'tail-shrink-by-zero',
    object: 'progs/build/adjust_tail.o',
    program: 'xdp_tail_shrink',
    setup: [{ map: '.data', key: u32le(0), value: u32le(16) + u32le(0) }],
    packets: standardCases(),
  },
  { name: 'load-store-bytes', object: 'progs/build/load_store_bytes.o', program: 'xdp_load_store_bytes', packets: standardCases() },
  {
    name: 'csum-diff',
    object: 'progs/build/csum_diff.o',
    program: 'xdp_csum_diff',
    packets: [
      ...standardCases(),
      frameCase(
        'csum-wrong-ipv4-checksum',
        buildFrame([
          { kind: 'ethernet', src: TestHosts.clientMac, dst: TestHosts.serverMac },
          { kind: 'ipv4', src: TestHosts.clientIpv4, dst: TestHosts.serverIpv4, checksum: 0x1234 },
          { kind: 'udp', srcPort: 1, dstPort: 2 },
          { kind: 'payload', bytes: new Uint8Array(70).fill(0xff) },
        ]),
      ),
      frameCase('csum-all-ones-payload', ipv4UdpFrame({ src: '255.255.255.255', dst: '255.255.255.255', payload: 80 })),
    ],
  },
  {
    name: 'time-random',
    object: 'progs/build/time_random.o',
    program: 'xdp_time_random',
    ignoreMaps: ['samples'],
    packets: [...standardCases(), frameCase('time-random-repeat-20', udp, { repeat: 20 })],
  },
  {
    name: 'smp-processor-id',
    object: 'progs/build/smp_processor_id.o',
    program: 'xdp_smp_processor_id',
    packets: [...standardCases(), frameCase('cpu-repeat-7', udp, { repeat: 7 })],
  },
  { name: 'trace-printk', object: 'progs/build/trace_printk.o', program: 'xdp_trace_printk', packets: standardCases() },
  {
    name: 'perf-event-output',
    object: 'progs/build/perf_event_output.o',
    program: 'xdp_perf_event_output',
    packets: [...standardCases(), frameCase('perf-ingress-lo', udp, { ctx: { ingressIfindex: 1 } })],
  },
  { name: 'loop', object: 'progs/build/loop.o', program: 'xdp_loop', packets: standardCases() },
  {
    name: 'buff-len',
    object: 'progs/build/buff_len.o',
    program: 'xdp_buff_len',
    packets: [...standardCases(), frameCase('buff-len-3510', ipv4UdpFrame({ payload: MAX_LINEAR_FRAME - 10 - 42 }))],
  },
  { name: 'parser', object: 'progs/build/parser.o', program: 'xdp_parser', packets: standardCases() },
];
