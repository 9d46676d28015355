import { XdpchainError } from '../errors/index.js';
import { parseIpv4, parseIpv6, parseMac } from '../packet/bytes.js';

/** Route types bpf_fib_lookup distinguishes (rtnetlink RTN_*). */
export type RouteType = 'unicast' | 'local' | 'blackhole' | 'unreachable' | 'prohibit';

export interface Route {
  family: 4 | 6;
  prefix: Uint8Array;
  prefixLength: number;
  type: RouteType;
  gateway?: Uint8Array;
  ifindex?: number;
  mtu?: number;
  metric: number;
}

export const DEFAULT_MTU = 1500;

/** Routing state as plain JSON (for the state directory). */
export interface RoutingState {
  routes: { family: 4 | 6; prefix: string; prefixLength: number; type: RouteType; gateway?: string; ifindex?: number; mtu?: number; metric: number }[];
  neighbours: { key: string; mac: string }[];
  forwarding4: number[];
  forwardingAll4: boolean;
  forwarding6: boolean;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

/** Parse an IPv4 dotted quad or an IPv6 address into network-order bytes. */
export function parseIp(text: string): Uint8Array {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

function parsePrefix(text: string): { family: 4 | 6; prefix: Uint8Array; prefixLength: number } {
  if (text === 'default') return { family: 4, prefix: new Uint8Array(4), prefixLength: 0 };
  const [addr, len] = text.split('/');
  const prefix = parseIp(addr);
  const max = prefix.length * 8;
  const prefixLength = len === undefined ? max : Number(len);
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > max) throw new XdpchainError('EINVAL', `invalid prefix length in "${text}"`);
  return { family: prefix.length === 4 ? 4 : 6, prefix: maskPrefix(prefix, prefixLength), prefixLength };
}

function maskPrefix(addr: Uint8Array, bits: number): Uint8Array {
  const out = Uint8Array.from(addr);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    out[i] &= (0xff << (8 - keep)) & 0xff;
  }
  return out;
}

/** Whether `addr` is in the route's prefix (compared in place: lookups run per packet). */
function matches(route: Route, addr: Uint8Array): boolean {
  const bits = route.prefixLength;
  const whole = bits >>> 3;
  for (let i = 0; i < whole; i++) if (addr[i] !== route.prefix[i]) return false;
  const rest = bits & 7;
  return rest === 0 || ((addr[whole] ^ route.prefix[whole]) & (0xff << (8 - rest)) & 0xff) === 0;
}

/** A neighbour's key, `ifindex/b0.b1.…` (kept in saved state). */
function key(ifindex: number, addr: Uint8Array): string {
  let k = `${ifindex}/${addr[0]}`;
  for (let i = 1; i < addr.length; i++) k += `.${addr[i]}`;
  return k;
}

/**
 * A network namespace's routing state as bpf_fib_lookup sees it: addresses (which add
 * connected and local routes, as the kernel does), routes, neighbours, MTUs, MACs and the
 * forwarding switches.
 */
export class Routing {
  readonly routes: Route[] = [];
  private readonly neighbours = new Map<string, Uint8Array>();
  private readonly forwarding4 = new Set<number>();
  forwardingAll4 = false;
  /** IPv6 forwarding follows net.ipv6.conf.all.forwarding. */
  forwarding6 = false;

  /** `ip addr add CIDR dev IFINDEX`: the connected prefix and the local address become routes. */
  addAddress(ifindex: number, cidr: string): void {
    const { family, prefixLength } = parsePrefix(cidr);
    const addr = parseIp(cidr.split('/')[0]);
    this.routes.push({ family, prefix: maskPrefix(addr, prefixLength), prefixLength, type: 'unicast', ifindex, metric: 0 });
    this.routes.push({ family, prefix: addr, prefixLength: addr.length * 8, type: 'local', ifindex, metric: 0 });
  }

  /**
   * `ip route add` syntax: `[unicast|local|blackhole|unreachable|prohibit] PREFIX [via GW]
   * [dev NAME] [mtu N] [metric N]`; `dev` names resolve through `ifindexOf`.
   */
  addRoute(text: string, ifindexOf: (name: string) => number): Route {
    const words = text.trim().split(/\s+/);
    let type: RouteType = 'unicast';
    if (['unicast', 'local', 'blackhole', 'unreachable', 'prohibit'].includes(words[0])) type = words.shift() as RouteType;
    const target = words.shift();
    if (!target) throw new XdpchainError('EINVAL', `route "${text}" has no destination`);
    const { family, prefix, prefixLength } = parsePrefix(target);
    const route: Route = { family, prefix, prefixLength, type, metric: 0 };
    while (words.length > 0) {
      const k = words.shift()!;
      const v = words.shift();
      if (v === undefined) throw new XdpchainError('EINVAL', `route "${text}": "${k}" needs a value`);
      if (k === 'via') route.gateway = parseIp(v);
      else if (k === 'dev') route.ifindex = ifindexOf(v);
      else if (k === 'mtu') route.mtu = Number(v);
      else if (k === 'metric') route.metric = Number(v);
      else throw new XdpchainError('EINVAL', `route "${text}": unknown keyword "${k}"`);
    }
    if (route.type === 'unicast' && route.ifindex === undefined) {
      const via = route.gateway && this.connectedRoute(route.gateway);
      if (!via) throw new XdpchainError('EINVAL', `route "${text}" needs "dev" or a gateway on a connected network`);
      route.ifindex = via.ifindex;
    }
    this.routes.push(route);
    return route;
  }

