/*
 * A SYN proxy's first stage with SYN cookies, on the raw syncookie helpers: no state is kept
 * per connection, the cookie in the SYN-ACK's sequence number is the state.
 *
 *   - A TCP SYN (no ACK) is answered in place with a SYN-ACK (XDP_TX): addresses and ports
 *     swapped, ack_seq = seq + 1, seq = the cookie from bpf_tcp_raw_gen_syncookie_ipv4/ipv6, the
 *     options replaced by the MSS the cookie carries (then NOPs), checksums valid.
 *   - A TCP ACK (no SYN, no RST) passes when bpf_tcp_raw_check_syncookie_ipv4/ipv6 accepts the
 *     cookie it acknowledges, and is dropped otherwise.
 *   - A SYN-ACK, which a real proxy never receives, is answered as the client would answer it:
 *     the ACK of the cookie (XDP_TX). So one test-run with repeat 3 plays the whole handshake,
 *     SYN -> SYN-ACK -> ACK -> verdict, even on a kernel whose cookie keys nobody knows.
 *   - Everything else passes.
 *
 * Configuration (`syncookie_config`, u32 by index): CFG_TAMPER is XORed into the ACK the client
 * step writes; CFG_TH_LEN_DELTA4/6 is added to the th_len given to the gen helper (a length
 * that is not the header's own must give -EINVAL). `syncookie_seen` keeps what the helpers
 * answered for the last packet that called them, without the cookie (random per kernel boot).
 */
#include "xdpchain/parse_ip.h"

enum syncookie_stat {
	STAT_SYN_ACK,
	STAT_GEN_FAILED,
	STAT_CLIENT_ACK,
	STAT_ACK_VALID,
	STAT_ACK_INVALID,
	STAT_OTHER,
	STAT_COUNT,
};

enum syncookie_cfg {
	CFG_TAMPER,
	CFG_TH_LEN_DELTA4,
	CFG_TH_LEN_DELTA6,
	CFG_COUNT,
};

struct syncookie_seen {
	/* The gen helper's result: the MSS (upper 32 bits), or 0 with the error in gen_error. */
	__u32 mss;
	__s32 gen_error;
	/* The check helper's last answer: 0 or a negative errno (syncookie_stats says whether one ran). */
	__s32 check_result;
	/* 4 or 6: the family of the last helper call. */
	__u32 family;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} syncookie_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CFG_COUNT);
	__type(key, __u32);
	__type(value, __u32);
} syncookie_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct syncookie_seen);
} syncookie_seen SEC(".maps");

#define TCP_MAX_HEADER 60
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2

/* The pseudo headers the TCP checksum covers. */
struct pseudo4 {
	__be32 saddr;
	__be32 daddr;
	__u8 zero;
	__u8 proto;
	__be16 len;
};

struct pseudo6 {
	struct in6_addr saddr;
	struct in6_addr daddr;
	__be32 len;
	__u8 zero[3];
	__u8 next;
};

static __always_inline void count(__u32 stat)
{
	__u64 *c = bpf_map_lookup_elem(&syncookie_stats, &stat);

	if (c)
		__sync_fetch_and_add(c, 1);
}

static __always_inline __u32 config(__u32 key)
{
	__u32 *v = bpf_map_lookup_elem(&syncookie_config, &key);

	return v ? *v : 0;
}

static __always_inline struct syncookie_seen *seen(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&syncookie_seen, &zero);
}

