/*
 * Per-protocol traffic accounting: packets and bytes per protocol class, in a per-CPU array so
 * that CPUs never contend on a counter (each CPU owns its copy; readers sum them). VLAN tags are
 * looked through; frames too short to classify count as "other". Every frame passes.
 */
#include "xdpchain/parse.h"

enum proto_class {
	CLASS_OTHER = 0,
	CLASS_ARP,
	CLASS_IPV4_TCP,
	CLASS_IPV4_UDP,
	CLASS_IPV4_ICMP,
	CLASS_IPV4_OTHER,
	CLASS_IPV6_TCP,
	CLASS_IPV6_UDP,
	CLASS_IPV6_ICMP,
	CLASS_IPV6_OTHER,
	CLASS_VLAN_TAGGED, /* counted in addition to the inner class */
	CLASS_COUNT,
};

struct traffic {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CLASS_COUNT);
	__type(key, __u32);
	__type(value, struct traffic);
} proto_stats SEC(".maps");

static __always_inline void account(__u32 class, __u64 bytes)
{
	struct traffic *t = bpf_map_lookup_elem(&proto_stats, &class);

	/* Per-CPU: no other CPU writes this copy, a plain add is enough. */
	if (t) {
		t->packets++;
		t->bytes += bytes;
	}
}

static __always_inline __u32 classify_l4(int proto, int icmp)
{
	if (proto == IPPROTO_TCP)
		return 0;
	if (proto == IPPROTO_UDP)
		return 1;
	if (proto == icmp)
		return 2;
	return 3;
}

SEC("xdp")
int xdp_proto_counters(struct xdp_md *ctx)
{
	__u64 bytes = ctx->data_end - ctx->data;
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct ipv6hdr *ip6;
	__u32 class = CLASS_OTHER;
	__u16 vid;
	int proto;

	cursor_init(&c, ctx);
	proto = parse_eth(&c, &eth, &vid);
	if (proto >= 0 && eth->h_proto != (__be16)proto)
		account(CLASS_VLAN_TAGGED, bytes);

	if (proto == bpf_htons(ETH_P_ARP)) {
		class = CLASS_ARP;
	} else if (proto == bpf_htons(ETH_P_IP)) {
		proto = parse_ipv4(&c, &ip);
		if (proto >= 0)
			class = CLASS_IPV4_TCP + classify_l4(proto, IPPROTO_ICMP);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		proto = parse_ipv6(&c, &ip6);
		if (proto >= 0)
			class = CLASS_IPV6_TCP + classify_l4(proto, IPPROTO_ICMPV6);
	}
	account(class, bytes);
	return XDP_PASS;
}

XDPCHAIN_LICENSE;
