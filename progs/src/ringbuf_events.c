/*
 * Packet sampling to userspace through a BPF ring buffer.
 *
 * For every frame a record is reserved in place (bpf_ringbuf_reserve). IPv4 records are filled
 * and submitted; for anything else the reservation is discarded (bpf_ringbuf_discard), which
 * still uses ring space until the consumer skips it. IPv6 frames additionally take the copying
 * path, bpf_ringbuf_output. When the ring is full the reservation fails and the frame is dropped:
 * a monitor that cannot keep up makes the problem visible instead of silently losing samples.
 * The ring's positions after each frame are kept in .bss (bpf_ringbuf_query).
 *
 * The ring buffer's contents cannot be dumped with `bpftool map dump`; the counters and
 * positions in .bss are what the differential tests compare.
 */
#include "xdpchain/parse.h"

#define SAMPLE_BYTES 32

struct event {
	__u32 frame_len;
	__u16 eth_proto;
	__u16 flags;
	__u8 head[SAMPLE_BYTES];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

__u64 submitted;
__u64 discarded;
__u64 output_ok;
__u64 output_failed;
__u64 reserve_failed;
__u64 avail_data;
__u64 ring_size;
__u64 prod_pos;
__u64 cons_pos;

static __always_inline void fill(struct event *ev, struct xdp_md *ctx, __be16 proto)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	ev->frame_len = data_end - data;
	ev->eth_proto = bpf_ntohs(proto);
	ev->flags = 0;
	if (data + SAMPLE_BYTES <= data_end)
		__builtin_memcpy(ev->head, data, SAMPLE_BYTES);
	else
		__builtin_memset(ev->head, 0, SAMPLE_BYTES);
}

SEC("xdp")
int xdp_ringbuf_events(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct event *ev;
	struct event copy;
	__u16 vid;
	int proto;

	cursor_init(&c, ctx);
	proto = parse_eth(&c, &eth, &vid);

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		reserve_failed++;
		return XDP_DROP;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		fill(ev, ctx, proto);
		bpf_ringbuf_submit(ev, 0);
		submitted++;
	} else {
		bpf_ringbuf_discard(ev, 0);
		discarded++;
	}

	if (proto == bpf_htons(ETH_P_IPV6)) {
		fill(&copy, ctx, proto);
		copy.flags = 1;
		if (bpf_ringbuf_output(&events, &copy, sizeof(copy), 0) == 0)
			output_ok++;
		else
			output_failed++;
	}

	avail_data = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	ring_size = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);
	cons_pos = bpf_ringbuf_query(&events, BPF_RB_CONS_POS);
	prod_pos = bpf_ringbuf_query(&events, BPF_RB_PROD_POS);
	return XDP_PASS;
}

XDPCHAIN_LICENSE;
