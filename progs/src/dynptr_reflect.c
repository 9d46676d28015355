/*
 * Rewriting through bpf_dynptr_slice_rdwr.
 *
 * xdp_dynptr_reflect sends a frame back where it came from: MAC addresses swapped, for IPv4 the
 * addresses swapped and the TTL decremented with the header checksum updated (RFC 1624), for UDP
 * and TCP the ports swapped (the pseudo-header sum is unchanged, so the L4 checksum stays right).
 * Each header is written in place through the slice; when a slice came back in the buffer the
 * program writes it back with bpf_dynptr_write, as the kernel's documentation asks.
 *
 * xdp_dynptr_stamp writes a 12-byte trailer (magic, then a per-run sequence number) over the
 * last 12 bytes of the frame, wherever they are: in the linear part, in a fragment, or across
 * the boundary between two pieces (then through the buffer and bpf_dynptr_write). It counts how
 * its slices came back.
 */
#include "xdpchain/dynptr.h"

__u64 slices_direct;
__u64 slices_buffered;
__u32 sequence;

static __always_inline void note(void *p, void *buffer)
{
	if (p == buffer)
		slices_buffered++;
	else
		slices_direct++;
}

/* Replace a 16-bit word covered by a ones' complement checksum (RFC 1624 eqn. 3). */
static __always_inline __u16 csum_update16(__u16 check, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~check + (__u16)~old + new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

SEC("xdp")
int xdp_dynptr_reflect(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	struct ethhdr eth_buf;
	struct iphdr ip_buf;
	__be16 ports_buf[2];
	struct ethhdr *eth;
	struct iphdr *ip;
	__be16 *ports;
	__u8 mac[ETH_ALEN];
	__be32 addr;
	__be16 port, old_word, new_word;
	__u32 l4_off;

	if (bpf_dynptr_from_xdp(ctx, 0, &d))
		return XDP_ABORTED;
	eth = bpf_dynptr_slice_rdwr(&d, 0, &eth_buf, sizeof(eth_buf));
	if (!eth)
		return XDP_DROP;
	note(eth, &eth_buf);
	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	if ((void *)eth == &eth_buf && bpf_dynptr_write(&d, 0, &eth_buf, sizeof(eth_buf), 0))
		return XDP_ABORTED;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_TX;

	ip = bpf_dynptr_slice_rdwr(&d, sizeof(*eth), &ip_buf, sizeof(ip_buf));
	if (!ip || ip->ihl < 5)
		return XDP_DROP;
	note(ip, &ip_buf);
	if (ip->ttl <= 1)
		return XDP_DROP;
	addr = ip->saddr;
	ip->saddr = ip->daddr;
	ip->daddr = addr;
	old_word = *(__be16 *)&ip->ttl;
	ip->ttl--;
	new_word = *(__be16 *)&ip->ttl;
	ip->check = csum_update16(ip->check, old_word, new_word);
	if ((void *)ip == &ip_buf && bpf_dynptr_write(&d, sizeof(*eth), &ip_buf, sizeof(ip_buf), 0))
		return XDP_ABORTED;
	if (ip->protocol != IPPROTO_UDP && ip->protocol != IPPROTO_TCP)
		return XDP_TX;
	if (ip->frag_off & bpf_htons(IP_OFFSET))
		return XDP_TX;

	l4_off = sizeof(*eth) + ip->ihl * 4;
	ports = bpf_dynptr_slice_rdwr(&d, l4_off, ports_buf, sizeof(ports_buf));
	if (!ports)
		return XDP_DROP;
	note(ports, ports_buf);
	port = ports[0];
	ports[0] = ports[1];
	ports[1] = port;
	if (ports == ports_buf && bpf_dynptr_write(&d, l4_off, ports_buf, sizeof(ports_buf), 0))
		return XDP_ABORTED;
	return XDP_TX;
}

SEC("xdp")
int xdp_dynptr_stamp(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 buf[12];
	__u32 size, seq;
	__u8 *p;

	if (bpf_dynptr_from_xdp(ctx, 0, &d))
		return XDP_ABORTED;
	size = bpf_dynptr_size(&d);
	if (size < ETH_HLEN + sizeof(buf))
		return XDP_PASS;
	p = bpf_dynptr_slice_rdwr(&d, size - sizeof(buf), buf, sizeof(buf));
	if (!p)
		return XDP_ABORTED;
	note(p, buf);
	seq = ++sequence;
	__builtin_memcpy(p, "XDPC", 4);
	__builtin_memcpy(p + 4, "STMP", 4);
	__builtin_memcpy(p + 8, &seq, sizeof(seq));
	if (p == buf && bpf_dynptr_write(&d, size - sizeof(buf), buf, sizeof(buf), 0))
		return XDP_ABORTED;
	return XDP_PASS;
}

XDPCHAIN_LICENSE;
