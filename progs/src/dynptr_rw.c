/*
 * The dynptr helpers on an XDP dynptr: bpf_dynptr_read (201) and bpf_dynptr_write (202) with the
 * offset, length, flags and write offset a probe frame chooses (struct dynptr_probe: offset =
 * read offset, flags = flags for both, arg1 = length (0..64), arg2 = write offset), across the
 * linear part and the fragments of multi-buffer frames. The write puts 0xc0, 0xc1, ... into the
 * frame; the first 8 bytes read are kept.
 */
#include "xdpchain/dynptr.h"

__s64 read_ret;
__s64 write_ret;
__u8 bytes_read[64];

SEC("xdp")
int xdp_dynptr_rw(struct xdp_md *ctx)
{
	struct dynptr_probe *pr = dynptr_probe_of(ctx);
	struct bpf_dynptr d;
	__u8 buf[64] = {};
	__u32 len, offset, woffset;
	__u64 flags;
	int i;

	if (!pr)
		return XDP_ABORTED;
	offset = pr->offset;
	flags = pr->flags;
	len = pr->arg1 & 127;
	woffset = pr->arg2;
	if (len > sizeof(buf))
		len = sizeof(buf);
	if (bpf_dynptr_from_xdp(ctx, 0, &d))
		return XDP_ABORTED;
	read_ret = bpf_dynptr_read(buf, len, &d, offset, flags);
	__builtin_memcpy(bytes_read, buf, sizeof(buf));
#pragma unroll
	for (i = 0; i < 64; i++)
		buf[i] = 0xc0 + i;
	write_ret = bpf_dynptr_write(&d, woffset, buf, len, flags);
	return XDP_PASS;
}

XDPCHAIN_LICENSE;
