import { ipv4TcpSynFrame, ipv4UdpFrame, ipv6UdpFrame, MAX_LINEAR_FRAME, TestHosts } from '../../../src/packet/index.js';
import type { NetnsSetup, Scenario } from '../scenario.js';
import { frameCase, standardCases } from './common.js';

const INGRESS = 10;

/**
 * A router with two ports: `ingress0` (ifindex 10) on the client LAN 10.0.0.0/24 and fd00::/64,
 * holding the server's address and MAC; `egress0` (ifindex 20) towards 10.1.0.0/24 and fd01::/64,
 * where the gateway 10.1.0.1 / fd01::1 (MAC 02:00:00:00:01:01) leads to 10.2.0.0/16 and fd02::/48.
 */
function routerNetns(forwarding: boolean): NetnsSetup {
  return {
    links: [
      {
        name: 'ingress0',
        ifindex: INGRESS,
        mac: TestHosts.serverMac,
        peer: 'ingress1',
        peerIfindex: 11,
        peerMac: TestHosts.clientMac,
        addresses: ['10.0.0.2/24', 'fd00::2/64'],
      },
      {
        name: 'egress0',
        ifindex: 20,
        mac: '02:00:00:00:01:fe',
        peer: 'egress1',
        peerIfindex: 21,
        peerMac: '02:00:00:00:01:01',
        addresses: ['10.1.0.254/24', 'fd01::fe/64'],
      },
    ],
    routes: [
      '10.2.0.0/16 via 10.1.0.1 dev egress0',
      'blackhole 10.9.0.0/16',
      'unreachable 10.8.0.0/16',
      'prohibit 10.7.0.0/16',
      'fd02::/48 via fd01::1 dev egress0',
      'blackhole fd09::/48',
    ],
    neighbours: [
      { address: '10.1.0.1', mac: '02:00:00:00:01:01', dev: 'egress0' },
      { address: 'fd01::1', mac: '02:00:00:00:01:01', dev: 'egress0' },
    ],
    sysctls: forwarding ? { 'net.ipv4.conf.all.forwarding': '1', 'net.ipv6.conf.all.forwarding': '1' } : {},
  };
}

const ctx = { ingressIfindex: INGRESS };
const at = (name: string, frame: Uint8Array) => frameCase(name, frame, { ctx });

const specific = [
  at('fib-v4-via-gateway', ipv4UdpFrame({ dst: '10.2.3.4' })),
  at('fib-v4-gateway-itself', ipv4TcpSynFrame({ dst: '10.1.0.1' })),
  at('fib-v4-connected-no-neighbour', ipv4UdpFrame({ dst: '10.1.0.99' })),
  at('fib-v4-blackhole', ipv4UdpFrame({ dst: '10.9.1.1' })),
  at('fib-v4-unreachable', ipv4UdpFrame({ dst: '10.8.1.1' })),
  at('fib-v4-prohibit', ipv4UdpFrame({ dst: '10.7.1.1' })),
  at('fib-v4-no-route', ipv4UdpFrame({ dst: '192.0.2.55' })),
  at('fib-v4-too-big-for-mtu', ipv4UdpFrame({ dst: '10.2.3.4', payload: MAX_LINEAR_FRAME - 42 })),
  at('fib-v4-ttl-1', ipv4UdpFrame({ dst: '10.2.3.4', ttl: 1 })),
  at('fib-v4-vlan-tagged', ipv4UdpFrame({ dst: '10.2.3.4', vlans: [{ vid: 5 }] })),
  at('fib-v6-via-gateway', ipv6UdpFrame({ dst: 'fd02::5' })),
  at('fib-v6-blackhole', ipv6UdpFrame({ dst: 'fd09::1' })),
  at('fib-v6-no-route', ipv6UdpFrame({ dst: '2001:db8::1' })),
  frameCase('fib-v4-from-lo', ipv4UdpFrame({ dst: '10.2.3.4' }), { ctx: { ingressIfindex: 1 } }),
  frameCase('fib-v4-default-ingress', ipv4UdpFrame({ dst: '10.2.3.4' })),
];

export const fibLookupScenarios: Scenario[] = [
  {
    name: 'fib-lookup',
    object: 'progs/build/fib_lookup.o',
    program: 'xdp_fib_lookup',
    netns: routerNetns(true),
    packets: [...standardCases(ctx), ...specific],
  },
  {
    name: 'fib-lookup-forwarding-off',
    object: 'progs/build/fib_lookup.o',
    program: 'xdp_fib_lookup',
    netns: routerNetns(false),
    packets: specific,
  },
];
