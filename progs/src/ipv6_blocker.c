/*
 * Drops IPv6 (an operator turning IPv6 off at the edge) and counts what it saw; everything else
 * continues. Carries a libxdp run configuration: priority 10 (early), continue on XDP_PASS.
 */
#include "xdpchain/common.h"
#include "xdpchain/run_config.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} ipv6_blocker_seen SEC(".maps");

SEC("xdp")
int xdp_ipv6_blocker(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 slot = 0;

	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		slot = 1;
	__u64 *n = bpf_map_lookup_elem(&ipv6_blocker_seen, &slot);
	if (n)
		__sync_fetch_and_add(n, 1);
	return slot ? XDP_DROP : XDP_PASS;
}

struct {
	__uint(priority, 10);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xdp_ipv6_blocker);

XDPCHAIN_LICENSE;
