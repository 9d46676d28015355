/*
 * bpf_xdp_adjust_meta: reserve metadata in front of the packet, write it, read it back.
 *
 * Metadata is how an XDP program hands per-packet facts to the next stage (a TC program, an
 * AF_XDP consumer). The run records, in .bss: how much metadata the frame arrived with; what the
 * helper returned for 64 bytes (refused by kernels that cap metadata at 32 bytes, accepted by those
 * that allow up to 252, and then given back with a positive delta), for 256 bytes (over any cap)
 * and for 6 bytes (not a multiple of 4); and the values read back through a fresh ctx->data_meta.
 * The frame passes when the read-back matches what was written. The output frame starts at
 * data_meta, so it carries the metadata in front.
 */
#include "xdpchain/common.h"

#define META_MAGIC 0xc0ffee01

struct meta {
	__u32 magic;
	__u32 frame_len;
};

__u32 arrived_meta_len;
__s32 large_ret;
__s32 large_undo_ret;
__s32 oversized_ret;
__s32 unaligned_ret;
__s32 adjust_ret;
__u32 readback_magic;
__u32 readback_len;
__u32 final_meta_len;

SEC("xdp")
int xdp_adjust_meta(struct xdp_md *ctx)
{
	struct meta *m;
	void *data;
	__u32 frame_len = ctx->data_end - ctx->data;

	arrived_meta_len = ctx->data - ctx->data_meta;
	large_ret = bpf_xdp_adjust_meta(ctx, -64);
	if (large_ret == 0)
		large_undo_ret = bpf_xdp_adjust_meta(ctx, 64);
	oversized_ret = bpf_xdp_adjust_meta(ctx, -256);
	unaligned_ret = bpf_xdp_adjust_meta(ctx, -6);

	adjust_ret = bpf_xdp_adjust_meta(ctx, -(int)sizeof(struct meta));
	if (adjust_ret)
		return XDP_DROP;

	m = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if ((void *)(m + 1) > data)
		return XDP_DROP;
	m->magic = META_MAGIC;
	m->frame_len = frame_len;

	/* Read through a fresh pointer, as a later program would. */
	m = (void *)(long)ctx->data_meta;
	data = (void *)(long)ctx->data;
	if ((void *)(m + 1) > data)
		return XDP_DROP;
	readback_magic = m->magic;
	readback_len = m->frame_len;
	final_meta_len = ctx->data - ctx->data_meta;
	return readback_magic == META_MAGIC && readback_len == frame_len ? XDP_PASS : XDP_ABORTED;
}

XDPCHAIN_LICENSE;
