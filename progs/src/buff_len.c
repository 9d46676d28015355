/*
 * bpf_xdp_get_buff_len: the frame's total length, linear part plus fragments (a test-run frame
 * longer than 3520 bytes arrives with fragments; data_end - data then covers only the linear part).
 * The program records both lengths and checks that the total follows bpf_xdp_adjust_tail (+10 at
 * the end) and bpf_xdp_adjust_head (-6 at the front). Any mismatch aborts.
 */
#include "xdpchain/common.h"

__u64 len_initial;
__u64 len_after_tail;
__u64 len_after_head;
__u32 linear_initial;
__u32 fragment_bytes;
__s32 tail_ret;
__s32 head_ret;
__u32 mismatches;

SEC("xdp")
int xdp_buff_len(struct xdp_md *ctx)
{
	__u64 expected;

	len_initial = bpf_xdp_get_buff_len(ctx);
	linear_initial = ctx->data_end - ctx->data;
	fragment_bytes = len_initial - linear_initial;

	expected = len_initial;
	tail_ret = bpf_xdp_adjust_tail(ctx, 10);
	len_after_tail = bpf_xdp_get_buff_len(ctx);
	if (tail_ret == 0)
		expected += 10;
	if (len_after_tail != expected)
		mismatches++;

	head_ret = bpf_xdp_adjust_head(ctx, 6);
	len_after_head = bpf_xdp_get_buff_len(ctx);
	if (head_ret == 0)
		expected -= 6;
	if (len_after_head != expected)
		mismatches++;
	return mismatches ? XDP_ABORTED : XDP_PASS;
}

XDPCHAIN_LICENSE;
