/*
 * Layer-4 load balancer with IP-in-IP encapsulation (the Katran / GLB design, reduced).
 *
 * A packet whose (destination address, destination port, protocol) is a configured VIP is sent to
 * one of the VIP's backends: the backend is chosen by a hash of the 5-tuple, so every packet of a
 * flow reaches the same backend without any per-flow state. The packet is wrapped in an outer IPv4
 * header (protocol 4, IPIP) addressed to the backend, the Ethernet header is rewritten towards the
 * backend's MAC and the frame is bounced out of the same port (XDP_TX). The backend decapsulates
 * and answers the client directly (direct server return).
 *
 * Anything that is not untagged IPv4 TCP/UDP to a VIP passes to the stack. Fragments pass too:
 * only the first one would carry the ports the hash needs.
 */
#include "xdpchain/parse.h"

#define MAX_BACKENDS 64

struct vip_key {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 pad;
};

/* The VIP's backends are backends[first .. first + count). */
struct vip_meta {
	__u32 first;
	__u32 count;
};

struct backend {
	__be32 addr;
	__u8 mac[ETH_ALEN];
	__u16 pad;
};

struct backend_stats {
	__u64 packets;
	__u64 bytes;
};

/* Laid out without padding so that hashing it reads only initialised bytes. */
struct flow_tuple {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u32 proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct vip_key);
	__type(value, struct vip_meta);
} vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend);
} backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend_stats);
} backend_stats SEC(".maps");

/* The balancer's own address, the outer source. const volatile: set at load time, read-only after. */
const volatile __be32 lb_source_addr = bpf_htonl(0x0a0000fe); /* 10.0.0.254 */
const volatile __u8 outer_ttl = 64;

/*
 * Flow hash over the 5-tuple: each 32-bit word is mixed in with a multiply-rotate step and the
 * result is finalised with an avalanche (xor-shift-multiply) so that nearby ports spread out.
 */
static __noinline __u32 flow_hash(const struct flow_tuple *t)
{
	const __u32 *w = (const __u32 *)t;
	__u32 h = 0x5bd1e995;

#pragma unroll
	for (int i = 0; i < (int)(sizeof(*t) / 4); i++) {
		__u32 k = w[i] * 0xcc9e2d51;

		k = (k << 15) | (k >> 17);
		h ^= k * 0x1b873593;
		h = ((h << 13) | (h >> 19)) * 5 + 0xe6546b64;
	}
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

static __always_inline int encap_ipip(struct xdp_md *ctx, const struct backend *be, __u8 tos,
				      __u16 inner_len)
{
	struct ethhdr old_eth;
	struct ethhdr *eth;
	struct iphdr *outer;
	void *data, *data_end;

	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + sizeof(old_eth) > data_end)
		return XDP_DROP;
	__builtin_memcpy(&old_eth, data, sizeof(old_eth));

	/* Grow the frame at the front by one IPv4 header. */
	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return XDP_DROP;

	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	outer = data + sizeof(*eth);
	if ((void *)(outer + 1) > data_end)
		return XDP_DROP;

	/* Towards the backend, from the MAC the client addressed (ours). */
	__builtin_memcpy(eth->h_dest, be->mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, old_eth.h_dest, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);

	outer->version = 4;
	outer->ihl = 5;
	outer->tos = tos;
	outer->tot_len = bpf_htons(inner_len + sizeof(*outer));
	outer->id = 0;
	outer->frag_off = bpf_htons(0x4000); /* DF: the inner packet must not be split */
	outer->ttl = outer_ttl;
	outer->protocol = IPPROTO_IPIP;
	outer->saddr = lb_source_addr;
	outer->daddr = be->addr;
	outer->check = 0;
	outer->check = ~csum_fold16((__u32)bpf_csum_diff(0, 0, (__be32 *)outer, sizeof(*outer), 0));
	return XDP_TX;
}

SEC("xdp")
int xdp_load_balancer(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct udphdr *ports;
	struct vip_key vk = {};
	struct vip_meta *vip;
	struct flow_tuple ft = {};
	struct backend *be;
	struct backend_stats *st;
	__u16 vid, tot_len;
	__u32 idx;
	int proto;

	cursor_init(&c, ctx);
	proto = parse_eth(&c, &eth, &vid);
	if (proto != bpf_htons(ETH_P_IP) || vid)
		return XDP_PASS;
	proto = parse_ipv4(&c, &ip);
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return XDP_PASS;
	if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		return XDP_PASS;
	tot_len = bpf_ntohs(ip->tot_len);
	if ((void *)ip + tot_len > c.end)
		return XDP_DROP;
	ports = c.pos;
	if ((void *)(ports + 1) > c.end)
		return XDP_DROP;

	vk.addr = ip->daddr;
	vk.port = ports->dest;
	vk.proto = proto;
	vip = bpf_map_lookup_elem(&vips, &vk);
	if (!vip || vip->count == 0)
		return XDP_PASS;

	ft.saddr = ip->saddr;
	ft.daddr = ip->daddr;
	ft.sport = ports->source;
	ft.dport = ports->dest;
	ft.proto = proto;
	idx = vip->first + flow_hash(&ft) % vip->count;
	be = bpf_map_lookup_elem(&backends, &idx);
	if (!be || be->addr == 0)
		return XDP_DROP;

	st = bpf_map_lookup_elem(&backend_stats, &idx);
	if (st) {
		st->packets++;
		st->bytes += tot_len;
	}
	return encap_ipip(ctx, be, ip->tos, tot_len);
}

XDPCHAIN_LICENSE;
