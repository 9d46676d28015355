/*
 * What `chain add xdp_ttl_guard XDP_PASS xdp_port_acl` means, as one program the kernel can run:
 * the TTL step, and on XDP_PASS the port ACL; any other verdict ends there. The chain-call tests
 * compare xdpchain's chain of the two components with the kernel running this.
 */
#include "xdpchain/ttl_guard.h"
#include "xdpchain/port_acl.h"

SEC("xdp")
int xdp_ttl_then_acl(struct xdp_md *ctx)
{
	int ret = ttl_guard(ctx);

	if (ret != XDP_PASS)
		return ret;
	return port_acl(ctx);
}

XDPCHAIN_LICENSE;
