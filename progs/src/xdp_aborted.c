/*
 * The smallest possible XDP program: it reports every frame as a program error (XDP_ABORTED, 0).
 * Used as a building block for chain calls, dispatchers and tail calls, where each component's
 * verdict must be visible on its own.
 */
#include "xdpchain/common.h"

SEC("xdp")
int xdp_aborted(struct xdp_md *ctx)
{
	return XDP_ABORTED;
}

XDPCHAIN_LICENSE;
