/*
 * bpf_dynptr_from_xdp + bpf_dynptr_slice / bpf_dynptr_slice_rdwr at an offset the frame chooses
 * (struct dynptr_probe): whether each slice comes back NULL, in the caller's buffer or pointing
 * into the frame, the 8 bytes it shows, and whether a write through a writable slice reaches the
 * frame without bpf_dynptr_write. probe.flags goes to bpf_dynptr_from_xdp (anything but 0 must
 * fail with the dynptr set to null); probe.arg1 = 1 writes a buffer-backed rdwr slice back.
 *
 * res: [0] from_xdp, [1] size, [2] slice with buffer (SLICE_*), [3] its bytes, [4] slice without
 * buffer, [5] its bytes, [6] rdwr slice with buffer, [7] bpf_dynptr_write of the buffer.
 * bool results (is_null, is_rdonly) are kept as bytes: the kernel returns them in the low byte of
 * r0 only (observed: is_null = true stored as 64 bits read back as 0xffffffffffffff01).
 */
#include "xdpchain/dynptr.h"

__s64 res[8];
__u8 bools[2];

SEC("xdp")
int xdp_dynptr_slice(struct xdp_md *ctx)
{
	struct dynptr_probe *pr = dynptr_probe_of(ctx);
	struct bpf_dynptr d;
	__u8 buf[8] = {}, nobuf[8] = {}, wbuf[8] = {};
	__u32 offset, writeback;
	__u64 v = 0;
	__u8 *p;
	int i;

	if (!pr)
		return XDP_ABORTED;
	offset = pr->offset;
	writeback = pr->arg1;
	res[0] = bpf_dynptr_from_xdp(ctx, pr->flags, &d);
	bools[0] = bpf_dynptr_is_null(&d);
	res[1] = bpf_dynptr_size(&d);
	bools[1] = bpf_dynptr_is_rdonly(&d);

	p = bpf_dynptr_slice(&d, offset, buf, sizeof(buf));
	res[2] = slice_kind(p, buf);
	if (p) {
		__builtin_memcpy(&v, p, sizeof(v));
		res[3] = v;
	}
	p = bpf_dynptr_slice(&d, offset, NULL, sizeof(nobuf));
	res[4] = slice_kind(p, nobuf);
	if (p) {
		__builtin_memcpy(&v, p, sizeof(v));
		res[5] = v;
	}
	p = bpf_dynptr_slice_rdwr(&d, offset, wbuf, sizeof(wbuf));
	res[6] = slice_kind(p, wbuf);
	if (p) {
#pragma unroll
		for (i = 0; i < 8; i++)
			p[i] = 0xa0 + i;
		if (p == wbuf && writeback)
			res[7] = bpf_dynptr_write(&d, offset, wbuf, sizeof(wbuf), 0);
	}
	return XDP_PASS;
}

XDPCHAIN_LICENSE;
