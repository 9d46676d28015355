/*
 * The smallest possible XDP program: it hands every frame to the stack unchanged.
 * Used as a building block for chain calls, dispatchers and tail calls, where each component's
 * verdict must be visible on its own.
 */
#include "xdpchain/common.h"

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

XDPCHAIN_LICENSE;
