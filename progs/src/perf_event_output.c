/*
 * bpf_perf_event_output: the older way of sending samples to userspace, through a perf event
 * array with one perf ring per CPU.
 *
 * Nobody has opened a perf event for this map's slots, so the output has nowhere to go and the
 * helper reports it (-ENOENT): the program then passes the frame to the stack instead of
 * transmitting it, as a "mirror to the monitor, else fall back" program would. The return codes
 * of a few other calls are kept in .bss: an index past the end of the array, a frame sample
 * longer than the frame (XDP programs may ask for packet bytes in the upper flag bits), and a
 * flag the helper does not know.
 */
#include "xdpchain/common.h"

struct sample {
	__u32 frame_len;
	__u32 ingress_ifindex;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} perf_samples SEC(".maps");

__s64 ret_current_cpu;
__s64 ret_index_too_big;
__s64 ret_sample_too_long;
__s64 ret_unknown_flag;
__s64 ret_with_frame_bytes;

SEC("xdp")
int xdp_perf_event_output(struct xdp_md *ctx)
{
	__u64 len = ctx->data_end - ctx->data;
	struct sample s = { .frame_len = len, .ingress_ifindex = ctx->ingress_ifindex };

	ret_current_cpu = bpf_perf_event_output(ctx, &perf_samples, BPF_F_CURRENT_CPU, &s, sizeof(s));
	ret_index_too_big = bpf_perf_event_output(ctx, &perf_samples, 9, &s, sizeof(s));
	ret_sample_too_long = bpf_perf_event_output(ctx, &perf_samples,
						    BPF_F_CURRENT_CPU | ((len + 1) << 32), &s, sizeof(s));
	ret_unknown_flag = bpf_perf_event_output(ctx, &perf_samples, 1ULL << 60, &s, sizeof(s));
	ret_with_frame_bytes = bpf_perf_event_output(ctx, &perf_samples,
						     BPF_F_CURRENT_CPU | (14ULL << 32), &s, sizeof(s));
	if (ret_current_cpu == 0)
		return XDP_TX;
	return ret_current_cpu == -2 /* ENOENT */ ? XDP_PASS : XDP_DROP;
}

XDPCHAIN_LICENSE;
