/*
 * Redirects: bpf_redirect to an ifindex and bpf_redirect_map through a devmap, a cpumap and an
 * xskmap.
 *
 * The map programs pick the map slot from the frame's protocol (IPv4 -> 0, IPv6 -> 1, ARP -> 2,
 * anything else -> 3), as a steering program would. bpf_redirect_map's low flag bits are the
 * verdict to use when the slot is empty (XDP_PASS here: hand the frame to the stack); the flags
 * come from global .data so a test can try others, including invalid ones. The redirect helpers'
 * return value is the program's verdict, untouched. A BPF_PROG_TEST_RUN does not perform the
 * redirect: it only reports XDP_REDIRECT.
 */
#include "xdpchain/parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} cpu_queues SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} xsk_sockets SEC(".maps");

__u32 redirect_ifindex = 1;
__u64 redirect_flags = 0;
__u64 map_flags = XDP_PASS;
__u64 last_verdict;

static __noinline __u32 steer_slot(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return 3;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		return 0;
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return 1;
	if (eth->h_proto == bpf_htons(ETH_P_ARP))
		return 2;
	return 3;
}

SEC("xdp")
int xdp_redirect_ifindex(struct xdp_md *ctx)
{
	last_verdict = bpf_redirect(redirect_ifindex, redirect_flags);
	return last_verdict;
}

SEC("xdp")
int xdp_redirect_devmap(struct xdp_md *ctx)
{
	last_verdict = bpf_redirect_map(&tx_ports, steer_slot(ctx), map_flags);
	return last_verdict;
}

SEC("xdp")
int xdp_redirect_cpumap(struct xdp_md *ctx)
{
	last_verdict = bpf_redirect_map(&cpu_queues, steer_slot(ctx), map_flags);
	return last_verdict;
}

SEC("xdp")
int xdp_redirect_xskmap(struct xdp_md *ctx)
{
	/* AF_XDP sockets are per receive queue: the queue index is the slot. */
	last_verdict = bpf_redirect_map(&xsk_sockets, ctx->rx_queue_index, map_flags);
	return last_verdict;
}

XDPCHAIN_LICENSE;
