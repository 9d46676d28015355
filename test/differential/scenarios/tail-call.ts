import type { MapUpdate, Scenario } from '../scenario.js';
import { standardCases, u32le } from './common.js';

const OBJECT = 'progs/build/tail_call.o';

const slot = (index: number, program: string): MapUpdate => ({ map: 'jump_table', key: u32le(index), program });

export const tailCallScenarios: Scenario[] = [
  {
    name: 'tail-call-dispatch',
    object: OBJECT,
    program: 'xdp_tail_root',
    // IPv4 → TX, IPv6 → DROP, ARP → xdp_tail_arp → slot 3 = xdp_tail_chain, which calls itself
    // until the kernel's tail-call limit stops it; slot 7 (other EtherTypes) stays empty.
    setup: [slot(0, 'xdp_tail_ipv4'), slot(1, 'xdp_tail_ipv6'), slot(2, 'xdp_tail_arp'), slot(3, 'xdp_tail_chain')],
    packets: standardCases(),
  },
  { name: 'tail-call-empty-table', object: OBJECT, program: 'xdp_tail_root', packets: standardCases() },
  {
    name: 'tail-call-self-limit',
    object: OBJECT,
    program: 'xdp_tail_chain',
    setup: [slot(3, 'xdp_tail_chain')],
    packets: standardCases(),
  },
  {
    name: 'tail-call-arp-without-chain',
    object: OBJECT,
    program: 'xdp_tail_root',
    setup: [slot(2, 'xdp_tail_arp')],
    packets: standardCases(),
  },
];
