/*
 * Stateless IPv4 firewall.
 *
 * Rules are checked in a fixed order, first match wins:
 *   1. source address in `allow_src`            -> PASS (an allow list beats every deny rule)
 *   2. source address in `deny_src`             -> DROP
 *   3. source address inside a `deny_prefix`    -> DROP (longest-prefix match)
 *   4. TCP/UDP destination port in `deny_port`  -> DROP (first fragments and unfragmented only:
 *      later fragments carry no L4 header)
 *   5. otherwise `default_action` (global .data, so a test can flip it through the `.data` map)
 * Malformed IPv4 (IHL < 5, header or total length beyond the frame) is dropped. Non-IPv4 traffic
 * is not this firewall's business and passes. Every decision bumps one per-rule counter.
 */
#include "xdpchain/parse.h"

enum fw_rule {
	RULE_DEFAULT = 0,
	RULE_ALLOW_SRC = 1,
	RULE_DENY_SRC = 2,
	RULE_DENY_PREFIX = 3,
	RULE_DENY_PORT = 4,
	RULE_MALFORMED = 5,
	RULE_NOT_IPV4 = 6,
	RULE_COUNT = 7,
};

struct rule_counter {
	__u64 packets;
	__u64 bytes;
};

struct lpm_v4_key {
	__u32 prefixlen;
	__be32 addr;
};

struct port_key {
	__u8 proto;
	__u8 pad;
	__be16 port;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __be32);
	__type(value, __u32);
} allow_src SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __be32);
	__type(value, __u32);
} deny_src SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v4_key);
	__type(value, __u32);
} deny_prefix SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct port_key);
	__type(value, __u32);
} deny_port SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RULE_COUNT);
	__type(key, __u32);
	__type(value, struct rule_counter);
} rule_stats SEC(".maps");

/* Verdict when no rule matches. */
__u32 default_action = XDP_PASS;
/* The rule that decided the last packet (handy when debugging a chain). */
__u32 last_rule;

/* A real function (not inlined) so the object exercises bpf-to-bpf calls. */
static __noinline __u32 count_rule(__u32 rule, __u64 bytes, __u32 verdict)
{
	struct rule_counter *c = bpf_map_lookup_elem(&rule_stats, &rule);

	if (c) {
		__sync_fetch_and_add(&c->packets, 1);
		__sync_fetch_and_add(&c->bytes, bytes);
	}
	last_rule = rule;
	return verdict;
}

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx)
{
	__u64 bytes = ctx->data_end - ctx->data;
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct lpm_v4_key prefix;
	struct port_key pk = {};
	__u16 vid;
	int proto;

	cursor_init(&c, ctx);
	proto = parse_eth(&c, &eth, &vid);
	if (proto != bpf_htons(ETH_P_IP))
		return count_rule(RULE_NOT_IPV4, bytes, XDP_PASS);

	proto = parse_ipv4(&c, &ip);
	if (proto < 0 || (void *)ip + bpf_ntohs(ip->tot_len) > c.end ||
	    bpf_ntohs(ip->tot_len) < ip->ihl * 4)
		return count_rule(RULE_MALFORMED, bytes, XDP_DROP);

	if (bpf_map_lookup_elem(&allow_src, &ip->saddr))
		return count_rule(RULE_ALLOW_SRC, bytes, XDP_PASS);
	if (bpf_map_lookup_elem(&deny_src, &ip->saddr))
		return count_rule(RULE_DENY_SRC, bytes, XDP_DROP);

	prefix.prefixlen = 32;
	prefix.addr = ip->saddr;
	if (bpf_map_lookup_elem(&deny_prefix, &prefix))
		return count_rule(RULE_DENY_PREFIX, bytes, XDP_DROP);

	if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP) && !ipv4_is_later_fragment(ip)) {
		/* TCP and UDP both start with source and destination ports. */
		struct udphdr *l4 = c.pos;

		if ((void *)(l4 + 1) > c.end)
			return count_rule(RULE_MALFORMED, bytes, XDP_DROP);
		pk.proto = proto;
		pk.port = l4->dest;
		if (bpf_map_lookup_elem(&deny_port, &pk))
			return count_rule(RULE_DENY_PORT, bytes, XDP_DROP);
	}
	return count_rule(RULE_DEFAULT, bytes, default_action);
}

XDPCHAIN_LICENSE;
