/*
 * Bounds-checked header parsing shared by the programs. Every function takes a cursor, checks the
 * header fits before data_end (the verifier insists, and so does a hostile packet), advances the
 * cursor and returns the next protocol, or -1 when the header is truncated or invalid.
 */
#ifndef XDPCHAIN_PARSE_H
#define XDPCHAIN_PARSE_H

#include "xdpchain/common.h"

struct cursor {
	void *pos;
	void *end;
};

static __always_inline void cursor_init(struct cursor *c, struct xdp_md *ctx)
{
	c->pos = (void *)(long)ctx->data;
	c->end = (void *)(long)ctx->data_end;
}

static __always_inline int is_vlan_proto(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

/*
 * Ethernet plus up to two VLAN tags (802.1Q, or 802.1ad outer + 802.1Q inner). Returns the
 * inner EtherType in network order; *vid gets the outermost VLAN id or 0.
 */
static __always_inline int parse_eth(struct cursor *c, struct ethhdr **eth, __u16 *vid)
{
	struct ethhdr *e = c->pos;
	__be16 proto;

	if ((void *)(e + 1) > c->end)
		return -1;
	*eth = e;
	*vid = 0;
	c->pos = e + 1;
	proto = e->h_proto;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		struct vlan_hdr *v = c->pos;

		if (!is_vlan_proto(proto))
			break;
		if ((void *)(v + 1) > c->end)
			return -1;
		if (i == 0)
			*vid = bpf_ntohs(v->tci) & 0x0fff;
		proto = v->encap_proto;
		c->pos = v + 1;
	}
	return proto;
}

/* IPv4 with options: IHL below 5 or a header beyond the frame is invalid. */
static __always_inline int parse_ipv4(struct cursor *c, struct iphdr **iph)
{
	struct iphdr *ip = c->pos;
	__u32 hlen;

	if ((void *)(ip + 1) > c->end)
		return -1;
	hlen = ip->ihl * 4;
	if (hlen < sizeof(*ip))
		return -1;
	if (c->pos + hlen > c->end)
		return -1;
	*iph = ip;
	c->pos += hlen;
	return ip->protocol;
}

/* True when this IPv4 packet is a non-first fragment: it carries no L4 header. */
static __always_inline int ipv4_is_later_fragment(const struct iphdr *ip)
{
	return (ip->frag_off & bpf_htons(IP_OFFSET)) != 0;
}

/* IPv6 plus at most one hop-by-hop, routing or destination-options extension header. */
static __always_inline int parse_ipv6(struct cursor *c, struct ipv6hdr **ip6h)
{
	struct ipv6hdr *ip6 = c->pos;
	__u8 next;

	if ((void *)(ip6 + 1) > c->end)
		return -1;
	*ip6h = ip6;
	c->pos = ip6 + 1;
	next = ip6->nexthdr;
	if (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING || next == IPPROTO_DSTOPTS) {
		__u8 *ext = c->pos;

		if ((void *)(ext + 2) > c->end)
			return -1;
		next = ext[0];
		/* Extension header length is in 8-byte units, not counting the first 8. */
		if (c->pos + (ext[1] + 1) * 8 > c->end)
			return -1;
		c->pos += (ext[1] + 1) * 8;
	}
	return next;
}

static __always_inline struct udphdr *parse_udp(struct cursor *c)
{
	struct udphdr *u = c->pos;

	if ((void *)(u + 1) > c->end)
		return 0;
	c->pos = u + 1;
	return u;
}

static __always_inline struct tcphdr *parse_tcp(struct cursor *c)
{
	struct tcphdr *t = c->pos;
	__u32 hlen;

	if ((void *)(t + 1) > c->end)
		return 0;
	hlen = t->doff * 4;
	if (hlen < sizeof(*t) || c->pos + hlen > c->end)
		return 0;
	c->pos += hlen;
	return t;
}

#endif
