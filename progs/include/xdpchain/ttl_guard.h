/*
 * The forwarding step of a router: frames whose TTL / hop limit would expire are dropped, others
 * have it decremented (IPv4 checksum fixed incrementally) and pass on. Non-IP frames pass.
 * Shared by xdp_ttl_guard (a chain component) and xdp_ttl_then_acl (both steps in one program).
 */
#ifndef XDPCHAIN_TTL_GUARD_H
#define XDPCHAIN_TTL_GUARD_H
#include "xdpchain/parse.h"

static __always_inline int ttl_guard(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct ipv6hdr *ip6;
	__u16 vid;
	int proto;

	cursor_init(&c, ctx);
	proto = parse_eth(&c, &eth, &vid);
	if (proto == bpf_htons(ETH_P_IP)) {
		if (parse_ipv4(&c, &ip) < 0)
			return XDP_DROP;
		if (ip->ttl <= 1)
			return XDP_DROP;
		__u32 check = ip->check;
		check += bpf_htons(0x0100);
		ip->check = (__u16)(check + (check >= 0xffff));
		ip->ttl--;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		if (parse_ipv6(&c, &ip6) < 0)
			return XDP_DROP;
		if (ip6->hop_limit <= 1)
			return XDP_DROP;
		ip6->hop_limit--;
	}
	return XDP_PASS;
}
#endif
