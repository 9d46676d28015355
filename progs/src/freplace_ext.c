/*
 * Replacements for freplace_target's functions: one that fits `classify`, one whose prototype
 * does not, one aimed at the static `static_step`. Only the first may be attached.
 */
#include "xdpchain/common.h"

SEC("freplace/classify")
int classify_tx(struct xdp_md *ctx)
{
	return XDP_TX;
}

SEC("freplace/classify")
int classify_two_args(struct xdp_md *ctx, int extra)
{
	return extra ? XDP_DROP : XDP_PASS;
}

SEC("freplace/static_step")
int replace_static(struct xdp_md *ctx)
{
	return XDP_DROP;
}

XDPCHAIN_LICENSE;
