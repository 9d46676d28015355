/*
 * Prefix filter for IPv4 and IPv6 sources using longest-prefix-match tries.
 *
 * Each prefix carries an action (an XDP verdict) and a rule id; the most specific prefix that
 * contains the source address decides, and its rule's hit counter is bumped. Sources no prefix
 * covers pass. An action outside PASS/DROP/TX is a configuration error and aborts, so a bad rule
 * is loud rather than silently letting traffic through.
 */
#include "xdpchain/parse.h"

#define MAX_RULES 16

struct prefix_v4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct prefix_v6 {
	__u32 prefixlen;
	__u8 addr[16];
};

struct prefix_rule {
	__u32 action;
	__u32 rule_id;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 128);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct prefix_v4);
	__type(value, struct prefix_rule);
} prefixes_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 128);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct prefix_v6);
	__type(value, struct prefix_rule);
} prefixes_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_RULES);
	__type(key, __u32);
	__type(value, __u64);
} rule_hits SEC(".maps");

/* Not inlined: both address families funnel through one copy of the verdict logic. */
static __noinline int apply(const struct prefix_rule *rule)
{
	__u32 id;
	__u64 *hits;

	if (!rule)
		return XDP_PASS;
	id = rule->rule_id;
	hits = bpf_map_lookup_elem(&rule_hits, &id);
	if (hits)
		__sync_fetch_and_add(hits, 1);
	if (rule->action == XDP_PASS || rule->action == XDP_DROP || rule->action == XDP_TX)
		return rule->action;
	return XDP_ABORTED;
}

SEC("xdp")
int xdp_lpm_filter(struct xdp_md *ctx)
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
		struct prefix_v4 k = { .prefixlen = 32 };

		if (parse_ipv4(&c, &ip) < 0)
			return XDP_DROP;
		__builtin_memcpy(k.addr, &ip->saddr, sizeof(k.addr));
		return apply(bpf_map_lookup_elem(&prefixes_v4, &k));
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct prefix_v6 k = { .prefixlen = 128 };

		if (parse_ipv6(&c, &ip6) < 0)
			return XDP_DROP;
		__builtin_memcpy(k.addr, &ip6->saddr, sizeof(k.addr));
		return apply(bpf_map_lookup_elem(&prefixes_v6, &k));
	}
	return XDP_PASS;
}

XDPCHAIN_LICENSE;
