/*
 * Static one-to-one NAT for IPv4 TCP, UDP and ICMP echo.
 *
 * `dnat` maps a public (address, port) to a private one and rewrites the destination of inbound
 * packets; `snat` does the reverse on the source of outbound packets. For ICMP echo the
 * "port" is the echo identifier. Checksums are updated incrementally with bpf_csum_diff over just
 * the words that changed, never recomputed: the IPv4 header checksum covers the addresses; TCP and
 * UDP checksums cover the pseudo header (addresses) and the ports; the ICMP checksum covers the
 * identifier only. A UDP checksum of 0 means "none" and stays 0; a computed 0 is sent as 0xffff.
 * Later fragments have no L4 header: only their addresses are rewritten.
 */
#include "xdpchain/parse.h"

struct nat_key {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 pad;
};

struct nat_target {
	__be32 addr;
	__be16 port;
	__u16 pad;
};

/* What bpf_csum_diff sees of an endpoint: the address word, then the port in an even position. */
struct csum_endpoint {
	__be32 addr;
	__be16 port;
	__u16 zero;
};

struct nat_stats {
	__u64 snat;
	__u64 dnat;
	__u64 untouched;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct nat_key);
	__type(value, struct nat_target);
} snat SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct nat_key);
	__type(value, struct nat_target);
} dnat SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nat_stats);
} stats SEC(".maps");

/*
 * Rewrite one endpoint (*addr, *port) to `to`. `l4check` is the TCP/UDP/ICMP checksum field or
 * null; `pseudo` says whether that checksum covers the addresses (TCP, UDP) or not (ICMP).
 */
static __always_inline void rewrite(struct iphdr *ip, __be32 *addr, __be16 *port, __sum16 *l4check,
				    int pseudo, int udp, const struct nat_target *to)
{
	struct csum_endpoint old = { .addr = *addr, .port = port ? *port : 0 };
	struct csum_endpoint new = { .addr = to->addr, .port = port ? to->port : 0 };
	__s64 addr_diff = bpf_csum_diff(&old.addr, 4, &new.addr, 4, 0);

	ip->check = csum_replace(ip->check, addr_diff);
	if (l4check && !(udp && *l4check == 0)) {
		__s64 diff;

		if (pseudo)
			diff = bpf_csum_diff((__be32 *)&old, sizeof(old), (__be32 *)&new, sizeof(new), 0);
		else
			diff = bpf_csum_diff((__be32 *)&old.port, 4, (__be32 *)&new.port, 4, 0);
		*l4check = csum_replace(*l4check, diff);
		if (udp && *l4check == 0)
			*l4check = 0xffff;
	}
	*addr = to->addr;
	if (port)
		*port = to->port;
}

SEC("xdp")
int xdp_nat(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct nat_key k = {};
	struct nat_target *to;
	struct nat_stats *st;
	__be16 *sport = 0, *dport = 0;
	__sum16 *check = 0;
	__u16 vid;
	__u32 zero = 0;
	int proto, pseudo = 1, udp = 0;

	st = bpf_map_lookup_elem(&stats, &zero);
	if (!st)
		return XDP_ABORTED;

	cursor_init(&c, ctx);
	if (parse_eth(&c, &eth, &vid) != bpf_htons(ETH_P_IP))
		goto untouched;
	proto = parse_ipv4(&c, &ip);
	if (proto < 0)
		return XDP_DROP;

	if (!ipv4_is_later_fragment(ip)) {
		if (proto == IPPROTO_TCP) {
			struct tcphdr *t = parse_tcp(&c);

			if (!t)
				return XDP_DROP;
			sport = &t->source;
			dport = &t->dest;
			check = &t->check;
		} else if (proto == IPPROTO_UDP) {
			struct udphdr *u = parse_udp(&c);

			if (!u)
				return XDP_DROP;
			sport = &u->source;
			dport = &u->dest;
			check = &u->check;
			udp = 1;
		} else if (proto == IPPROTO_ICMP) {
			struct icmp_echo *e = c.pos;

			if ((void *)(e + 1) > c.end)
				return XDP_DROP;
			if (e->type != ICMP_ECHO && e->type != ICMP_ECHOREPLY)
				goto untouched;
			/* The identifier plays the port on both sides of the translation. */
			sport = &e->id;
			dport = &e->id;
			check = &e->checksum;
			pseudo = 0;
		} else {
			goto untouched;
		}
	}

	k.proto = proto;
	k.addr = ip->daddr;
	k.port = dport ? *dport : 0;
	to = bpf_map_lookup_elem(&dnat, &k);
	if (to) {
		rewrite(ip, &ip->daddr, dport, check, pseudo, udp, to);
		__sync_fetch_and_add(&st->dnat, 1);
		return XDP_PASS;
	}
	k.addr = ip->saddr;
	k.port = sport ? *sport : 0;
	to = bpf_map_lookup_elem(&snat, &k);
	if (to) {
		rewrite(ip, &ip->saddr, sport, check, pseudo, udp, to);
		__sync_fetch_and_add(&st->snat, 1);
		return XDP_PASS;
	}
untouched:
	__sync_fetch_and_add(&st->untouched, 1);
	return XDP_PASS;
}

XDPCHAIN_LICENSE;
