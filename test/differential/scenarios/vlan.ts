import { ipv4UdpFrame } from '../../../src/packet/index.js';
import type { Scenario } from '../scenario.js';
import { frameCase, standardCases, u16le, u32le, u8 } from './common.js';

const OBJECT = 'progs/build/vlan.o';

export const vlanScenarios: Scenario[] = [
  { name: 'vlan-push', object: OBJECT, program: 'xdp_vlan_push', packets: standardCases() },
  {
    name: 'vlan-push-qinq-outer',
    object: OBJECT,
    program: 'xdp_vlan_push',
    // .data: push_tpid u16 @0, push_vid u16 @2, push_pcp u8 @4 (5 bytes): 802.1ad, VLAN 300, PCP 7.
    setup: [{ map: '.data', key: u32le(0), value: u16le(0x88a8) + u16le(300) + u8(7) }],
    packets: [...standardCases(), frameCase('vlan-push-repeat-3', ipv4UdpFrame(), { repeat: 3 })],
  },
  {
    name: 'vlan-pop',
    object: OBJECT,
    program: 'xdp_vlan_pop',
    packets: [
      ...standardCases(),
      frameCase('vlan-pop-vid-4095', ipv4UdpFrame({ vlans: [{ vid: 4095 }] })),
      frameCase('vlan-pop-tag-only', ipv4UdpFrame({ vlans: [{ vid: 7 }] }).slice(0, 18)),
      frameCase('vlan-pop-truncated-tag', ipv4UdpFrame({ vlans: [{ vid: 7 }] }).slice(0, 16)),
      frameCase('vlan-pop-repeat-2-qinq', ipv4UdpFrame({ vlans: [{ vid: 200, tpid: 0x88a8 }, { vid: 100 }] }), { repeat: 2 }),
    ],
  },
];
