import type { HelperSpec } from '../vm/helper.js';
import { DEFAULT_MTU, type Routing } from '../xdp/routing.js';

/** What bpf_fib_lookup needs of the network namespace. */
export interface FibNetwork {
  readonly routing: Routing;
  /** MTU and MAC of a device, or undefined when no such ifindex exists. */
  device(ifindex: number): { mtu: number; mac: Uint8Array } | undefined;
}

/** Return codes (BPF_FIB_LKUP_RET_*). */
export const FibResult = {
  SUCCESS: 0,
  BLACKHOLE: 1,
  UNREACHABLE: 2,
  PROHIBIT: 3,
  NOT_FWDED: 4,
  FWD_DISABLED: 5,
  UNSUPP_LWT: 6,
  NO_NEIGH: 7,
  FRAG_NEEDED: 8,
} as const;

/** Offsets in struct bpf_fib_lookup (64 bytes). */
const F = { family: 0, totLen: 6, ifindex: 8, rtMetric: 12, src: 16, dst: 32, vlanProto: 48, vlanTci: 50, smac: 52, dmac: 58, size: 64 } as const;
const AF_INET = 2;
const AF_INET6 = 10;
const FLAG_SKIP_NEIGH = 4;
const KNOWN_FLAGS = 0x3f;
const EINVAL = -22;
const ENODEV = -19;
const EAFNOSUPPORT = -97;

/**
 * bpf_fib_lookup for XDP, following the kernel's order of checks: the ingress device must
 * exist and forward, the route decides blackhole/unreachable/prohibit/not-forwarded, the
 * egress MTU is checked against tot_len, the egress device and metric are written before the
 * neighbour lookup, and success fills the MACs, clears the VLAN fields and reports the MTU.
 */
export function fibHelper(net: FibNetwork): HelperSpec {
  // The destination, copied out of the struct: no new view per call, and the gateway may overwrite it there.
  const dst4 = new Uint8Array(4);
  const dst6 = new Uint8Array(16);
  return {
    id: 69,
    name: 'bpf_fib_lookup',
    fn: (c) => {
      const plen = c.lo(3);
      const flags = c.lo(4);
      if (plen < F.size || flags & ~KNOWN_FLAGS) return EINVAL;
      const base = c.space.check(c.addr(2), F.size, true);
      const u8 = c.space.u8;
      const dv = c.space.dv;
      const family = u8[base + F.family];
      if (family !== AF_INET && family !== AF_INET6) return EAFNOSUPPORT;
      const v4 = family === AF_INET;
      const ingress = dv.getUint32(base + F.ifindex, true);
      if (!net.device(ingress)) return ENODEV;
      if (v4 ? !net.routing.forwards4(ingress) : !net.routing.forwarding6) return FibResult.FWD_DISABLED;

      const dst = v4 ? dst4 : dst6;
      for (let i = 0; i < dst.length; i++) dst[i] = u8[base + F.dst + i];
      const route = net.routing.lookup(dst);
      if (!route) return FibResult.NOT_FWDED;
      switch (route.type) {
        case 'blackhole':
          return FibResult.BLACKHOLE;
        case 'unreachable':
          return FibResult.UNREACHABLE;
        case 'prohibit':
          return FibResult.PROHIBIT;
        case 'local':
          return FibResult.NOT_FWDED;
      }
      const egress = route.ifindex === undefined ? undefined : net.device(route.ifindex);
      if (!egress) return FibResult.NOT_FWDED;
      const mtu = route.mtu ?? egress.mtu ?? DEFAULT_MTU;
      if (dv.getUint16(base + F.totLen, true) > mtu) {
        dv.setUint16(base + F.totLen, mtu, true);
        return FibResult.FRAG_NEEDED;
      }
      dv.setUint32(base + F.rtMetric, route.metric, true);
      dv.setUint32(base + F.ifindex, route.ifindex!, true);
      if (route.gateway) u8.set(route.gateway, base + F.dst);
      if (!(flags & FLAG_SKIP_NEIGH)) {
        const mac = net.routing.neighbour(route.ifindex!, route.gateway ?? dst);
        if (!mac) return FibResult.NO_NEIGH;
        u8.set(mac, base + F.dmac);
        u8.set(egress.mac, base + F.smac);
      }
      dv.setUint16(base + F.vlanProto, 0, true);
      dv.setUint16(base + F.vlanTci, 0, true);
      dv.setUint16(base + F.totLen, mtu, true);
      return FibResult.SUCCESS;
    },
  };
}
