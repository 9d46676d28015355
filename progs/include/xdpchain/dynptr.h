/*
 * The dynptr kfuncs an XDP program may call, declared as the kernel's BTF declares them
 * (Debian's headers have none), and the small packet-driven probe format the dynptr test
 * programs share.
 */
#ifndef XDPCHAIN_DYNPTR_H
#define XDPCHAIN_DYNPTR_H

#include "xdpchain/common.h"

extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym;
extern void *bpf_dynptr_slice_rdwr(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym;
extern int bpf_dynptr_adjust(const struct bpf_dynptr *p, __u32 start, __u32 end) __ksym;
extern _Bool bpf_dynptr_is_null(const struct bpf_dynptr *p) __ksym;
extern _Bool bpf_dynptr_is_rdonly(const struct bpf_dynptr *p) __ksym;
extern __u32 bpf_dynptr_size(const struct bpf_dynptr *p) __ksym;
extern int bpf_dynptr_clone(const struct bpf_dynptr *p, struct bpf_dynptr *clone__uninit) __ksym;

/*
 * What a probe frame carries right after its Ethernet header (EtherType 0x88b5, local
 * experimental), little-endian: the test cases choose offsets, flags and sizes per packet, so one
 * program covers every case of a scenario.
 */
struct dynptr_probe {
	__u32 offset;
	__u32 flags;
	__u32 arg1;
	__u32 arg2;
};

static __always_inline struct dynptr_probe *dynptr_probe_of(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct dynptr_probe *p = data + sizeof(struct ethhdr);

	if ((void *)(p + 1) > end)
		return 0;
	return p;
}

/* How a slice answered: NULL, the caller's buffer, or a pointer into the frame. */
#define SLICE_NULL 0
#define SLICE_BUFFER 1
#define SLICE_DIRECT 2

static __always_inline __s64 slice_kind(void *p, void *buffer)
{
	return !p ? SLICE_NULL : p == buffer ? SLICE_BUFFER : SLICE_DIRECT;
}

#endif