static __always_inline void swap_macs(struct ethhdr *eth)
{
	__u8 tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

/* Swap the addresses; an IPv4 header checksum stays right, since the sum does not change. */
static __always_inline void swap_addresses(struct iphdr *ip, struct ipv6hdr *ip6)
{
	if (ip) {
		__be32 a = ip->saddr;

		ip->saddr = ip->daddr;
		ip->daddr = a;
	} else if (ip6) {
		struct in6_addr a = ip6->saddr;

		ip6->saddr = ip6->daddr;
		ip6->daddr = a;
	}
}

/* The TCP checksum of a header (no payload) held in `th`, for the addresses now in the packet. */
static __always_inline __u16 tcp_checksum(struct iphdr *ip, struct ipv6hdr *ip6, __u8 *th, __u32 len)
{
	__s64 sum;

	if (ip) {
		struct pseudo4 p = { .saddr = ip->saddr, .daddr = ip->daddr, .proto = IPPROTO_TCP, .len = bpf_htons(len) };

		sum = bpf_csum_diff(0, 0, (void *)&p, sizeof(p), 0);
	} else if (ip6) {
		struct pseudo6 p = { .saddr = ip6->saddr, .daddr = ip6->daddr, .len = bpf_htonl(len), .next = IPPROTO_TCP };

		sum = bpf_csum_diff(0, 0, (void *)&p, sizeof(p), 0);
	} else {
		return 0;
	}
	if (sum < 0)
		return 0;
	sum = bpf_csum_diff(0, 0, (void *)th, len, (__u32)sum);
	return (__u16)~csum_fold16((__u64)sum);
}

/* Options after the first `keep` bytes become NOPs, up to the header's end. */
static __always_inline void nop_options(__u8 *th, __u32 len, __u32 keep)
{
#pragma unroll
	for (__u32 i = sizeof(struct tcphdr); i < TCP_MAX_HEADER; i++) {
		if (i >= keep && i < len)
			th[i] = TCPOPT_NOP;
	}
}

/* SYN -> SYN-ACK with a cookie; th holds the TCP header (len bytes). */
static __always_inline int answer_syn(struct iphdr *ip, struct ipv6hdr *ip6, __u8 *th, __u32 len, struct syncookie_seen *s)
{
	struct tcphdr *t = (struct tcphdr *)th;
	__u32 delta = config(ip ? CFG_TH_LEN_DELTA4 : CFG_TH_LEN_DELTA6);
	/* 1..64 by construction, as the verifier wants it within the buffer; the identity for those. */
	__u32 th_len = ((len + delta - 1) & 0x3f) + 1;
	__u32 keep = sizeof(struct tcphdr);
	__be16 port;
	__s64 value;
	__u32 mss;

	if (ip) {
		s->family = 4;
		value = bpf_tcp_raw_gen_syncookie_ipv4(ip, t, th_len);
	} else if (ip6) {
		s->family = 6;
		value = bpf_tcp_raw_gen_syncookie_ipv6(ip6, t, th_len);
	} else {
		return XDP_ABORTED;
	}
	if (value < 0) {
		s->mss = 0;
		s->gen_error = (__s32)value;
		count(STAT_GEN_FAILED);
		return XDP_DROP;
	}
	mss = (__u32)(value >> 32);
	s->mss = mss;
	s->gen_error = 0;

	port = t->source;
	t->source = t->dest;
	t->dest = port;
	t->ack_seq = bpf_htonl(bpf_ntohl(t->seq) + 1);
	t->seq = bpf_htonl((__u32)value);
	t->fin = 0;
	t->rst = 0;
	t->psh = 0;
	t->syn = 1;
	t->ack = 1;
	t->urg_ptr = 0;
	if (len >= sizeof(struct tcphdr) + 4) {
		th[20] = TCPOPT_MSS;
		th[21] = 4;
		th[22] = mss >> 8;
		th[23] = mss & 0xff;
		keep += 4;
	}
	nop_options(th, len, keep);
	count(STAT_SYN_ACK);
	return XDP_TX;
}

/* ACK: pass when it acknowledges a valid cookie. (Each pointer is tested: the verifier does not know one of them is set.) */
static __always_inline int check_ack(struct iphdr *ip, struct ipv6hdr *ip6, struct tcphdr *tcp, struct syncookie_seen *s)
{
	if (ip) {
		s->family = 4;
		s->check_result = bpf_tcp_raw_check_syncookie_ipv4(ip, tcp);
	} else if (ip6) {
		s->family = 6;
		s->check_result = bpf_tcp_raw_check_syncookie_ipv6(ip6, tcp);
	} else {
		return XDP_ABORTED;
	}
	count(s->check_result == 0 ? STAT_ACK_VALID : STAT_ACK_INVALID);
	return s->check_result == 0 ? XDP_PASS : XDP_DROP;
}

/* SYN-ACK -> the ACK a client sends back: it acknowledges the cookie (XORed with CFG_TAMPER). */
static __always_inline int answer_syn_ack(__u8 *th, __u32 len)
{
	struct tcphdr *t = (struct tcphdr *)th;
	__be32 cookie = t->seq;
	__be16 port = t->source;

	t->source = t->dest;
	t->dest = port;
	t->seq = t->ack_seq;
	t->ack_seq = bpf_htonl((bpf_ntohl(cookie) + 1) ^ config(CFG_TAMPER));
	t->syn = 0;
	nop_options(th, len, sizeof(struct tcphdr));
	count(STAT_CLIENT_ACK);
	return XDP_TX;
}

SEC("xdp")
int xdp_syncookie(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	struct ipv6hdr *ip6;
	struct tcphdr *tcp;
	struct syncookie_seen *s = seen();
	__u8 th[TCP_MAX_HEADER + 4] = {};
	__u32 off, len;
	int verdict;

	if (!s)
		return XDP_ABORTED;
	cursor_init(&c, ctx);
	if (parse_ip(&c, &eth, &ip, &ip6) != IPPROTO_TCP)
		goto other;
	tcp = parse_tcp(&c);
	if (!tcp)
		goto other;
	if (tcp->ack && !tcp->syn && !tcp->rst)
		return check_ack(ip, ip6, tcp, s);
	if (!tcp->syn || tcp->rst || tcp->fin)
		goto other;

	/* The header is rewritten in a copy on the stack: the helpers and checksum take its length. */
	off = (void *)tcp - (void *)(long)ctx->data;
	len = tcp->doff * 4;
	if (len < sizeof(struct tcphdr) || len > TCP_MAX_HEADER)
		goto other;
	if (bpf_xdp_load_bytes(ctx, off, th, len))
		return XDP_ABORTED;
	verdict = tcp->ack ? answer_syn_ack(th, len) : answer_syn(ip, ip6, th, len, s);
	if (verdict != XDP_TX)
		return verdict;
	swap_macs(eth);
	swap_addresses(ip, ip6);
	((struct tcphdr *)th)->check = 0;
	((struct tcphdr *)th)->check = tcp_checksum(ip, ip6, th, len);
	if (bpf_xdp_store_bytes(ctx, off, th, len))
		return XDP_ABORTED;
	return XDP_TX;
other:
	count(STAT_OTHER);
	return XDP_PASS;
}

XDPCHAIN_LICENSE;
