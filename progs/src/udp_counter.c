/*
 * Counts UDP frames and bytes and lets everything through. Run configuration: priority 60 (late),
 * continue on XDP_PASS and XDP_DROP, so it never ends the chain by itself.
 */
#include "xdpchain/parse.h"
#include "xdpchain/run_config.h"

struct udp_totals {
	__u64 frames;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct udp_totals);
} udp_totals SEC(".maps");

SEC("xdp")
int xdp_udp_counter(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	__u16 vid;
	__u32 zero = 0;

	cursor_init(&c, ctx);
	if (parse_eth(&c, &eth, &vid) != bpf_htons(ETH_P_IP) || parse_ipv4(&c, &ip) < 0 || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	struct udp_totals *t = bpf_map_lookup_elem(&udp_totals, &zero);
	if (t) {
		__sync_fetch_and_add(&t->frames, 1);
		__sync_fetch_and_add(&t->bytes, (__u64)(ctx->data_end - ctx->data));
	}
	return XDP_PASS;
}

struct {
	__uint(priority, 60);
	__uint(XDP_PASS, 1);
	__uint(XDP_DROP, 1);
} XDP_RUN_CONFIG(xdp_udp_counter);

XDPCHAIN_LICENSE;
