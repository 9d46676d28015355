/*
 * bpf_xdp_load_bytes / bpf_xdp_store_bytes: copy packet bytes out and in through helpers rather
 * than direct packet pointers (the form that also works on multi-buffer frames).
 *
 * The program swaps the MAC addresses (a reflector: the frame goes back where it came from, so the
 * verdict is XDP_TX), keeps the last four bytes of the frame in .bss, and records what the
 * helpers return for a read that runs past the end of the frame and for a store at an offset past
 * the end. Those must fail without touching anything.
 */
#include "xdpchain/common.h"

__u8 last_bytes[4];
__s32 load_ret;
__s32 store_ret;
__s32 load_past_end_ret;
__s32 store_past_end_ret;
__s32 load_huge_offset_ret;

SEC("xdp")
int xdp_load_store_bytes(struct xdp_md *ctx)
{
	/* Whole frame: the helpers reach into fragments, direct packet access does not. */
	__u32 len = bpf_xdp_get_buff_len(ctx);
	__u8 macs[12];
	__u8 swapped[12];
	__u8 probe[8] = {};
	int i;

	load_ret = bpf_xdp_load_bytes(ctx, 0, macs, sizeof(macs));
	if (load_ret)
		return XDP_DROP;
#pragma unroll
	for (i = 0; i < 6; i++) {
		swapped[i] = macs[i + 6];
		swapped[i + 6] = macs[i];
	}
	store_ret = bpf_xdp_store_bytes(ctx, 0, swapped, sizeof(swapped));

	bpf_xdp_load_bytes(ctx, len - sizeof(last_bytes), last_bytes, sizeof(last_bytes));
	load_past_end_ret = bpf_xdp_load_bytes(ctx, len - 4, probe, sizeof(probe));
	store_past_end_ret = bpf_xdp_store_bytes(ctx, len, probe, 1);
	load_huge_offset_ret = bpf_xdp_load_bytes(ctx, 0x10000, probe, 1);
	return store_ret ? XDP_ABORTED : XDP_TX;
}

XDPCHAIN_LICENSE;
