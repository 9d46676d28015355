/*
 * Layer-4 load balancer with Maglev consistent hashing and a connection table: the geometry of a
 * production L4 balancer, whose maps need more than 256 MiB.
 *
 * Each VIP owns a ring of RING_SIZE (a prime, 65537) slots in one big array (`rings`, MAX_VIPS
 * rings: 33,554,944 u32 slots, which the kernel stores in 8-byte elements: 268,439,552 bytes). A
 * control plane fills a VIP's ring with backend ids by the Maglev permutation, so that adding or
 * removing a backend moves few flows. A packet to a VIP picks the slot of its 5-tuple hash; the
 * choice is remembered per flow in an LRU connection table, so a flow keeps its backend while the
 * ring changes. The packet is wrapped in IPIP towards the backend and bounced out (XDP_TX).
 *
 * Not a VIP, not IPv4 TCP/UDP, or a fragment: XDP_PASS. A VIP whose slot is empty (backend id 0):
 * XDP_DROP, counted.
 */
#include "xdpchain/parse.h"

#define MAX_VIPS 512
#define RING_SIZE 65537
#define MAX_BACKENDS 256
#define CONN_TABLE_SIZE 100000

struct vip_key {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 pad;
};

struct vip_meta {
	__u32 vip_num;
	__u32 flags;
};

struct backend {
	__be32 addr;
	__u8 mac[ETH_ALEN];
	__u16 pad;
};

struct flow_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u32 proto;
};

struct conn {
	__u32 backend;
	__u32 packets;
};

struct lb_stats {
	__u64 balanced;
	__u64 new_flows;
	__u64 no_backend;
	__u64 passed;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_VIPS);
	__type(key, struct vip_key);
	__type(value, struct vip_meta);
} vip_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_VIPS * RING_SIZE);
	__type(key, __u32);
	__type(value, __u32);
} rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct backend);
} backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CONN_TABLE_SIZE);
	__type(key, struct flow_key);
	__type(value, struct conn);
} conn_table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_stats);
} stats SEC(".maps");

const volatile __be32 lb_source_addr = bpf_htonl(0x0a0000fe); /* 10.0.0.254 */

/* Jenkins' one-at-a-time hash over the flow key's 16 bytes: cheap, and every bit of input counts. */
static __always_inline __u32 flow_hash(const struct flow_key *k)
{
	const __u8 *b = (const __u8 *)k;
	__u32 h = 0;

#pragma unroll
	for (int i = 0; i < (int)sizeof(*k); i++) {
		h += b[i];
		h += h << 10;
		h ^= h >> 6;
	}
	h += h << 3;
	h ^= h >> 11;
	h += h << 15;
	return h;
}

static __always_inline int encap_ipip(struct xdp_md *ctx, const struct backend *be, __u8 tos, __u16 inner_len)
{
	struct ethhdr old_eth;
	struct ethhdr *eth;
	struct iphdr *outer;
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 sum = 0;

	if (data + sizeof(old_eth) > data_end)
		return XDP_DROP;
	__builtin_memcpy(&old_eth, data, sizeof(old_eth));
	if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	outer = data + sizeof(*eth);
	if ((void *)(outer + 1) > data_end)
		return XDP_DROP;

	__builtin_memcpy(eth->h_dest, be->mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, old_eth.h_dest, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);
	outer->version = 4;
	outer->ihl = 5;
	outer->tos = tos;
	outer->tot_len = bpf_htons(inner_len + sizeof(*outer));
	outer->id = 0;
	outer->frag_off = bpf_htons(0x4000);
	outer->ttl = 64;
	outer->protocol = IPPROTO_IPIP;
	outer->saddr = lb_source_addr;
	outer->daddr = be->addr;
	outer->check = 0;
	/* The header checksum by hand, 16 bits at a time, as balancers without csum_diff do. */
#pragma unroll
	for (int i = 0; i < (int)(sizeof(*outer) / 2); i++)
		sum += ((__u16 *)outer)[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	outer->check = ~sum;
	return XDP_TX;
}

SEC("xdp")
int xdp_maglev_lb(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct udphdr *ports;
	struct vip_key vk = {};
	struct flow_key fk = {};
	struct vip_meta *vip;
	struct conn *cn, fresh = {};
	struct backend *be;
	struct lb_stats *st;
	__u32 zero = 0, slot, *id;
	__u16 vid, tot_len;
	int proto;

	st = bpf_map_lookup_elem(&stats, &zero);
	if (!st)
		return XDP_ABORTED;
	cursor_init(&c, ctx);
	proto = parse_eth(&c, &eth, &vid);
	if (proto != bpf_htons(ETH_P_IP) || vid)
		goto pass;
	proto = parse_ipv4(&c, &ip);
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		goto pass;
	if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET))
		goto pass;
	tot_len = bpf_ntohs(ip->tot_len);
	ports = c.pos;
	if ((void *)(ports + 1) > c.end || (void *)ip + tot_len > c.end)
		return XDP_DROP;

	vk.addr = ip->daddr;
	vk.port = ports->dest;
	vk.proto = proto;
	vip = bpf_map_lookup_elem(&vip_map, &vk);
	if (!vip || vip->vip_num >= MAX_VIPS)
		goto pass;

	fk.saddr = ip->saddr;
	fk.daddr = ip->daddr;
	fk.sport = ports->source;
	fk.dport = ports->dest;
	fk.proto = proto;
	cn = bpf_map_lookup_elem(&conn_table, &fk);
	if (!cn) {
		slot = vip->vip_num * RING_SIZE + flow_hash(&fk) % RING_SIZE;
		id = bpf_map_lookup_elem(&rings, &slot);
		if (!id || *id == 0 || *id >= MAX_BACKENDS) {
			st->no_backend++;
			return XDP_DROP;
		}
		fresh.backend = *id;
		bpf_map_update_elem(&conn_table, &fk, &fresh, BPF_ANY);
		cn = bpf_map_lookup_elem(&conn_table, &fk);
		if (!cn)
			return XDP_DROP;
		st->new_flows++;
	}
	__sync_fetch_and_add(&cn->packets, 1);
	be = bpf_map_lookup_elem(&backends, &cn->backend);
	if (!be || be->addr == 0) {
		st->no_backend++;
		return XDP_DROP;
	}
	st->balanced++;
	return encap_ipip(ctx, be, ip->tos, tot_len);
pass:
	st->passed++;
	return XDP_PASS;
}

XDPCHAIN_LICENSE;
