/*
 * The smallest possible XDP program: it discards every frame.
 * Used as a building block for chain calls, dispatchers and tail calls, where each component's
 * verdict must be visible on its own.
 */
#include "xdpchain/common.h"

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

XDPCHAIN_LICENSE;
