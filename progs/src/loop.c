/*
 * bpf_loop: a bounded loop the verifier checks once, however many times it runs.
 *
 * The callback walks the first bytes of the frame (copied to the stack with bpf_xdp_load_bytes)
 * and adds them up, stopping early at the first 0xff byte (returning 1 from the callback ends the
 * loop). The number of iterations bpf_loop reports and the sum go to .bss, with the helper's
 * answers to two invalid calls: a flag it does not know and a loop count over its limit (1 << 23).
 * An odd sum drops the frame, an even one passes: the verdict depends on the loop's work.
 */
#include "xdpchain/common.h"

#define WINDOW 64

struct walk {
	__u8 bytes[WINDOW];
	__u32 len;
	__u32 sum;
	__u32 next; /* the byte to add next: equals the callback's index */
};

__s64 iterations;
__u32 byte_sum;
__s64 ret_bad_flags;
__s64 ret_too_many;

static long add_byte(__u32 index, void *arg)
{
	struct walk *w = arg;
	__u32 i = w->next;
	__u8 b;

	/* `i` (kept in the walk, equal to `index`): the verifier bounds a value it loads. */
	if (i >= WINDOW || i >= w->len)
		return 1;
	b = w->bytes[i];
	if (b == 0xff)
		return 1;
	w->sum += b;
	w->next = i + 1;
	return 0;
}

static long never_called(__u32 index, void *arg)
{
	return 1;
}

SEC("xdp")
int xdp_loop(struct xdp_md *ctx)
{
	struct walk w = {};
	__u32 len = ctx->data_end - ctx->data;

	w.len = len < WINDOW ? len : WINDOW;
	if (len >= WINDOW)
		bpf_xdp_load_bytes(ctx, 0, w.bytes, WINDOW);
	else if (len >= 14)
		bpf_xdp_load_bytes(ctx, 0, w.bytes, 14);

	iterations = bpf_loop(WINDOW, add_byte, &w, 0);
	byte_sum = w.sum;
	ret_bad_flags = bpf_loop(4, never_called, 0, 1);
	ret_too_many = bpf_loop((1 << 23) + 1, never_called, 0, 0);
	return w.sum & 1 ? XDP_DROP : XDP_PASS;
}

XDPCHAIN_LICENSE;
