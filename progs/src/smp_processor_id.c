/*
 * bpf_get_smp_processor_id: per-CPU accounting by hand.
 *
 * The program counts frames per CPU id in an ordinary array and remembers the last CPU in .bss.
 * Frames are only handled on CPU 0 (PASS); any other CPU drops, as a program steering work to one
 * core might. Tests pin the run to CPU 0, so the answer is deterministic.
 */
#include "xdpchain/common.h"

#define MAX_CPUS 64

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_CPUS);
	__type(key, __u32);
	__type(value, __u64);
} frames_per_cpu SEC(".maps");

__u32 last_cpu = 0xffffffff;

SEC("xdp")
int xdp_smp_processor_id(struct xdp_md *ctx)
{
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 *n = bpf_map_lookup_elem(&frames_per_cpu, &cpu);

	if (n)
		__sync_fetch_and_add(n, 1);
	last_cpu = cpu;
	return cpu == 0 ? XDP_PASS : XDP_DROP;
}

XDPCHAIN_LICENSE;
