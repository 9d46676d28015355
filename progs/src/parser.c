/*
 * A complete header parser, the typical first stage of every XDP program, kept on its own for
 * benchmarks: Ethernet, up to two VLAN tags, IPv4 (with options) or IPv6 (with one extension
 * header), then TCP, UDP or ICMP. It extracts the 5-tuple and the TCP flags and counts frames per
 * outcome, keeping the last flow per CPU. Truncated or malformed headers drop; everything else passes.
 */
#include "xdpchain/parse.h"

enum outcome {
	OUT_TCP = 0,
	OUT_UDP,
	OUT_ICMP,
	OUT_L3_ONLY, /* IP without a parsed L4 header: fragments, other protocols */
	OUT_NOT_IP,
	OUT_MALFORMED,
	OUT_TCP_SYN,
	OUT_COUNT,
};

struct flow {
	__u8 saddr[16];
	__u8 daddr[16];
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 tcp_flags;
	__u16 vid;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OUT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} outcomes SEC(".maps");

static __always_inline int finish(__u32 outcome, int verdict)
{
	__u64 *n = bpf_map_lookup_elem(&outcomes, &outcome);

	if (n)
		*n += 1;
	return verdict;
}

/* The last parsed flow, per CPU: what a later stage (a flow table, a sampler) would consume. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flow);
} last_flow SEC(".maps");

static __always_inline int finish_flow(const struct flow *f, __u32 outcome, int verdict)
{
	__u32 zero = 0;

	bpf_map_update_elem(&last_flow, &zero, f, BPF_ANY);
	return finish(outcome, verdict);
}

SEC("xdp")
int xdp_parser(struct xdp_md *ctx)
{
	struct flow f = {};
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct ipv6hdr *ip6;
	int proto;

	cursor_init(&c, ctx);
	proto = parse_eth(&c, &eth, &f.vid);
	if (proto < 0)
		return finish(OUT_MALFORMED, XDP_DROP);
	if (proto == bpf_htons(ETH_P_IP)) {
		proto = parse_ipv4(&c, &ip);
		if (proto < 0)
			return finish(OUT_MALFORMED, XDP_DROP);
		__builtin_memcpy(f.saddr, &ip->saddr, 4);
		__builtin_memcpy(f.daddr, &ip->daddr, 4);
		if (ipv4_is_later_fragment(ip))
			return finish_flow(&f, OUT_L3_ONLY, XDP_PASS);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		proto = parse_ipv6(&c, &ip6);
		if (proto < 0)
			return finish(OUT_MALFORMED, XDP_DROP);
		__builtin_memcpy(f.saddr, &ip6->saddr, 16);
		__builtin_memcpy(f.daddr, &ip6->daddr, 16);
	} else {
		return finish(OUT_NOT_IP, XDP_PASS);
	}
	f.proto = proto;

	if (proto == IPPROTO_TCP) {
		struct tcphdr *t = parse_tcp(&c);

		if (!t)
			return finish(OUT_MALFORMED, XDP_DROP);
		f.sport = t->source;
		f.dport = t->dest;
		f.tcp_flags = ((__u8 *)t)[13];
		if (t->syn && !t->ack)
			finish(OUT_TCP_SYN, 0);
		return finish_flow(&f, OUT_TCP, XDP_PASS);
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr *u = parse_udp(&c);

		if (!u)
			return finish(OUT_MALFORMED, XDP_DROP);
		f.sport = u->source;
		f.dport = u->dest;
		return finish_flow(&f, OUT_UDP, XDP_PASS);
	}
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		struct icmp_echo *e = c.pos;

		if ((void *)(e + 1) > c.end)
			return finish(OUT_MALFORMED, XDP_DROP);
		f.sport = e->id;
		return finish_flow(&f, OUT_ICMP, XDP_PASS);
	}
	return finish_flow(&f, OUT_L3_ONLY, XDP_PASS);
}

XDPCHAIN_LICENSE;
