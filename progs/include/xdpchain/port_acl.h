/*
 * A port ACL: UDP and TCP traffic to the ports in `denied_ports` (read-only data) is dropped,
 * ICMP echo requests are answered in place (addresses swapped, type set to reply, XDP_TX), the
 * rest passes. Shared by xdp_port_acl and xdp_ttl_then_acl.
 */
#ifndef XDPCHAIN_PORT_ACL_H
#define XDPCHAIN_PORT_ACL_H
#include "xdpchain/parse.h"

static const volatile __u16 denied_ports[4] = { 23, 135, 445, 3389 };

static __always_inline int port_acl(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	__u16 vid;

	cursor_init(&c, ctx);
	if (parse_eth(&c, &eth, &vid) != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if (parse_ipv4(&c, &ip) < 0)
		return XDP_DROP;
	if (ip->protocol == IPPROTO_ICMP) {
		struct icmp_echo *icmp = c.pos;
		if ((void *)(icmp + 1) > c.end || icmp->type != ICMP_ECHO)
			return XDP_PASS;
		__u32 tmp = ip->saddr;
		ip->saddr = ip->daddr;
		ip->daddr = tmp;
		__u8 mac[ETH_ALEN];
		__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
		__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
		__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
		icmp->type = ICMP_ECHOREPLY;
		__u32 sum = (__u16)~icmp->checksum;
		sum += (__u16)~bpf_htons(ICMP_ECHO << 8);
		sum += bpf_htons(ICMP_ECHOREPLY << 8);
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		icmp->checksum = ~sum;
		return XDP_TX;
	}
	if (ip->protocol != IPPROTO_UDP && ip->protocol != IPPROTO_TCP)
		return XDP_PASS;
	__be16 *ports = c.pos;
	if ((void *)(ports + 2) > c.end)
		return XDP_DROP;
	__u16 dport = bpf_ntohs(ports[1]);
	for (int i = 0; i < 4; i++)
		if (dport == denied_ports[i])
			return XDP_DROP;
	return XDP_PASS;
}
#endif
