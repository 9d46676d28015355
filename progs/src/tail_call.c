/*
 * bpf_tail_call through a program array: a protocol dispatcher in the style of Cilium and Katran.
 *
 * xdp_tail_root looks at the EtherType and jumps to the program in `jump_table` for it: slot 0
 * IPv4, slot 1 IPv6, slot 2 ARP, anything else slot 7. A tail call never returns; when the slot is
 * empty the call does nothing and the root carries on, counts a fall-through and passes.
 * xdp_tail_chain jumps to slot 3 again and again; with slot 3 holding itself it shows the kernel's
 * limit on consecutive tail calls (33): after that the call fails and the chain ends.
 * Counters are in .bss, so every program of the object shares them.
 */
#include "xdpchain/parse.h"

#define SLOT_IPV4 0
#define SLOT_IPV6 1
#define SLOT_ARP 2
#define SLOT_CHAIN 3
#define SLOT_OTHER 7

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} jump_table SEC(".maps");

__u32 root_runs;
__u32 fallthroughs;
__u32 ipv4_runs;
__u32 ipv6_runs;
__u32 arp_runs;
__u32 chain_runs;
__u32 last_slot;

SEC("xdp")
int xdp_tail_root(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	__u16 vid;
	int proto;
	__u32 slot = SLOT_OTHER;

	root_runs++;
	cursor_init(&c, ctx);
	proto = parse_eth(&c, &eth, &vid);
	if (proto == bpf_htons(ETH_P_IP))
		slot = SLOT_IPV4;
	else if (proto == bpf_htons(ETH_P_IPV6))
		slot = SLOT_IPV6;
	else if (proto == bpf_htons(ETH_P_ARP))
		slot = SLOT_ARP;
	last_slot = slot;

	bpf_tail_call(ctx, &jump_table, slot);
	fallthroughs++;
	return XDP_PASS;
}

SEC("xdp")
int xdp_tail_ipv4(struct xdp_md *ctx)
{
	ipv4_runs++;
	return XDP_TX;
}

SEC("xdp")
int xdp_tail_ipv6(struct xdp_md *ctx)
{
	ipv6_runs++;
	return XDP_DROP;
}

SEC("xdp")
int xdp_tail_arp(struct xdp_md *ctx)
{
	arp_runs++;
	/* Hand ARP onwards to whatever sits in the chain slot, if anything. */
	bpf_tail_call(ctx, &jump_table, SLOT_CHAIN);
	return XDP_PASS;
}

SEC("xdp")
int xdp_tail_chain(struct xdp_md *ctx)
{
	chain_runs++;
	bpf_tail_call(ctx, &jump_table, SLOT_CHAIN);
	/* Reached only when slot 3 is empty or the tail-call limit is hit. */
	return chain_runs > 1 ? XDP_DROP : XDP_ABORTED;
}

XDPCHAIN_LICENSE;
