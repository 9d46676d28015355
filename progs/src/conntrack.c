/*
 * The conntrack kfuncs one at a time, for the kernel to answer: each program calls them on
 * tuples of its own (the packet does not matter) and writes what it saw into `results`, one u64
 * per step (negative errnos sign-extended). Steps are numbered per program; an untouched slot
 * stays 0. Values that depend on when the kernel's jiffies tick are recorded as "within one tick
 * of the expected value" (1) or not (0).
 *
 *   xdp_ct_errors     every error the lookup and alloc kfuncs report through opts->error
 *   xdp_ct_lifecycle  alloc -> set timeout/status/mark -> insert -> lookup both directions ->
 *                     change timeout/status -> release, with the fields of struct nf_conn
 *   xdp_ct_nat        bpf_ct_set_nat_info: SNAT/DNAT, ports, twice, a clash at insert, a source
 *                     already mapped, IPv6
 *   xdp_ct_zones      zones from the 16-byte opts, per-direction zones
 */
#include "xdpchain/conntrack.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} results SEC(".maps");

static __always_inline void record(__u32 step, __s64 value)
{
	__u64 v = (__u64)value;

	bpf_map_update_elem(&results, &step, &v, BPF_ANY);
}

static __always_inline void tuple4(struct bpf_sock_tuple *t, __u32 saddr, __u32 daddr, __u16 sport, __u16 dport)
{
	__builtin_memset(t, 0, sizeof(*t));
	t->ipv4.saddr = bpf_htonl(saddr);
	t->ipv4.daddr = bpf_htonl(daddr);
	t->ipv4.sport = bpf_htons(sport);
	t->ipv4.dport = bpf_htons(dport);
}

/* fd00::<s> -> fd00::<d> */
static __always_inline void tuple6(struct bpf_sock_tuple *t, __u8 s, __u8 d, __u16 sport, __u16 dport)
{
	__builtin_memset(t, 0, sizeof(*t));
	t->ipv6.saddr[0] = bpf_htonl(0xfd000000);
	t->ipv6.saddr[3] = bpf_htonl(s);
	t->ipv6.daddr[0] = bpf_htonl(0xfd000000);
	t->ipv6.daddr[3] = bpf_htonl(d);
	t->ipv6.sport = bpf_htons(sport);
	t->ipv6.dport = bpf_htons(dport);
}

static __always_inline void opts_init(struct bpf_ct_opts *o, __u8 l4proto)
{
	__builtin_memset(o, 0, sizeof(*o));
	o->netns_id = BPF_F_CURRENT_NETNS;
	o->l4proto = l4proto;
	/* A sentinel, to see whether the kfunc wrote an error. */
	o->error = 1;
}

/* 1 when `value` is `want` or one jiffy less (a tick between the kfunc and the read). */
static __always_inline __s64 about(__u32 value, __u32 want)
{
	return value == want || value == want - 1;
}

static __always_inline __s64 lookup_error(struct xdp_md *ctx, struct bpf_sock_tuple *t, __u32 tsz, struct bpf_ct_opts *o, __u32 osz)
{
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, t, tsz, o, osz);

	if (ct) {
		bpf_ct_release(ct);
		return 1000;
	}
	return o->error;
}

/* Allocations that fail; one that succeeds is inserted and released (it may not leak). */
static __always_inline __s64 alloc_error(struct xdp_md *ctx, struct bpf_sock_tuple *t, __u32 tsz, struct bpf_ct_opts *o, __u32 osz)
{
	struct nf_conn___init *ct = bpf_xdp_ct_alloc(ctx, t, tsz, o, osz);
	struct nf_conn *ins;

	if (!ct)
		return o->error;
	ins = bpf_ct_insert_entry(ct);
	if (ins)
		bpf_ct_release(ins);
	return 1000;
}

