/*
 * bpf_spin_lock / bpf_spin_unlock: consistent multi-field updates of a shared map value.
 *
 * Per-source flow accounting keeps packets and bytes together under the value's lock, so a reader
 * taking the same lock never sees one updated without the other. A source seen for the first time
 * gets a zeroed entry (BPF_NOEXIST, so two CPUs racing on the insert are both fine). A global
 * total is kept the same way in a one-slot array. Non-IPv4 frames are accounted under source 0.
 */
#include "xdpchain/parse.h"

struct locked_counter {
	struct bpf_spin_lock lock;
	__u32 first_len;
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __be32);
	__type(value, struct locked_counter);
} per_source SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct locked_counter);
} totals SEC(".maps");

static __always_inline void add(struct locked_counter *c, __u64 len)
{
	bpf_spin_lock(&c->lock);
	if (c->packets == 0)
		c->first_len = len;
	c->packets++;
	c->bytes += len;
	bpf_spin_unlock(&c->lock);
}

SEC("xdp")
int xdp_spin_lock(struct xdp_md *ctx)
{
	__u64 len = ctx->data_end - ctx->data;
	struct locked_counter fresh = {};
	struct locked_counter *c;
	struct cursor cur;
	struct ethhdr *eth;
	struct iphdr *ip;
	__be32 src = 0;
	__u32 zero = 0;
	__u16 vid;

	cursor_init(&cur, ctx);
	if (parse_eth(&cur, &eth, &vid) == bpf_htons(ETH_P_IP) && parse_ipv4(&cur, &ip) >= 0)
		src = ip->saddr;

	c = bpf_map_lookup_elem(&per_source, &src);
	if (!c) {
		bpf_map_update_elem(&per_source, &src, &fresh, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&per_source, &src);
		if (!c)
			return XDP_ABORTED;
	}
	add(c, len);

	c = bpf_map_lookup_elem(&totals, &zero);
	if (c)
		add(c, len);
	return XDP_PASS;
}

XDPCHAIN_LICENSE;
