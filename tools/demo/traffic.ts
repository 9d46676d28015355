import { ipv4IcmpEchoFrame, ipv4TcpSynFrame, ipv4UdpFrame, ipv6UdpFrame } from '../../src/packet/kinds.js';

/**
 * A day at the edge in miniature: DNS-like UDP, web SYNs, pings, IPv6, telnet probes, traffic
 * from a blocked network and frames whose TTL is about to expire, in a fixed repeating mix.
 */
export function demoTraffic(): Uint8Array[] {
  return [
    ipv4UdpFrame(),
    ipv4UdpFrame({ src: '10.0.0.7', dstPort: 123 }),
    ipv4TcpSynFrame(),
    ipv4TcpSynFrame({ src: '10.0.0.9', dstPort: 443 }),
    ipv4IcmpEchoFrame(),
    ipv6UdpFrame(),
    ipv4TcpSynFrame({ src: '10.0.0.66', dstPort: 23 }),
    ipv4UdpFrame({ src: '198.51.100.23' }),
    ipv4TcpSynFrame({ src: '198.51.100.99', dstPort: 80 }),
    ipv4UdpFrame({ ttl: 1 }),
  ];
}
