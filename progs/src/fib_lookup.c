/*
 * bpf_fib_lookup: an XDP router's forwarding step.
 *
 * For IPv4 and IPv6 the program asks the kernel's routing table (of the network namespace the
 * ingress device lives in) where the destination goes. On success it decrements the TTL / hop
 * limit (fixing the IPv4 checksum incrementally), rewrites the MAC addresses to the next hop's and
 * redirects out of the egress device. Blackhole, unreachable and prohibit routes drop; everything
 * the fast path cannot finish (no neighbour entry yet, forwarding disabled, packet too big for the
 * egress MTU, no route) passes to the stack, which knows how to resolve or answer it. Every lookup's
 * return code and output (ifindex, MACs, MTU) is kept in `fib_last`.
 */
#include "xdpchain/parse.h"

#define AF_INET 2
#define AF_INET6 10

struct fib_record {
	__s64 rc;
	__u32 ifindex;
	__u16 mtu_result;
	__u8 smac[ETH_ALEN];
	__u8 dmac[ETH_ALEN];
	__u16 family;
	__u32 lookups;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fib_record);
} fib_last SEC(".maps");

/* Per return code (0..8) and one slot for negative errors. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 10);
	__type(key, __u32);
	__type(value, __u64);
} fib_rc_count SEC(".maps");

static __always_inline void ipv4_decrease_ttl(struct iphdr *ip)
{
	/* TTL is the high byte of the 16-bit word it shares with the protocol. */
	__u32 check = ip->check;

	check += bpf_htons(0x0100);
	ip->check = (__u16)(check + (check >= 0xffff));
	ip->ttl--;
}

static __noinline void record(const struct bpf_fib_lookup *p, long rc, __u16 family)
{
	__u32 zero = 0;
	__u32 slot = rc >= 0 && rc <= 8 ? (__u32)rc : 9;
	struct fib_record *r = bpf_map_lookup_elem(&fib_last, &zero);
	__u64 *n = bpf_map_lookup_elem(&fib_rc_count, &slot);

	if (n)
		*n += 1;
	if (!r)
		return;
	r->rc = rc;
	r->ifindex = p->ifindex;
	r->mtu_result = rc == BPF_FIB_LKUP_RET_FRAG_NEEDED ? p->mtu_result : 0;
	__builtin_memcpy(r->smac, p->smac, ETH_ALEN);
	__builtin_memcpy(r->dmac, p->dmac, ETH_ALEN);
	r->family = family;
	r->lookups++;
}

SEC("xdp")
int xdp_fib_lookup(struct xdp_md *ctx)
{
	struct bpf_fib_lookup params;
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip = 0;
	struct ipv6hdr *ip6 = 0;
	__u16 vid;
	int proto;
	long rc;

	__builtin_memset(&params, 0, sizeof(params));
	cursor_init(&c, ctx);
	proto = parse_eth(&c, &eth, &vid);
	if (proto == bpf_htons(ETH_P_IP)) {
		if (parse_ipv4(&c, &ip) < 0)
			return XDP_DROP;
		if (ip->ttl <= 1)
			return XDP_PASS; /* the stack sends the ICMP time-exceeded */
		params.family = AF_INET;
		params.tos = ip->tos;
		params.l4_protocol = ip->protocol;
		params.tot_len = bpf_ntohs(ip->tot_len);
		params.ipv4_src = ip->saddr;
		params.ipv4_dst = ip->daddr;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		if (parse_ipv6(&c, &ip6) < 0)
			return XDP_DROP;
		if (ip6->hop_limit <= 1)
			return XDP_PASS;
		params.family = AF_INET6;
		params.flowinfo = *(__be32 *)ip6 & bpf_htonl(0x0fffffff);
		params.l4_protocol = ip6->nexthdr;
		params.tot_len = bpf_ntohs(ip6->payload_len) + sizeof(*ip6);
		__builtin_memcpy(params.ipv6_src, &ip6->saddr, sizeof(params.ipv6_src));
		__builtin_memcpy(params.ipv6_dst, &ip6->daddr, sizeof(params.ipv6_dst));
	} else {
		return XDP_PASS;
	}
	params.ifindex = ctx->ingress_ifindex;

	rc = bpf_fib_lookup(ctx, &params, sizeof(params), 0);
	record(&params, rc, params.family);

	switch (rc) {
	case BPF_FIB_LKUP_RET_SUCCESS:
		if (ip)
			ipv4_decrease_ttl(ip);
		else if (ip6)
			ip6->hop_limit--;
		__builtin_memcpy(eth->h_dest, params.dmac, ETH_ALEN);
		__builtin_memcpy(eth->h_source, params.smac, ETH_ALEN);
		return bpf_redirect(params.ifindex, 0);
	case BPF_FIB_LKUP_RET_BLACKHOLE:
	case BPF_FIB_LKUP_RET_UNREACHABLE:
	case BPF_FIB_LKUP_RET_PROHIBIT:
		return XDP_DROP;
	default:
		return XDP_PASS;
	}
}

XDPCHAIN_LICENSE;
