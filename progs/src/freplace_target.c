/*
 * A program built to be extended with freplace: the verdict comes from the global function
 * `classify`, which a replacement program may take over; `static_step` is static and so cannot be.
 */
#include "xdpchain/common.h"

__attribute__((noinline)) int classify(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	return data + 60 <= end ? XDP_PASS : XDP_DROP;
}

static __attribute__((noinline)) int static_step(struct xdp_md *ctx)
{
	return ctx->ingress_ifindex ? XDP_PASS : XDP_ABORTED;
}

SEC("xdp")
int xdp_freplace_target(struct xdp_md *ctx)
{
	int ret = classify(ctx);

	if (ret == XDP_PASS)
		ret = static_step(ctx);
	return ret;
}

XDPCHAIN_LICENSE;
