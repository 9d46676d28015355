/*
 * A stateful firewall in front of a service, the first stage of a SYN proxy, on the conntrack
 * kfuncs. TCP and UDP over IPv4 and IPv6; other traffic passes untouched.
 *
 *   - A packet of a connection in the table (either direction) passes, unless the entry's mark is
 *     BLOCK_MARK: then it is dropped. Its timeout is refreshed (established_ms, or closing_ms for
 *     a TCP FIN or RST); the first packet in the reply direction sets SEEN_REPLY and ASSURED.
 *   - A connection through destination NAT has its packets rewritten from the entry's tuples:
 *     original direction to the reply tuple's source, replies back to the original destination
 *     (IPv4; addresses, ports and checksums).
 *   - A new connection must begin with a TCP SYN (no ACK) or be UDP, and go to a port listed in
 *     `services`, whose value is the mark to give it; anything else is dropped. It is allocated,
 *     given new_ms as timeout and the mark, sent to `dnat_addr`:`dnat_port` when its port is
 *     `dnat_from_port`, and inserted. A clash at insert drops the packet.
 * Every decision is counted in `ct_stats`; `ct_seen` describes the entry the last packet met.
 */
#include "xdpchain/conntrack.h"
#include "xdpchain/parse.h"

#define BLOCK_MARK 1

enum ct_stat {
	STAT_OTHER,
	STAT_ORIGINAL,
	STAT_REPLY,
	STAT_BLOCKED,
	STAT_NEW,
	STAT_NOT_SYN,
	STAT_NO_SERVICE,
	STAT_ALLOC_FAILED,
	STAT_INSERT_FAILED,
	STAT_NAT,
	STAT_COUNT,
};

/* The entry a packet met, with the values that do not depend on when the run happened. */
struct ct_seen {
	__u32 status;
	__u32 mark;
	__u32 use;
	__u16 zone;
	__u8 dir;
	__u8 l4proto;
	__s32 lookup_error;
	__s32 alloc_error;
	/* ct->timeout is within one jiffy of now + the timeout the program set. */
	__u32 timeout_ok;
	__s32 change_timeout;
	__s32 nat;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u32);
} services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} ct_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ct_seen);
} ct_seen SEC(".maps");

__u32 new_ms = 30000;
__u32 established_ms = 120000;
__u32 closing_ms = 10000;
__u16 dnat_from_port = 8080;
__u16 dnat_port = 80;
__be32 dnat_addr = 0x5000010a; /* 10.1.0.80 */

static __always_inline void count(__u32 stat)
{
	__u64 *c = bpf_map_lookup_elem(&ct_stats, &stat);

	if (c)
		__sync_fetch_and_add(c, 1);
}

static __always_inline struct ct_seen *seen(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ct_seen, &zero);
}

static __always_inline void describe(struct ct_seen *s, struct nf_conn *ct, __u8 dir, __u32 timeout_ms)
{
	__u32 left = ct->timeout - (__u32)bpf_jiffies64();
	/* HZ is 250: a millisecond timeout in jiffies, rounded up. */
	__u32 want = (timeout_ms + 3) / 4;

	s->status = ct->status;
	s->mark = ct->mark;
	s->use = ct->ct_general.use.refs.counter;
	s->zone = ct->zone.id;
	s->dir = dir;
	s->timeout_ok = left == want || left == want - 1;
}

