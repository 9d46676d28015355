import { ipv4TcpSynFrame, ipv4UdpFrame, ipv6TcpFrame, ipv6UdpFrame } from '../../../src/packet/index.js';
import type { MapUpdate, Scenario } from '../scenario.js';
import { frameCase, ipv4, ipv6, standardCases, u32le } from './common.js';

/** prefix_rule: action (an XDP verdict), rule id. */
const rule = (action: number, id: number) => u32le(action) + u32le(id);
const v4 = (prefix: string, len: number, action: number, id: number): MapUpdate => ({
  map: 'prefixes_v4',
  key: u32le(len) + ipv4(prefix),
  value: rule(action, id),
});
const v6 = (prefix: string, len: number, action: number, id: number): MapUpdate => ({
  map: 'prefixes_v6',
  key: u32le(len) + ipv6(prefix),
  value: rule(action, id),
});

export const lpmFilterScenarios: Scenario[] = [
  {
    name: 'lpm-filter',
    object: 'progs/build/lpm_filter.o',
    program: 'xdp_lpm_filter',
    setup: [
      v4('10.0.0.0', 8, 1, 1),
      v4('10.0.0.0', 24, 2, 2),
      v4('10.0.0.1', 32, 3, 3),
      v4('192.0.2.0', 24, 7, 4), // not a valid action: aborts
      v4('0.0.0.0', 0, 2, 8), // default route: everything else matches /0
      v6('fd00::', 8, 1, 5),
      v6('fd00::', 64, 2, 6),
      v6('fd00::1', 128, 3, 7),
    ],
    packets: [
      ...standardCases(),
      frameCase('lpm-v4-slash24', ipv4UdpFrame({ src: '10.0.0.9' })),
      frameCase('lpm-v4-slash8', ipv4TcpSynFrame({ src: '10.5.5.5' })),
      frameCase('lpm-v4-invalid-action', ipv4UdpFrame({ src: '192.0.2.1' })),
      frameCase('lpm-v4-default-route', ipv4UdpFrame({ src: '172.16.0.1' })),
      frameCase('lpm-v6-slash64', ipv6UdpFrame({ src: 'fd00::99' })),
      frameCase('lpm-v6-slash8', ipv6TcpFrame({ src: 'fd12::1' })),
      frameCase('lpm-v6-no-match', ipv6UdpFrame({ src: '2001:db8::1' })),
    ],
  },
];