  private connectedRoute(addr: Uint8Array): Route | undefined {
    return this.routes.find((r) => r.type === 'unicast' && !r.gateway && r.prefix.length === addr.length && matches(r, addr));
  }

  addNeighbour(ifindex: number, address: string, mac: string): void {
    this.neighbours.set(key(ifindex, parseIp(address)), parseMac(mac));
  }

  neighbour(ifindex: number, addr: Uint8Array): Uint8Array | undefined {
    return this.neighbours.get(key(ifindex, addr));
  }

  /** `sysctl net.ipv4.conf.DEV.forwarding` for one device, or every device with `all`. */
  setForwarding4(ifindex: number | 'all', on: boolean): void {
    if (ifindex === 'all') this.forwardingAll4 = on;
    else if (on) this.forwarding4.add(ifindex);
    else this.forwarding4.delete(ifindex);
  }

  forwards4(ifindex: number): boolean {
    return this.forwardingAll4 || this.forwarding4.has(ifindex);
  }

  /** Longest prefix wins; local routes first (the kernel consults the local table first), then lowest metric. */
  lookup(addr: Uint8Array): Route | undefined {
    const family = addr.length === 4 ? 4 : 6;
    let best: Route | undefined;
    for (const r of this.routes) {
      if (r.family !== family || !matches(r, addr)) continue;
      if (!best) best = r;
      else if (r.type === 'local' && best.type !== 'local') best = r;
      else if (best.type === 'local' && r.type !== 'local') continue;
      else if (r.prefixLength > best.prefixLength || (r.prefixLength === best.prefixLength && r.metric < best.metric)) best = r;
    }
    return best;
  }

  toJSON(): RoutingState {
    return {
      routes: this.routes.map((r) => ({
        family: r.family,
        prefix: hex(r.prefix),
        prefixLength: r.prefixLength,
        type: r.type,
        metric: r.metric,
        ...(r.gateway ? { gateway: hex(r.gateway) } : {}),
        ...(r.ifindex !== undefined ? { ifindex: r.ifindex } : {}),
        ...(r.mtu !== undefined ? { mtu: r.mtu } : {}),
      })),
      neighbours: [...this.neighbours].map(([key, mac]) => ({ key, mac: hex(mac) })),
      forwarding4: [...this.forwarding4],
      forwardingAll4: this.forwardingAll4,
      forwarding6: this.forwarding6,
    };
  }

  static fromJSON(s: RoutingState): Routing {
    const r = new Routing();
    for (const x of s.routes) {
      const route: Route = { family: x.family, prefix: unhex(x.prefix), prefixLength: x.prefixLength, type: x.type, metric: x.metric };
      if (x.gateway) route.gateway = unhex(x.gateway);
      if (x.ifindex !== undefined) route.ifindex = x.ifindex;
      if (x.mtu !== undefined) route.mtu = x.mtu;
      r.routes.push(route);
    }
    for (const n of s.neighbours) r.neighbours.set(n.key, unhex(n.mac));
    for (const i of s.forwarding4) r.forwarding4.add(i);
    r.forwardingAll4 = s.forwardingAll4;
    r.forwarding6 = s.forwarding6;
    return r;
  }

  /** Apply the sysctl names a scenario or user gives (`net.ipv4.conf.all.forwarding` and the like). */
  applySysctl(name: string, value: string, ifindexOf: (name: string) => number): void {
    const on = value.trim() === '1';
    const m = /^net\.ipv([46])\.conf\.([^.]+)\.forwarding$/.exec(name);
    if (!m) throw new XdpchainError('EINVAL', `unsupported sysctl ${name} (only net.ipv4/ipv6.conf.*.forwarding)`);
    if (m[1] === '6') {
      if (m[2] === 'all') this.forwarding6 = on;
      return;
    }
    this.setForwarding4(m[2] === 'all' ? 'all' : ifindexOf(m[2]), on);
  }
}