/* Allocate and insert; 0 when the insert failed (a clash), else 1. */
static __always_inline __s64 alloc_insert(struct xdp_md *ctx, struct bpf_sock_tuple *t, __u32 tsz, __u8 l4proto)
{
	struct bpf_ct_opts o;
	struct nf_conn___init *ct;
	struct nf_conn *ins;

	opts_init(&o, l4proto);
	ct = bpf_xdp_ct_alloc(ctx, t, tsz, &o, sizeof(o));
	if (!ct)
		return o.error;
	ins = bpf_ct_insert_entry(ct);
	if (!ins)
		return 0;
	bpf_ct_release(ins);
	return 1;
}

SEC("xdp")
int xdp_ct_errors(struct xdp_md *ctx)
{
	struct bpf_sock_tuple t;
	struct bpf_ct_opts o;
	struct {
		struct bpf_ct_opts o;
		__u32 more[2];
	} big;

	tuple4(&t, 0x0a000001, 0x0a000002, 1000, 80);

	opts_init(&o, IPPROTO_TCP);
	record(0, lookup_error(ctx, &t, 8, &o, sizeof(o)));
	opts_init(&o, IPPROTO_TCP);
	record(1, lookup_error(ctx, &t, sizeof(t.ipv4), &o, 8));
	opts_init(&big.o, IPPROTO_TCP);
	big.more[0] = big.more[1] = 0;
	record(2, lookup_error(ctx, &t, sizeof(t.ipv4), &big.o, sizeof(big)));
	opts_init(&o, IPPROTO_ICMP);
	record(3, lookup_error(ctx, &t, sizeof(t.ipv4), &o, sizeof(o)));
	opts_init(&o, IPPROTO_ICMP);
	record(4, alloc_error(ctx, &t, sizeof(t.ipv4), &o, sizeof(o)));
	opts_init(&o, IPPROTO_TCP);
	o.netns_id = -2;
	record(5, lookup_error(ctx, &t, sizeof(t.ipv4), &o, sizeof(o)));
	opts_init(&o, IPPROTO_TCP);
	o.netns_id = 0;
	record(6, lookup_error(ctx, &t, sizeof(t.ipv4), &o, sizeof(o)));
	opts_init(&o, IPPROTO_UDP);
	o.netns_id = 5;
	record(7, alloc_error(ctx, &t, sizeof(t.ipv4), &o, sizeof(o)));
	opts_init(&o, IPPROTO_TCP);
	o.reserved[1] = 1;
	record(8, lookup_error(ctx, &t, sizeof(t.ipv4), &o, sizeof(o)));
	opts_init(&o, IPPROTO_TCP);
	o.ct_zone_id = 3;
	record(9, lookup_error(ctx, &t, sizeof(t.ipv4), &o, BPF_CT_OPTS_OLD_SZ));
	opts_init(&o, IPPROTO_TCP);
	record(10, lookup_error(ctx, &t, sizeof(t.ipv4), &o, sizeof(o)));

	/* Which check comes first when several fail. */
	opts_init(&o, IPPROTO_ICMP);
	record(11, lookup_error(ctx, &t, 8, &o, sizeof(o)));
	opts_init(&o, IPPROTO_ICMP);
	o.netns_id = -2;
	record(12, alloc_error(ctx, &t, sizeof(t.ipv4), &o, sizeof(o)));
	opts_init(&o, IPPROTO_ICMP);
	o.netns_id = -2;
	record(13, lookup_error(ctx, &t, sizeof(t.ipv4), &o, sizeof(o)));
	opts_init(&o, IPPROTO_UDP);
	record(14, alloc_error(ctx, &t, 20, &o, sizeof(o)));

	/* What a failed lookup leaves in opts: dir untouched, the zone direction filled in. */
	opts_init(&o, IPPROTO_TCP);
	o.dir = 7;
	lookup_error(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	record(15, o.dir);
	record(16, o.ct_zone_dir);
	opts_init(&o, IPPROTO_TCP);
	lookup_error(ctx, &t, sizeof(t.ipv4), &o, BPF_CT_OPTS_OLD_SZ);
	record(17, o.ct_zone_dir);

	/* A successful alloc leaves opts->error alone. */
	opts_init(&o, IPPROTO_TCP);
	o.error = 55;
	record(18, alloc_error(ctx, &t, sizeof(t.ipv4), &o, sizeof(o)));
	record(19, o.error);

	/* Clashes at insert: the same tuple again, and the first entry's reply tuple. */
	record(20, alloc_insert(ctx, &t, sizeof(t.ipv4), IPPROTO_TCP));
	tuple4(&t, 0x0a000002, 0x0a000001, 80, 1000);
	record(21, alloc_insert(ctx, &t, sizeof(t.ipv4), IPPROTO_TCP));
	record(22, alloc_insert(ctx, &t, sizeof(t.ipv4), IPPROTO_UDP));

	/* A lookup of the reply tuple finds the entry in the reply direction. */
	opts_init(&o, IPPROTO_TCP);
	record(23, lookup_error(ctx, &t, sizeof(t.ipv4), &o, sizeof(o)));
	record(24, o.dir);
	record(25, o.error);

	/* IPv6 tuples are 36 bytes. */
	tuple6(&t, 1, 2, 5000, 443);
	record(26, alloc_insert(ctx, &t, sizeof(t.ipv6), IPPROTO_TCP));
	tuple6(&t, 2, 1, 443, 5000);
	opts_init(&o, IPPROTO_TCP);
	record(27, lookup_error(ctx, &t, sizeof(t.ipv6), &o, BPF_CT_OPTS_OLD_SZ));
	record(28, o.dir);
	opts_init(&o, IPPROTO_TCP);
	record(29, lookup_error(ctx, &t, sizeof(t.ipv4), &o, sizeof(o)));
	return XDP_PASS;
}

SEC("xdp")
int xdp_ct_lifecycle(struct xdp_md *ctx)
{
	struct bpf_sock_tuple t, r;
	struct bpf_ct_opts o;
	struct nf_conn___init *nct;
	struct nf_conn *ct, *ins, *found;
	__u64 j;

	tuple4(&t, 0x0a000001, 0x0a000002, 1000, 80);
	opts_init(&o, IPPROTO_TCP);
	nct = bpf_xdp_ct_alloc(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	if (!nct) {
		record(63, o.error);
		return XDP_ABORTED;
	}
	ct = &nct->ct;
	record(0, ct->status);
	record(1, ct->timeout);
	record(2, ct->ct_general.use.refs.counter);
	record(3, ct->zone.id);
	record(4, ct->zone.dir);
	record(5, ct->mark);
	record(6, ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple.dst.dir);
	record(7, ct->tuplehash[IP_CT_DIR_REPLY].tuple.dst.dir);
	record(8, ct->tuplehash[IP_CT_DIR_REPLY].tuple.src.u3.ip);
	record(9, ct->tuplehash[IP_CT_DIR_REPLY].tuple.src.u.tcp.port);
	record(10, ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple.src.l3num);
	record(11, ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple.dst.protonum);
	record(12, ct->proto.tcp.state);

	bpf_ct_set_timeout(nct, 5000);
	record(13, ct->timeout);
	bpf_ct_set_timeout(nct, 8001);
	record(14, ct->timeout);
	record(16, bpf_ct_set_status(nct, IPS_CONFIRMED));
	record(17, bpf_ct_set_status(nct, IPS_SEEN_REPLY | IPS_SRC_NAT | 0x10000));
	record(18, ct->status);
	record(19, bpf_ct_set_status(nct, 0));
	record(20, bpf_ct_set_status(nct, IPS_SEEN_REPLY | IPS_ASSURED));
	record(21, bpf_ct_set_status(nct, IPS_SEEN_REPLY | IPS_ASSURED | IPS_FIXED_TIMEOUT));
	record(22, ct->status);
	ct->mark = 0x1234;

	ins = bpf_ct_insert_entry(nct);
	if (!ins) {
		record(63, 1);
		return XDP_ABORTED;
	}
	j = bpf_jiffies64();
	record(23, ins->status);
	record(24, ins->ct_general.use.refs.counter);
	record(25, ins->mark);
	record(26, about(ins->timeout - (__u32)j, 2001));
	record(27, bpf_ct_change_timeout(ins, 1000));
	record(28, bpf_ct_change_status(ins, IPS_SEEN_REPLY));
	record(29, bpf_ct_change_status(ins, IPS_CONFIRMED | IPS_SEEN_REPLY | IPS_ASSURED | IPS_FIXED_TIMEOUT | IPS_DYING));
	record(30, bpf_ct_change_status(ins, IPS_CONFIRMED | IPS_SEEN_REPLY | IPS_ASSURED | IPS_TEMPLATE | IPS_HELPER));
	record(31, ins->status);

	opts_init(&o, IPPROTO_TCP);
	found = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	if (found) {
		record(32, o.dir);
		record(33, found == ins);
		record(34, found->ct_general.use.refs.counter);
		bpf_ct_release(found);
	}
	tuple4(&r, 0x0a000002, 0x0a000001, 80, 1000);
	opts_init(&o, IPPROTO_TCP);
	found = bpf_xdp_ct_lookup(ctx, &r, sizeof(r.ipv4), &o, BPF_CT_OPTS_OLD_SZ);
	if (found) {
		record(35, o.dir);
		record(36, found->mark);
		found->mark = 0x5678;
		bpf_ct_release(found);
	}
	record(37, ins->ct_general.use.refs.counter);
	record(38, ins->mark);
	bpf_ct_release(ins);

	/* A UDP entry with the default 10 s, then a changed timeout and status once inserted. */
	tuple4(&t, 0x0a000003, 0x0a000004, 53, 53);
	opts_init(&o, IPPROTO_UDP);
	nct = bpf_xdp_ct_alloc(ctx, &t, sizeof(t.ipv4), &o, BPF_CT_OPTS_OLD_SZ);
	if (!nct)
		return XDP_ABORTED;
	record(39, nct->ct.timeout);
	ins = bpf_ct_insert_entry(nct);
	if (!ins)
		return XDP_ABORTED;
	j = bpf_jiffies64();
	record(40, about(ins->timeout - (__u32)j, 2500));
	record(41, bpf_ct_change_timeout(ins, 3000));
	j = bpf_jiffies64();
	record(42, about(ins->timeout - (__u32)j, 750));
	record(43, bpf_ct_change_status(ins, IPS_CONFIRMED | IPS_SEEN_REPLY));
	record(44, ins->status);
	bpf_ct_release(ins);
	return XDP_PASS;
}

SEC("xdp")
int xdp_ct_nat(struct xdp_md *ctx)
{
	struct bpf_sock_tuple t;
	struct bpf_ct_opts o;
	struct nf_conn___init *nct;
	struct nf_conn *ct, *ins, *found;
	union nf_inet_addr a = {};

	tuple4(&t, 0x0a000001, 0x0a000002, 1000, 80);
	opts_init(&o, IPPROTO_TCP);
	nct = bpf_xdp_ct_alloc(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	if (!nct)
		return XDP_ABORTED;
	ct = &nct->ct;
	a.ip = bpf_htonl(0xc0a80001);
	record(0, bpf_ct_set_nat_info(nct, &a, 4000, NF_NAT_MANIP_SRC));
	record(1, ct->status);
	record(2, ct->tuplehash[IP_CT_DIR_REPLY].tuple.dst.u3.ip);
	record(3, ct->tuplehash[IP_CT_DIR_REPLY].tuple.dst.u.all);
	record(4, ct->tuplehash[IP_CT_DIR_REPLY].tuple.src.u3.ip);
	record(5, ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple.src.u3.ip);
	record(6, bpf_ct_set_nat_info(nct, &a, 4000, NF_NAT_MANIP_SRC));
	a.ip = bpf_htonl(0x0a090909);
	record(7, bpf_ct_set_nat_info(nct, &a, 0, NF_NAT_MANIP_DST));
	record(8, ct->status);
	record(9, ct->tuplehash[IP_CT_DIR_REPLY].tuple.src.u3.ip);
	record(10, ct->tuplehash[IP_CT_DIR_REPLY].tuple.src.u.all);
	ins = bpf_ct_insert_entry(nct);
	if (!ins)
		return XDP_ABORTED;
	bpf_ct_release(ins);

	/* The reply tuple after both translations finds the entry; the untranslated one does not. */
	tuple4(&t, 0x0a090909, 0xc0a80001, 80, 4000);
	opts_init(&o, IPPROTO_TCP);
	found = bpf_xdp_ct_lookup(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	if (found) {
		record(11, o.dir);
		bpf_ct_release(found);
	}
	tuple4(&t, 0x0a000002, 0x0a000001, 80, 1000);
	opts_init(&o, IPPROTO_TCP);
	record(12, lookup_error(ctx, &t, sizeof(t.ipv4), &o, sizeof(o)));

	/* SNAT to the address the flow already has changes nothing but the done bit; DNAT with no port. */
	tuple4(&t, 0x0a000005, 0x0a000006, 5353, 53);
	opts_init(&o, IPPROTO_UDP);
	nct = bpf_xdp_ct_alloc(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	if (!nct)
		return XDP_ABORTED;
	a.ip = bpf_htonl(0x0a000005);
	record(13, bpf_ct_set_nat_info(nct, &a, 0, NF_NAT_MANIP_SRC));
	record(14, nct->ct.status);
	a.ip = bpf_htonl(0x0a000007);
	record(15, bpf_ct_set_nat_info(nct, &a, -1, NF_NAT_MANIP_DST));
	record(16, nct->ct.status);
	record(17, nct->ct.tuplehash[IP_CT_DIR_REPLY].tuple.src.u3.ip);
	record(18, nct->ct.tuplehash[IP_CT_DIR_REPLY].tuple.src.u.all);
	record(19, nct->ct.tuplehash[IP_CT_DIR_REPLY].tuple.dst.u.all);
	ins = bpf_ct_insert_entry(nct);
	if (!ins)
		return XDP_ABORTED;
	bpf_ct_release(ins);

	/* A source mapping with one port keeps that port even when an entry has the same reply: the insert then clashes. */
	tuple4(&t, 0x0a000003, 0x0a090909, 1000, 80);
	opts_init(&o, IPPROTO_TCP);
	nct = bpf_xdp_ct_alloc(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	if (!nct)
		return XDP_ABORTED;
	a.ip = bpf_htonl(0xc0a80001);
	record(20, bpf_ct_set_nat_info(nct, &a, 4000, NF_NAT_MANIP_SRC));
	record(21, nct->ct.tuplehash[IP_CT_DIR_REPLY].tuple.dst.u.all);
	ins = bpf_ct_insert_entry(nct);
	record(22, ins != 0);
	if (ins)
		bpf_ct_release(ins);

	/* Another connection from a source already mapped (the first entry's) gets that mapping's port. */
	tuple4(&t, 0x0a000001, 0x0a000008, 1000, 80);
	opts_init(&o, IPPROTO_TCP);
	nct = bpf_xdp_ct_alloc(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	if (!nct)
		return XDP_ABORTED;
	a.ip = bpf_htonl(0xc0a80001);
	record(28, bpf_ct_set_nat_info(nct, &a, 0, NF_NAT_MANIP_SRC));
	record(29, nct->ct.tuplehash[IP_CT_DIR_REPLY].tuple.dst.u.all);
	record(30, nct->ct.status);
	ins = bpf_ct_insert_entry(nct);
	record(31, ins != 0);
	if (ins)
		bpf_ct_release(ins);

	/* IPv6 DNAT with a port; a port above 65535 keeps its low 16 bits. */
	tuple6(&t, 1, 2, 5000, 80);
	opts_init(&o, IPPROTO_TCP);
	nct = bpf_xdp_ct_alloc(ctx, &t, sizeof(t.ipv6), &o, sizeof(o));
	if (!nct)
		return XDP_ABORTED;
	__builtin_memset(&a, 0, sizeof(a));
	a.ip6[0] = bpf_htonl(0xfd000000);
	a.ip6[3] = bpf_htonl(0x99);
	record(23, bpf_ct_set_nat_info(nct, &a, 65536 + 8080, NF_NAT_MANIP_DST));
	record(24, nct->ct.status);
	record(25, nct->ct.tuplehash[IP_CT_DIR_REPLY].tuple.src.u3.ip6[3]);
	record(26, nct->ct.tuplehash[IP_CT_DIR_REPLY].tuple.src.u.all);
	record(27, nct->ct.tuplehash[IP_CT_DIR_ORIGINAL].tuple.dst.u3.ip6[3]);
	ins = bpf_ct_insert_entry(nct);
	if (!ins)
		return XDP_ABORTED;
	bpf_ct_release(ins);
	return XDP_PASS;
}

SEC("xdp")
int xdp_ct_zones(struct xdp_md *ctx)
{
	struct bpf_sock_tuple t, r;
	struct bpf_ct_opts o;
	struct nf_conn___init *nct;
	struct nf_conn *ins, *found;

	tuple4(&t, 0x0a000001, 0x0a000002, 1000, 80);
	tuple4(&r, 0x0a000002, 0x0a000001, 80, 1000);

	/* Zone 5 in both directions (ct_zone_dir 0 means both, and is written back as 3). */
	opts_init(&o, IPPROTO_TCP);
	o.ct_zone_id = 5;
	nct = bpf_xdp_ct_alloc(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	if (!nct)
		return XDP_ABORTED;
	record(0, o.ct_zone_dir);
	record(1, nct->ct.zone.id);
	record(2, nct->ct.zone.dir);
	ins = bpf_ct_insert_entry(nct);
	if (!ins)
		return XDP_ABORTED;
	bpf_ct_release(ins);
	opts_init(&o, IPPROTO_TCP);
	record(3, lookup_error(ctx, &t, sizeof(t.ipv4), &o, sizeof(o)));
	opts_init(&o, IPPROTO_TCP);
	o.ct_zone_id = 5;
	record(4, lookup_error(ctx, &t, sizeof(t.ipv4), &o, sizeof(o)));
	opts_init(&o, IPPROTO_TCP);
	o.ct_zone_id = 5;
	record(5, lookup_error(ctx, &r, sizeof(r.ipv4), &o, sizeof(o)));
	record(6, o.dir);

	/* The same tuple in the default zone is another connection. */
	record(7, alloc_insert(ctx, &t, sizeof(t.ipv4), IPPROTO_TCP));

	/* Zone 7 for the original direction only: the reply direction stays in zone 0. */
	tuple4(&t, 0x0a000003, 0x0a000004, 2000, 80);
	tuple4(&r, 0x0a000004, 0x0a000003, 80, 2000);
	opts_init(&o, IPPROTO_TCP);
	o.ct_zone_id = 7;
	o.ct_zone_dir = 1;
	nct = bpf_xdp_ct_alloc(ctx, &t, sizeof(t.ipv4), &o, sizeof(o));
	if (!nct)
		return XDP_ABORTED;
	record(8, nct->ct.zone.dir);
	ins = bpf_ct_insert_entry(nct);
	if (!ins)
		return XDP_ABORTED;
	bpf_ct_release(ins);
	opts_init(&o, IPPROTO_TCP);
	o.ct_zone_id = 7;
	record(9, lookup_error(ctx, &t, sizeof(t.ipv4), &o, sizeof(o)));
	opts_init(&o, IPPROTO_TCP);
	o.ct_zone_id = 7;
	record(10, lookup_error(ctx, &r, sizeof(r.ipv4), &o, sizeof(o)));
	opts_init(&o, IPPROTO_TCP);
	record(11, lookup_error(ctx, &r, sizeof(r.ipv4), &o, BPF_CT_OPTS_OLD_SZ));
	record(12, o.dir);
	opts_init(&o, IPPROTO_TCP);
	record(13, lookup_error(ctx, &t, sizeof(t.ipv4), &o, BPF_CT_OPTS_OLD_SZ));
	opts_init(&o, IPPROTO_TCP);
	o.ct_zone_id = 7;
	o.ct_zone_dir = 1;
	found = bpf_xdp_ct_lookup(ctx, &r, sizeof(r.ipv4), &o, sizeof(o));
	record(14, found != 0);
	if (found) {
		record(15, o.dir);
		bpf_ct_release(found);
	}
	return XDP_PASS;
}

XDPCHAIN_LICENSE;
