import { ipv4UdpFrame } from '../../../src/packet/index.js';
import type { MapUpdate, Scenario } from '../scenario.js';
import { frameCase, standardCases, u32le, u64le } from './common.js';

const OBJECT = 'progs/build/redirect.o';
const LOOPBACK = 1;

/** .data of redirect.o: redirect_ifindex u32 @0, (pad), map_flags u64 @8. */
const data = (ifindex: number, mapFlags: number): MapUpdate => ({ map: '.data', key: u32le(0), value: u32le(ifindex) + u32le(0) + u64le(mapFlags) });
/** .bss of redirect.o: redirect_flags u64 @0, last_verdict u64 @8. */
const bss = (redirectFlags: number): MapUpdate => ({ map: '.bss', key: u32le(0), value: u64le(redirectFlags) + u64le(0) });

const BPF_F_BROADCAST = 1 << 3;
const BPF_F_EXCLUDE_INGRESS = 1 << 4;

const devmapSlot0: MapUpdate = { map: 'tx_ports', key: u32le(0), value: u32le(LOOPBACK) };
/** bpf_cpumap_val: queue size 64, no program (fd 0). */
const cpumapSlot0: MapUpdate = { map: 'cpu_queues', key: u32le(0), value: u32le(64) + u32le(0) };

const xskQueues = [frameCase('xsk-lo-queue-0', ipv4UdpFrame(), { ctx: { ingressIfindex: LOOPBACK, rxQueueIndex: 0 } })];

export const redirectScenarios: Scenario[] = [
  { name: 'redirect-ifindex', object: OBJECT, program: 'xdp_redirect_ifindex', packets: standardCases() },
  { name: 'redirect-ifindex-unknown-device', object: OBJECT, program: 'xdp_redirect_ifindex', setup: [data(999, 2)], packets: standardCases() },
  { name: 'redirect-ifindex-bad-flags', object: OBJECT, program: 'xdp_redirect_ifindex', setup: [bss(1)], packets: standardCases() },
  { name: 'redirect-devmap', object: OBJECT, program: 'xdp_redirect_devmap', setup: [devmapSlot0], packets: standardCases() },
  { name: 'redirect-devmap-fallback-drop', object: OBJECT, program: 'xdp_redirect_devmap', setup: [devmapSlot0, data(1, 1)], packets: standardCases() },
  { name: 'redirect-devmap-fallback-tx', object: OBJECT, program: 'xdp_redirect_devmap', setup: [data(1, 3)], packets: standardCases() },
  { name: 'redirect-devmap-flags-redirect', object: OBJECT, program: 'xdp_redirect_devmap', setup: [devmapSlot0, data(1, 4)], packets: standardCases() },
  { name: 'redirect-devmap-broadcast', object: OBJECT, program: 'xdp_redirect_devmap', setup: [data(1, BPF_F_BROADCAST)], packets: standardCases() },
  {
    name: 'redirect-devmap-broadcast-exclude-ingress',
    object: OBJECT,
    program: 'xdp_redirect_devmap',
    setup: [devmapSlot0, data(1, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS | 2)],
    packets: standardCases(),
  },
  { name: 'redirect-cpumap', object: OBJECT, program: 'xdp_redirect_cpumap', setup: [cpumapSlot0], packets: standardCases() },
  {
    name: 'redirect-cpumap-broadcast-flag',
    object: OBJECT,
    program: 'xdp_redirect_cpumap',
    setup: [cpumapSlot0, data(1, BPF_F_BROADCAST | 2)],
    packets: standardCases(),
  },
  { name: 'redirect-xskmap', object: OBJECT, program: 'xdp_redirect_xskmap', packets: [...standardCases(), ...xskQueues] },
  {
    name: 'redirect-xskmap-fallback-aborted',
    object: OBJECT,
    program: 'xdp_redirect_xskmap',
    setup: [data(1, 0)],
    packets: [...standardCases(), ...xskQueues],
  },
];
