/*
 * XDP RX metadata kfuncs (bpf_xdp_metadata_rx_timestamp/_hash/_vlan_tag), as an AF_XDP
 * timestamping program calls them.
 *
 * The kernel loads this program only bound to a device (prog_ifindex with
 * BPF_F_XDP_DEV_BOUND_ONLY; otherwise "metadata kfuncs require device-bound program"), does not
 * test-run it, and attaches it to that device only. Each kfunc is then the device's own, or
 * answers -EOPNOTSUPP where the device has none; veth answers -ENODATA for frames that reached
 * it as XDP frames (a peer's XDP_TX, a redirect). The program records each return code and
 * output in an array (outputs start as recognisable values, so one a kfunc left alone shows),
 * counts its runs, and passes the frame; with a timestamp it writes it into the frame's metadata
 * area, as xdp_hw_metadata-style programs do for their AF_XDP consumer.
 */
#include "xdpchain/common.h"

/* Not in Debian's uapi headers; the kernel's enum is 4 bytes, as this one. */
enum xdp_rss_hash_type { XDP_RSS_TYPE_NONE = 0 };

extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx, __u64 *timestamp) __ksym;
extern int bpf_xdp_metadata_rx_hash(const struct xdp_md *ctx, __u32 *hash, enum xdp_rss_hash_type *rss_type) __ksym;
extern int bpf_xdp_metadata_rx_vlan_tag(const struct xdp_md *ctx, __be16 *vlan_proto, __u16 *vlan_tci) __ksym;

struct rx_answers {
	__s32 timestamp_ret;
	__s32 hash_ret;
	__s32 vlan_ret;
	__u32 hash;
	__u64 timestamp;
	__u32 rss_type;
	__u16 vlan_proto;
	__u16 vlan_tci;
	__u32 runs;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rx_answers);
} answers SEC(".maps");

SEC("xdp")
int xdp_rx_metadata(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct rx_answers *a = bpf_map_lookup_elem(&answers, &zero);
	enum xdp_rss_hash_type rss = 0xdead;

	if (!a)
		return XDP_ABORTED;
	a->runs++;
	a->timestamp = 0x1122334455667788ULL;
	a->hash = 0xcafe;
	a->vlan_proto = 0x1234;
	a->vlan_tci = 0x5678;
	a->timestamp_ret = bpf_xdp_metadata_rx_timestamp(ctx, &a->timestamp);
	a->hash_ret = bpf_xdp_metadata_rx_hash(ctx, &a->hash, &rss);
	a->rss_type = rss;
	a->vlan_ret = bpf_xdp_metadata_rx_vlan_tag(ctx, &a->vlan_proto, &a->vlan_tci);
	if (a->timestamp_ret == 0 && bpf_xdp_adjust_meta(ctx, -(int)sizeof(__u64)) == 0) {
		void *meta = (void *)(long)ctx->data_meta;
		void *data = (void *)(long)ctx->data;

		if (meta + sizeof(__u64) <= data)
			*(__u64 *)meta = a->timestamp;
	}
	return XDP_PASS;
}

XDPCHAIN_LICENSE;
