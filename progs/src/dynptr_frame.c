/*
 * A dynptr outlives changes to its frame: it keeps the size it was made with, while its offsets
 * follow the frame's current start. After bpf_xdp_adjust_tail shrinks the frame by probe.arg1
 * bytes, a slice at probe.offset that lies in the old size but past the new end comes back in
 * the buffer with only the bytes still in the frame copied (the rest of the buffer, 0xee, stays),
 * and bpf_dynptr_read of it fails; after bpf_xdp_adjust_head by probe.arg2 a slice at 0 starts at
 * the new data. bpf_dynptr_data never hands out XDP frame memory: NULL.
 *
 * res: [0] adjust_tail, [1] size after it, [2] slice kind, [3] bpf_dynptr_read, [4] adjust_head,
 * [5] slice kind at 0, [6] its bytes, [7] size after both, [8] bpf_dynptr_data != NULL.
 */
#include "xdpchain/dynptr.h"

__s64 res[9];
__u8 seen[8];

SEC("xdp")
int xdp_dynptr_frame(struct xdp_md *ctx)
{
	struct dynptr_probe *pr = dynptr_probe_of(ctx);
	struct bpf_dynptr d;
	__u8 buf[8];
	__u32 offset, shrink, pop;
	__u64 v = 0;
	__u8 *p;

	if (!pr)
		return XDP_ABORTED;
	offset = pr->offset;
	shrink = pr->arg1;
	pop = pr->arg2;
	if (bpf_dynptr_from_xdp(ctx, 0, &d))
		return XDP_ABORTED;
	res[8] = bpf_dynptr_data(&d, 0, 8) != 0;
	res[0] = bpf_xdp_adjust_tail(ctx, -(int)shrink);
	res[1] = bpf_dynptr_size(&d);
	__builtin_memset(buf, 0xee, sizeof(buf));
	p = bpf_dynptr_slice(&d, offset, buf, sizeof(buf));
	res[2] = slice_kind(p, buf);
	if (p)
		__builtin_memcpy(seen, p, sizeof(seen));
	res[3] = bpf_dynptr_read(buf, sizeof(buf), &d, offset, 0);
	res[4] = bpf_xdp_adjust_head(ctx, pop);
	p = bpf_dynptr_slice(&d, 0, buf, sizeof(buf));
	res[5] = slice_kind(p, buf);
	if (p) {
		__builtin_memcpy(&v, p, sizeof(v));
		res[6] = v;
	}
	res[7] = bpf_dynptr_size(&d);
	return XDP_PASS;
}

XDPCHAIN_LICENSE;
