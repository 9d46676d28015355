/*
 * VLAN tagging at the edge of a trunk port.
 *
 * xdp_vlan_push inserts an outer tag (TPID and VLAN id from global .data, so a test can change
 * them through the `.data` map) right after the MAC addresses: the frame grows 4 bytes at the
 * front with bpf_xdp_adjust_head and the two MAC addresses move to the new start. Pushing onto an
 * already tagged frame makes it double tagged (QinQ when the TPID is 802.1ad).
 *
 * xdp_vlan_pop removes the outermost tag if there is one: the MAC addresses move 4 bytes towards
 * the payload and the frame shrinks at the front. The removed VLAN id is kept in .bss.
 */
#include "xdpchain/parse.h"

#define MAC_PAIR_LEN (2 * ETH_ALEN)

__u16 push_tpid = ETH_P_8021Q;
__u16 push_vid = 100;
__u8 push_pcp = 3;

__u32 pushed;
__u32 popped;
__u32 untagged;
__u16 last_popped_vid;

SEC("xdp")
int xdp_vlan_push(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 macs[MAC_PAIR_LEN];
	__be16 *tpid, *tci;

	if (data + sizeof(struct ethhdr) > data_end)
		return XDP_DROP;
	__builtin_memcpy(macs, data, MAC_PAIR_LEN);

	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct vlan_hdr)))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + MAC_PAIR_LEN + sizeof(struct vlan_hdr) > data_end)
		return XDP_DROP;

	/* New layout: MACs, then this tag's TPID and TCI, then the old EtherType (or tag), unchanged. */
	__builtin_memcpy(data, macs, MAC_PAIR_LEN);
	tpid = data + MAC_PAIR_LEN;
	*tpid = bpf_htons(push_tpid);
	tci = data + MAC_PAIR_LEN + sizeof(*tpid);
	*tci = bpf_htons(((__u16)push_pcp << 13) | (push_vid & 0x0fff));
	pushed++;
	return XDP_PASS;
}

SEC("xdp")
int xdp_vlan_pop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct vlan_hdr *tag = data + sizeof(*eth);
	__u8 macs[MAC_PAIR_LEN];

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (!is_vlan_proto(eth->h_proto) || (void *)(tag + 1) > data_end) {
		untagged++;
		return XDP_PASS;
	}
	last_popped_vid = bpf_ntohs(tag->tci) & 0x0fff;
	__builtin_memcpy(macs, data, MAC_PAIR_LEN);

	if (bpf_xdp_adjust_head(ctx, (int)sizeof(struct vlan_hdr)))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + MAC_PAIR_LEN > data_end)
		return XDP_DROP;
	__builtin_memcpy(data, macs, MAC_PAIR_LEN);
	popped++;
	return XDP_PASS;
}

XDPCHAIN_LICENSE;
