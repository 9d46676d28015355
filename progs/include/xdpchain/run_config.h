/*
 * libxdp's XDP_RUN_CONFIG: a variable `_<prog>` in section .xdp_run_config whose members encode
 * the dispatcher priority and the actions that continue the chain as array sizes (the BTF shape
 * libxdp reads). libxdp's headers are not installed here, so the macro is defined the same way.
 */
#ifndef XDPCHAIN_RUN_CONFIG_H
#define XDPCHAIN_RUN_CONFIG_H
#define XDPCHAIN_CONCAT(a, b) a##b
#define XDP_RUN_CONFIG(f) XDPCHAIN_CONCAT(_, f) SEC(".xdp_run_config")
#endif
