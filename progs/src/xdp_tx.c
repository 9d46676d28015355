/*
 * The smallest possible XDP program: it bounces every frame back out of the device it came in on, unchanged.
 * Used as a building block for chain calls, dispatchers and tail calls, where each component's
 * verdict must be visible on its own.
 */
#include "xdpchain/common.h"

SEC("xdp")
int xdp_tx(struct xdp_md *ctx)
{
	return XDP_TX;
}

XDPCHAIN_LICENSE;
