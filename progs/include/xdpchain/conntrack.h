/*
 * The netfilter conntrack kfuncs and the part of `struct nf_conn` XDP programs read, written by
 * hand from the 6.18 kernel's BTF (`bpftool btf dump file /sys/kernel/btf/vmlinux`) instead of
 * including a whole generated vmlinux.h. Like vmlinux.h, the types are marked
 * preserve_access_index, so libbpf relocates each field access against the running kernel; the
 * offsets below are 6.18's, and the static assertions keep them so.
 */
#ifndef XDPCHAIN_CONNTRACK_H
#define XDPCHAIN_CONNTRACK_H

#include "xdpchain/common.h"
#include <linux/netfilter/nf_conntrack_common.h>

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

typedef struct {
	int counter;
} atomic_t;

typedef struct refcount_struct {
	atomic_t refs;
} refcount_t;

struct nf_conntrack {
	refcount_t use;
};

union nf_inet_addr {
	__u32 all[4];
	__be32 ip;
	__be32 ip6[4];
	struct in_addr in;
	struct in6_addr in6;
};

union nf_conntrack_man_proto {
	__be16 all;
	struct {
		__be16 port;
	} tcp;
	struct {
		__be16 port;
	} udp;
};

struct nf_conntrack_man {
	union nf_inet_addr u3;
	union nf_conntrack_man_proto u;
	__u16 l3num;
};

struct nf_conntrack_tuple {
	struct nf_conntrack_man src;
	struct {
		union nf_inet_addr u3;
		union {
			__be16 all;
			struct {
				__be16 port;
			} tcp;
			struct {
				__be16 port;
			} udp;
		} u;
		__u8 protonum;
		__u8 dir;
	} dst;
};

struct hlist_nulls_node {
	struct hlist_nulls_node *next, **pprev;
};

struct nf_conntrack_tuple_hash {
	struct hlist_nulls_node hnnode;
	struct nf_conntrack_tuple tuple;
};

struct nf_conntrack_zone {
	__u16 id;
	__u8 flags;
	__u8 dir;
};

struct ip_ct_tcp_state {
	__u32 td_end;
	__u32 td_maxend;
	__u32 td_maxwin;
	__u32 td_maxack;
	__u8 td_scale;
	__u8 flags;
};

struct ip_ct_tcp {
	struct ip_ct_tcp_state seen[2];
	__u8 state;
};

union nf_conntrack_proto {
	struct ip_ct_tcp tcp;
	__u64 tmpl_padto[8];
};

struct nf_conn {
	struct nf_conntrack ct_general;
	__u32 lock;
	__u32 timeout;
	struct nf_conntrack_zone zone;
	struct nf_conntrack_tuple_hash tuplehash[2];
	unsigned long status;
	void *ct_net;
	struct hlist_nulls_node nat_bysource;
	struct nf_conn *master;
	__u32 mark;
	__u32 secmark;
	void *ext;
	union nf_conntrack_proto proto;
};

/* An entry from bpf_xdp_ct_alloc: not in the table until bpf_ct_insert_entry. */
struct nf_conn___init {
	struct nf_conn ct;
};

#pragma clang attribute pop

_Static_assert(sizeof(struct nf_conn) == 248, "struct nf_conn is 248 bytes in 6.18");
_Static_assert(__builtin_offsetof(struct nf_conn, timeout) == 8, "nf_conn.timeout");
_Static_assert(__builtin_offsetof(struct nf_conn, zone) == 12, "nf_conn.zone");
_Static_assert(__builtin_offsetof(struct nf_conn, tuplehash) == 16, "nf_conn.tuplehash");
_Static_assert(__builtin_offsetof(struct nf_conn, status) == 128, "nf_conn.status");
_Static_assert(__builtin_offsetof(struct nf_conn, mark) == 168, "nf_conn.mark");
_Static_assert(__builtin_offsetof(struct nf_conn, proto.tcp.state) == 224, "nf_conn.proto.tcp.state");

/* Options of the lookup and alloc kfuncs (16 bytes; 12 without the zone fields). */
struct bpf_ct_opts {
	__s32 netns_id;
	__s32 error;
	__u8 l4proto;
	__u8 dir;
	__u16 ct_zone_id;
	__u8 ct_zone_dir;
	__u8 reserved[3];
};

#define BPF_CT_OPTS_SZ 16
#define BPF_CT_OPTS_OLD_SZ 12

/* Index of ct->tuplehash and the value of bpf_ct_opts.dir (not in the uapi headers). */
enum ip_conntrack_dir {
	IP_CT_DIR_ORIGINAL,
	IP_CT_DIR_REPLY,
};

enum nf_nat_manip_type {
	NF_NAT_MANIP_SRC,
	NF_NAT_MANIP_DST,
};

extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *xdp_ctx, struct bpf_sock_tuple *bpf_tuple, __u32 tuple__sz,
					 struct bpf_ct_opts *opts, __u32 opts__sz) __ksym;
extern struct nf_conn___init *bpf_xdp_ct_alloc(struct xdp_md *xdp_ctx, struct bpf_sock_tuple *bpf_tuple, __u32 tuple__sz,
					       struct bpf_ct_opts *opts, __u32 opts__sz) __ksym;
extern struct nf_conn *bpf_ct_insert_entry(struct nf_conn___init *nfct_i) __ksym;
extern void bpf_ct_release(struct nf_conn *nfct) __ksym;
extern void bpf_ct_set_timeout(struct nf_conn___init *nfct, __u32 timeout) __ksym;
extern int bpf_ct_change_timeout(struct nf_conn *nfct, __u32 timeout) __ksym;
extern int bpf_ct_set_status(const struct nf_conn___init *nfct, __u32 status) __ksym;
extern int bpf_ct_change_status(struct nf_conn *nfct, __u32 status) __ksym;
extern int bpf_ct_set_nat_info(struct nf_conn___init *nfct, union nf_inet_addr *addr, int port,
			       enum nf_nat_manip_type manip) __ksym;

#endif