static __always_inline __u16 csum16_replace(__u16 check, __u16 from, __u16 to)
{
	__u32 sum = (__u16)~check + (__u16)~from + to;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

static __always_inline __u16 csum32_replace(__u16 check, __u32 from, __u32 to)
{
	check = csum16_replace(check, from >> 16, to >> 16);
	return csum16_replace(check, from & 0xffff, to & 0xffff);
}

/* Rewrite one address and its port in an IPv4 packet; `dst` picks destination or source. */
static __always_inline void rewrite4(struct iphdr *ip, __be16 *port, __sum16 *l4check, int udp, int dst, __be32 addr, __be16 to_port)
{
	__be32 *a = dst ? &ip->daddr : &ip->saddr;
	__be32 from = *a;
	__be16 from_port = *port;

	ip->check = csum32_replace(ip->check, from, addr);
	/* A UDP checksum of zero means none, and stays so. */
	if (!(udp && *l4check == 0)) {
		*l4check = csum32_replace(*l4check, from, addr);
		*l4check = csum16_replace(*l4check, from_port, to_port);
	}
	*a = addr;
	*port = to_port;
}

SEC("xdp")
int xdp_ct_firewall(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip = 0;
	struct ipv6hdr *ip6;
	struct tcphdr *tcp = 0;
	struct udphdr *udp = 0;
	struct bpf_sock_tuple t = {};
	struct bpf_ct_opts o = { .netns_id = BPF_F_CURRENT_NETNS };
	__u32 tuple_size, timeout_ms, *mark;
	__be16 *sport, *dport;
	__sum16 *l4check;
	struct nf_conn___init *nct;
	struct nf_conn *ct;
	struct ct_seen *s = seen();
	__u16 vid;
	int proto;

	if (!s)
		return XDP_ABORTED;
	cursor_init(&c, ctx);
	proto = parse_eth(&c, &eth, &vid);
	if (proto == bpf_htons(ETH_P_IP)) {
		proto = parse_ipv4(&c, &ip);
		if (proto < 0 || ipv4_is_later_fragment(ip))
			goto other;
		t.ipv4.saddr = ip->saddr;
		t.ipv4.daddr = ip->daddr;
		tuple_size = sizeof(t.ipv4);
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		proto = parse_ipv6(&c, &ip6);
		if (proto < 0)
			goto other;
		__builtin_memcpy(t.ipv6.saddr, &ip6->saddr, 16);
		__builtin_memcpy(t.ipv6.daddr, &ip6->daddr, 16);
		tuple_size = sizeof(t.ipv6);
	} else {
		goto other;
	}
	if (proto == IPPROTO_TCP) {
		tcp = parse_tcp(&c);
		if (!tcp)
			goto other;
		sport = &tcp->source;
		dport = &tcp->dest;
		l4check = &tcp->check;
	} else if (proto == IPPROTO_UDP) {
		udp = parse_udp(&c);
		if (!udp)
			goto other;
		sport = &udp->source;
		dport = &udp->dest;
		l4check = &udp->check;
	} else {
		goto other;
	}
	if (tuple_size == sizeof(t.ipv4)) {
		t.ipv4.sport = *sport;
		t.ipv4.dport = *dport;
	} else {
		t.ipv6.sport = *sport;
		t.ipv6.dport = *dport;
	}
	o.l4proto = proto;
	s->l4proto = proto;

	ct = bpf_xdp_ct_lookup(ctx, &t, tuple_size, &o, sizeof(o));
	if (ct) {
		__u8 dir = o.dir;

		if (ct->mark == BLOCK_MARK) {
			describe(s, ct, dir, 0);
			bpf_ct_release(ct);
			count(STAT_BLOCKED);
			return XDP_DROP;
		}
		if (dir == IP_CT_DIR_REPLY && !(ct->status & IPS_SEEN_REPLY))
			bpf_ct_change_status(ct, ct->status | IPS_SEEN_REPLY | IPS_ASSURED);
		timeout_ms = tcp && (tcp->fin || tcp->rst) ? closing_ms : established_ms;
		s->change_timeout = bpf_ct_change_timeout(ct, timeout_ms);
		describe(s, ct, dir, timeout_ms);
		if (ip && (ct->status & IPS_DST_NAT)) {
			if (dir == IP_CT_DIR_ORIGINAL)
				rewrite4(ip, dport, l4check, udp != 0, 1, ct->tuplehash[IP_CT_DIR_REPLY].tuple.src.u3.ip,
					 ct->tuplehash[IP_CT_DIR_REPLY].tuple.src.u.all);
			else
				rewrite4(ip, sport, l4check, udp != 0, 0, ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple.dst.u3.ip,
					 ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple.dst.u.all);
			count(STAT_NAT);
		}
		bpf_ct_release(ct);
		count(dir == IP_CT_DIR_REPLY ? STAT_REPLY : STAT_ORIGINAL);
		return XDP_PASS;
	}
	s->lookup_error = o.error;

	if (tcp && !(tcp->syn && !tcp->ack)) {
		count(STAT_NOT_SYN);
		return XDP_DROP;
	}
	__u16 port = bpf_ntohs(*dport);
	mark = bpf_map_lookup_elem(&services, &port);
	if (!mark) {
		count(STAT_NO_SERVICE);
		return XDP_DROP;
	}
	nct = bpf_xdp_ct_alloc(ctx, &t, tuple_size, &o, sizeof(o));
	if (!nct) {
		s->alloc_error = o.error;
		count(STAT_ALLOC_FAILED);
		return XDP_DROP;
	}
	bpf_ct_set_timeout(nct, new_ms);
	nct->ct.mark = *mark;
	if (ip && port == dnat_from_port) {
		union nf_inet_addr a = { .ip = dnat_addr };

		s->nat = bpf_ct_set_nat_info(nct, &a, dnat_port, NF_NAT_MANIP_DST);
	}
	ct = bpf_ct_insert_entry(nct);
	if (!ct) {
		count(STAT_INSERT_FAILED);
		return XDP_DROP;
	}
	describe(s, ct, IP_CT_DIR_ORIGINAL, new_ms);
	if (ip && (ct->status & IPS_DST_NAT)) {
		rewrite4(ip, dport, l4check, udp != 0, 1, ct->tuplehash[IP_CT_DIR_REPLY].tuple.src.u3.ip,
			 ct->tuplehash[IP_CT_DIR_REPLY].tuple.src.u.all);
		count(STAT_NAT);
	}
	bpf_ct_release(ct);
	count(STAT_NEW);
	return XDP_PASS;

other:
	count(STAT_OTHER);
	return XDP_PASS;
}

XDPCHAIN_LICENSE;
