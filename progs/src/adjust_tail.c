/*
 * bpf_xdp_adjust_tail: grow and shrink the frame at its end.
 *
 * xdp_tail_grow appends `grow_by` bytes (global .data, tests change it through the `.data` map),
 * checks that the kernel handed over the new bytes zeroed, and stamps a trailer into the first
 * four of them (a grown frame usually gets a trailer: a timestamp, a signature). xdp_tail_shrink
 * trims `shrink_by` bytes (for example an FCS or a trailer a previous hop added). Lengths are
 * whole-frame lengths (bpf_xdp_get_buff_len), so multi-buffer frames grow and shrink at their real
 * end. The helper's return value and the lengths are kept in .bss; a refused adjustment drops.
 */
#include "xdpchain/common.h"

#define CHECK_MAX 64
#define TRAILER 0x58444331 /* "XDC1" when read big-endian */

__s32 grow_by = 16;
__s32 shrink_by = 4;

__s32 tail_ret;
__u32 len_before;
__u32 len_after;
__u32 zero_bytes;
__u32 nonzero_bytes;

SEC("xdp")
int xdp_tail_grow(struct xdp_md *ctx)
{
	/* The whole frame, fragments included: the new bytes go after the last fragment. */
	__u32 old_len = bpf_xdp_get_buff_len(ctx);
	__be32 trailer = bpf_htonl(TRAILER);
	__u8 added[CHECK_MAX];
	__s32 n = grow_by;
	__s32 i;

	len_before = old_len;
	tail_ret = bpf_xdp_adjust_tail(ctx, grow_by);
	len_after = bpf_xdp_get_buff_len(ctx);
	if (tail_ret)
		return XDP_DROP;

	/* Look at (up to CHECK_MAX of) the new bytes: the kernel must have zeroed them. */
	if (n > CHECK_MAX)
		n = CHECK_MAX;
	if (n > 0 && bpf_xdp_load_bytes(ctx, old_len, added, n) == 0) {
		for (i = 0; i < CHECK_MAX && i < n; i++) {
			if (added[i])
				nonzero_bytes++;
			else
				zero_bytes++;
		}
	}
	if (n >= (__s32)sizeof(trailer))
		bpf_xdp_store_bytes(ctx, old_len, &trailer, sizeof(trailer));
	return XDP_PASS;
}

SEC("xdp")
int xdp_tail_shrink(struct xdp_md *ctx)
{
	len_before = bpf_xdp_get_buff_len(ctx);
	tail_ret = bpf_xdp_adjust_tail(ctx, -shrink_by);
	len_after = bpf_xdp_get_buff_len(ctx);
	return tail_ret ? XDP_DROP : XDP_PASS;
}

XDPCHAIN_LICENSE;
