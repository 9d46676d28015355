/*
 * Ethernet to L4 in one call, for programs that handle IPv4 and IPv6 alike. (Kept out of
 * parse.h: a change there changes every object's debug info, and so every golden file.)
 */
#ifndef XDPCHAIN_PARSE_IP_H
#define XDPCHAIN_PARSE_IP_H

#include "xdpchain/parse.h"

/*
 * Ethernet (with VLAN tags), then IPv4 (not a later fragment) or IPv6: sets *ip or *ip6 and
 * returns the L4 protocol, or -1 for anything else or a truncated header.
 */
static __always_inline int parse_ip(struct cursor *c, struct ethhdr **eth, struct iphdr **ip, struct ipv6hdr **ip6)
{
	__u16 vid;
	int proto = parse_eth(c, eth, &vid);

	*ip = 0;
	*ip6 = 0;
	if (proto == bpf_htons(ETH_P_IP)) {
		proto = parse_ipv4(c, ip);
		return proto < 0 || ipv4_is_later_fragment(*ip) ? -1 : proto;
	}
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(c, ip6);
	return -1;
}

#endif
