/*
 * bpf_trace_printk (and bpf_trace_vprintk for more than three arguments): debug output to the
 * kernel's trace pipe.
 *
 * The helpers return the length of the formatted message, which is deterministic for a given
 * frame, so the program keeps every return value in .bss. One call uses a conversion the helper
 * does not support and must be refused (-EINVAL) without printing. The frame passes when every
 * valid call succeeded.
 */
#include "xdpchain/parse.h"

__s64 ret_plain;
__s64 ret_numbers;
__s64 ret_address;
__s64 ret_many;
__s64 ret_bad_format;

SEC("xdp")
int xdp_trace_printk(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;
	struct cursor c;
	struct ethhdr *eth;
	struct iphdr *ip;
	__be32 saddr = 0;
	__u16 vid;
	int proto;

	cursor_init(&c, ctx);
	proto = parse_eth(&c, &eth, &vid);
	if (proto == bpf_htons(ETH_P_IP) && parse_ipv4(&c, &ip) >= 0)
		saddr = ip->saddr;

	{
		static const char fmt[] = "xdpchain: frame";
		ret_plain = bpf_trace_printk(fmt, sizeof(fmt));
	}
	{
		static const char fmt[] = "xdpchain: len=%u proto=0x%x vid=%d";
		ret_numbers = bpf_trace_printk(fmt, sizeof(fmt), len, (__u16)bpf_ntohs((__u16)proto), vid);
	}
	{
		static const char fmt[] = "xdpchain: src %pI4";
		ret_address = bpf_trace_printk(fmt, sizeof(fmt), &saddr);
	}
	ret_many = bpf_printk("xdpchain: %u %u %u %u %llx", len, len + 1, len + 2, len + 3,
			      0x1122334455667788ULL);
	{
		static const char fmt[] = "xdpchain: %k";
		ret_bad_format = bpf_trace_printk(fmt, sizeof(fmt), len);
	}
	return ret_plain > 0 && ret_numbers > 0 && ret_address > 0 && ret_many > 0 ? XDP_PASS
										     : XDP_DROP;
}

XDPCHAIN_LICENSE;
