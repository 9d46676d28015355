/* Shared includes and small helpers for xdpchain's own XDP programs. */
#ifndef XDPCHAIN_COMMON_H
#define XDPCHAIN_COMMON_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* The kernel accepts "Dual MIT/GPL" as GPL-compatible, which gpl_only helpers require. */
#define XDPCHAIN_LICENSE char LICENSE[] SEC("license") = "Dual MIT/GPL"

/* One 802.1Q / 802.1ad tag as it follows the MAC addresses. */
struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

/*
 * ICMP and ICMPv6 echo request/reply share this layout. (<linux/icmp.h> pulls in libc socket
 * headers that the BPF target cannot compile, so the few fields needed are declared here.)
 */
struct icmp_echo {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 id;
	__be16 sequence;
};

#define ICMP_ECHOREPLY 0
#define ICMP_ECHO 8
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129

#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

/* Fold a 32-bit (or 64-bit) ones' complement sum into 16 bits, not inverted. */
static __always_inline __u16 csum_fold16(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)((sum & 0xffff) + (sum >> 16));
}

/*
 * Update a stored checksum (in packet byte order) after data covered by it changed:
 * `diff` is what bpf_csum_diff returned for old -> new.
 */
static __always_inline __u16 csum_replace(__u16 check, __s64 diff)
{
	__u64 sum = (__u16)~check;
	sum += (__u32)diff;
	return (__u16)~csum_fold16(sum);
}

#endif
