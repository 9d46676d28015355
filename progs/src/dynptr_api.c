/*
 * The dynptr bookkeeping kfuncs: bpf_dynptr_adjust narrows a dynptr to [start, end) of its
 * current view (probe.arg1 = start, probe.arg2 = end), bpf_dynptr_clone copies it (the clone is
 * then narrowed on its own), bpf_dynptr_size reports each view, and reads and slices through them
 * see offsets relative to the view. A dynptr made with flags (probe.flags != 0) is null: every
 * operation on it fails, and so does cloning it.
 */
#include "xdpchain/dynptr.h"

__s64 res[16];
__u8 bools[4];
__u8 window[8];
__u8 clone_window[4];

SEC("xdp")
int xdp_dynptr_api(struct xdp_md *ctx)
{
	struct dynptr_probe *pr = dynptr_probe_of(ctx);
	struct bpf_dynptr d, c;
	__u8 buf[8] = {};
	__u8 *p;

	if (!pr)
		return XDP_ABORTED;
	res[0] = bpf_dynptr_from_xdp(ctx, pr->flags, &d);
	res[1] = bpf_dynptr_adjust(&d, pr->arg1, pr->arg2);
	res[2] = bpf_dynptr_size(&d);
	res[3] = bpf_dynptr_clone(&d, &c);
	bools[0] = bpf_dynptr_is_null(&d);
	bools[1] = bpf_dynptr_is_null(&c);
	bools[2] = bpf_dynptr_is_rdonly(&c);
	res[4] = bpf_dynptr_adjust(&c, 2, 6);
	res[5] = bpf_dynptr_size(&c);
	res[6] = bpf_dynptr_size(&d);
	p = bpf_dynptr_slice(&d, pr->offset, buf, sizeof(buf));
	res[7] = slice_kind(p, buf);
	if (p)
		__builtin_memcpy(window, p, sizeof(window));
	res[8] = bpf_dynptr_read(clone_window, sizeof(clone_window), &c, 0, 0);
	res[9] = bpf_dynptr_read(buf, 1, &c, 4, 0);
	res[10] = bpf_dynptr_adjust(&d, 1, 0);
	res[11] = bpf_dynptr_adjust(&d, 0, res[2] + 1);
	res[12] = bpf_dynptr_adjust(&d, res[2] + 1, res[2] + 1);
	res[13] = bpf_dynptr_adjust(&d, res[2], res[2]);
	res[14] = bpf_dynptr_size(&d);
	p = bpf_dynptr_slice(&d, 0, NULL, 0);
	bools[3] = p != 0;
	res[15] = bpf_dynptr_write(&c, 0, buf, 4, 0);
	return XDP_PASS;
}

XDPCHAIN_LICENSE;
