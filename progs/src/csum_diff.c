/*
 * bpf_csum_diff: the kernel's checksum arithmetic as seen by a program.
 *
 * For IPv4 frames the program verifies the header checksum by summing the header (its checksum
 * field included) and folding: a correct header folds to 0xffff. The results of several
 * bpf_csum_diff calls are stored unmodified in `csum_results`: whether the helper returns an
 * unfolded 32-bit partial sum (older kernels, architecture-specific) or one folded to 16 bits
 * (newer kernels), and whether it accepts sizes that are not multiples of 4, is exactly what a
 * runtime must reproduce. The verdict is DROP for a wrong header checksum, PASS otherwise.
 */
#include "xdpchain/parse.h"

enum {
	RES_HEADER_SUM = 0,  /* sum of the 20-byte base header */
	RES_HEADER_FOLD,     /* its fold: 0xffff when the checksum is right */
	RES_ADDR_SWAP,       /* diff for replacing saddr by daddr */
	RES_REMOVE_ONLY,     /* from only: subtracts the words */
	RES_SEEDED,          /* with a seed */
	RES_PAYLOAD_SUM,     /* 64 bytes after the Ethernet header, when present */
	RES_ODD_SIZE,        /* sizes not multiples of 4 (refused by older kernels) */
	RES_EMPTY,           /* no from, no to: just the seed */
	RES_COUNT,
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RES_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} csum_results SEC(".maps");

static __always_inline void put(__u32 slot, __s64 value)
{
	__u64 *v = bpf_map_lookup_elem(&csum_results, &slot);

	if (v)
		*v = (__u64)value;
}

SEC("xdp")
int xdp_csum_diff(struct xdp_md *ctx)
{
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	__be32 words[3] = { 0x01020304, 0xa0b0c0d0, 0xffffffff };
	__u16 vid;
	__s64 sum;
	__u16 fold;

	cursor_init(&c, ctx);
	put(RES_REMOVE_ONLY, bpf_csum_diff(words, sizeof(words), 0, 0, 0));
	put(RES_SEEDED, bpf_csum_diff(0, 0, words, sizeof(words), 0x12345678));
	put(RES_ODD_SIZE, bpf_csum_diff(words, 3, words, 4, 0));
	put(RES_EMPTY, bpf_csum_diff(0, 0, 0, 0, 0xdeadbeef));
	if (c.pos + sizeof(struct ethhdr) + 64 <= c.end)
		put(RES_PAYLOAD_SUM, bpf_csum_diff(0, 0, c.pos + sizeof(struct ethhdr), 64, 0));

	if (parse_eth(&c, &eth, &vid) != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = c.pos;
	if ((void *)(ip + 1) > c.end)
		return XDP_DROP;
	sum = bpf_csum_diff(0, 0, (__be32 *)ip, sizeof(*ip), 0);
	fold = csum_fold16((__u32)sum);
	put(RES_HEADER_SUM, sum);
	put(RES_HEADER_FOLD, fold);
	put(RES_ADDR_SWAP, bpf_csum_diff(&ip->saddr, 4, &ip->daddr, 4, 0));
	/* A header with options is summed only over its first 20 bytes here: verify just those. */
	if (ip->ihl != 5)
		return XDP_PASS;
	return fold == 0xffff ? XDP_PASS : XDP_DROP;
}

XDPCHAIN_LICENSE;
