/*
 * Machine-dependent helpers: bpf_ktime_get_ns, bpf_ktime_get_coarse_ns and bpf_get_prandom_u32.
 *
 * Their values differ on every run, so they only go to `samples` (which the differential tests
 * ignore) and into decisions whose outcome cannot depend on the value: the monotonic clock never
 * goes backwards between two reads, and a random value masked to zero bits is zero. The frame and
 * the verdict (PASS) are therefore deterministic; `checks` counts which invariants held.
 */
#include "xdpchain/common.h"

struct sample {
	__u64 ktime_first;
	__u64 ktime_second;
	__u64 coarse;
	__u32 random_a;
	__u32 random_b;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sample);
} samples SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} checks SEC(".maps");

static __always_inline void pass_check(__u32 which)
{
	__u64 *n = bpf_map_lookup_elem(&checks, &which);

	if (n)
		*n += 1;
}

SEC("xdp")
int xdp_time_random(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct sample *s = bpf_map_lookup_elem(&samples, &zero);
	__u64 t1, t2, coarse;
	__u32 ra, rb;

	t1 = bpf_ktime_get_ns();
	coarse = bpf_ktime_get_coarse_ns();
	ra = bpf_get_prandom_u32();
	rb = bpf_get_prandom_u32();
	t2 = bpf_ktime_get_ns();
	if (s) {
		s->ktime_first = t1;
		s->ktime_second = t2;
		s->coarse = coarse;
		s->random_a = ra;
		s->random_b = rb;
	}
	if (t2 >= t1)
		pass_check(0);
	if (coarse != 0)
		pass_check(1);
	if ((ra & 0) == 0)
		pass_check(2);
	return t2 >= t1 ? XDP_PASS : XDP_ABORTED;
}

XDPCHAIN_LICENSE;
