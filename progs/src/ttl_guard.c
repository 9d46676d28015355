/* Chain component 1: the router's TTL step (see xdpchain/ttl_guard.h). */
#include "xdpchain/ttl_guard.h"

SEC("xdp")
int xdp_ttl_guard(struct xdp_md *ctx)
{
	return ttl_guard(ctx);
}

XDPCHAIN_LICENSE;
