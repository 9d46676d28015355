/*
 * A firewall that parses through bpf_dynptr_slice instead of direct packet access: Ethernet, up
 * to two VLAN tags, IPv4 (with options) or IPv6, then TCP or UDP, each header sliced into a stack
 * buffer that is used only when the header does not lie in one piece of the frame. Without
 * data_end checks the same code reads multi-buffer frames. It counts what it saw per class and
 * drops TCP to drop_tcp_port and UDP to drop_udp_port (.data); truncated headers are dropped too.
 */
#include "xdpchain/dynptr.h"

enum {
	SEEN_ALL,
	SEEN_VLAN,
	SEEN_IPV4,
	SEEN_IPV6,
	SEEN_TCP,
	SEEN_UDP,
	SEEN_OTHER,
	SEEN_TRUNCATED,
	SEEN_DROPPED,
	SEEN_MAX,
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SEEN_MAX);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

__u16 drop_tcp_port = 23;
__u16 drop_udp_port = 1900;

static __always_inline void count(__u32 what)
{
	__u64 *n = bpf_map_lookup_elem(&seen, &what);

	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline int drop(__u32 why)
{
	count(why);
	if (why != SEEN_DROPPED)
		count(SEEN_DROPPED);
	return XDP_DROP;
}

SEC("xdp")
int xdp_dynptr_firewall(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	struct ethhdr eth_buf;
	struct vlan_hdr vlan_buf;
	struct iphdr ip_buf;
	struct ipv6hdr ip6_buf;
	struct tcphdr tcp_buf;
	struct udphdr udp_buf;
	struct ethhdr *eth;
	__u32 off = sizeof(struct ethhdr);
	__be16 proto;
	__u8 l4;
	int i;

	if (bpf_dynptr_from_xdp(ctx, 0, &d))
		return XDP_ABORTED;
	count(SEEN_ALL);
	eth = bpf_dynptr_slice(&d, 0, &eth_buf, sizeof(eth_buf));
	if (!eth)
		return drop(SEEN_TRUNCATED);
	proto = eth->h_proto;
#pragma unroll
	for (i = 0; i < 2; i++) {
		struct vlan_hdr *v;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		v = bpf_dynptr_slice(&d, off, &vlan_buf, sizeof(vlan_buf));
		if (!v)
			return drop(SEEN_TRUNCATED);
		if (i == 0)
			count(SEEN_VLAN);
		proto = v->encap_proto;
		off += sizeof(*v);
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = bpf_dynptr_slice(&d, off, &ip_buf, sizeof(ip_buf));

		if (!ip || ip->ihl < 5)
			return drop(SEEN_TRUNCATED);
		count(SEEN_IPV4);
		if (ip->frag_off & bpf_htons(IP_OFFSET))
			return XDP_PASS;
		l4 = ip->protocol;
		off += ip->ihl * 4;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = bpf_dynptr_slice(&d, off, &ip6_buf, sizeof(ip6_buf));

		if (!ip6)
			return drop(SEEN_TRUNCATED);
		count(SEEN_IPV6);
		l4 = ip6->nexthdr;
		off += sizeof(*ip6);
	} else {
		count(SEEN_OTHER);
		return XDP_PASS;
	}
	if (l4 == IPPROTO_TCP) {
		struct tcphdr *t = bpf_dynptr_slice(&d, off, &tcp_buf, sizeof(tcp_buf));

		if (!t)
			return drop(SEEN_TRUNCATED);
		count(SEEN_TCP);
		if (t->dest == bpf_htons(drop_tcp_port))
			return drop(SEEN_DROPPED);
	} else if (l4 == IPPROTO_UDP) {
		struct udphdr *u = bpf_dynptr_slice(&d, off, &udp_buf, sizeof(udp_buf));

		if (!u)
			return drop(SEEN_TRUNCATED);
		count(SEEN_UDP);
		if (u->dest == bpf_htons(drop_udp_port))
			return drop(SEEN_DROPPED);
	}
	return XDP_PASS;
}

XDPCHAIN_LICENSE;
