/* Chain component 2: the port ACL (see xdpchain/port_acl.h). */
#include "xdpchain/port_acl.h"

SEC("xdp")
int xdp_port_acl(struct xdp_md *ctx)
{
	return port_acl(ctx);
}

XDPCHAIN_LICENSE;
