import { XdpchainError } from '../errors/index.js';
import { concat, parseIpv4, parseIpv6, parseMac } from './bytes.js';
import { internetChecksum, ipv4PseudoSum, ipv6PseudoSum } from './checksum.js';
import { EtherType, IpProto, type Ipv4Layer, type Ipv6Layer, type Layer, type TcpFlag, type TcpOption } from './layers.js';

export interface BuildOptions {
  /** Append zero bytes after the last layer until the frame has this length (Ethernet padding). */
  padTo?: number;
}

/**
 * Serialise layers (outermost first) into a frame. Each layer is encoded around the already
 * encoded bytes of the layers after it, so lengths and checksums cover exactly what follows.
 */
export function buildFrame(layers: readonly Layer[], options: BuildOptions = {}): Uint8Array {
  let inner: Uint8Array = new Uint8Array(0);
  for (let i = layers.length - 1; i >= 0; i--) {
    inner = encodeLayer(layers, i, inner);
  }
  if (options.padTo !== undefined && inner.length < options.padTo) {
    const padded = new Uint8Array(options.padTo);
    padded.set(inner);
    inner = padded;
  }
  return inner;
}

const TCP_FLAG_BITS: Record<TcpFlag, number> = {
  fin: 0x01,
  syn: 0x02,
  rst: 0x04,
  psh: 0x08,
  ack: 0x10,
  urg: 0x20,
  ece: 0x40,
  cwr: 0x80,
};

function fail(layers: readonly Layer[], i: number, message: string): never {
  throw new XdpchainError('EINVAL', `packet layer ${i} (${layers[i].kind}): ${message}`);
}

/** EtherType announcing `next`, for Ethernet, VLAN and GRE. */
function etherTypeFor(layers: readonly Layer[], i: number): number {
  const next = layers[i + 1];
  switch (next?.kind) {
    case 'vlan':
      return next.tpid ?? EtherType.VLAN;
    case 'ipv4':
      return EtherType.IPv4;
    case 'ipv6':
      return EtherType.IPv6;
    case 'arp':
      return EtherType.ARP;
    case 'ethernet':
      return EtherType.TEB;
    default:
      return fail(layers, i, `give etherType: it cannot be derived from ${next ? next.kind : 'nothing'}`);
  }
}

/** IP protocol / IPv6 next-header number announcing `next`. */
function ipProtocolFor(layers: readonly Layer[], i: number): number {
  const next = layers[i + 1];
  switch (next?.kind) {
    case 'ipv4':
      return IpProto.IPIP;
    case 'ipv6':
      return IpProto.IPv6;
    case 'udp':
      return IpProto.UDP;
    case 'tcp':
      return IpProto.TCP;
    case 'icmp-echo':
      return IpProto.ICMP;
    case 'icmpv6-echo':
      return IpProto.ICMPv6;
    case 'gre':
      return IpProto.GRE;
    case 'ipv6-ext':
      return { 'hop-by-hop': IpProto.HopByHop, routing: IpProto.Routing, destination: IpProto.DestOptions }[next.type];
    case undefined:
      return IpProto.NoNext;
    default:
      return fail(layers, i, `give the protocol: it cannot be derived from ${next.kind}`);
  }
}

/** The IP layer whose pseudo header covers layer i (skipping IPv6 extension headers). */
function enclosingIp(layers: readonly Layer[], i: number): Ipv4Layer | Ipv6Layer {
  for (let j = i - 1; j >= 0; j--) {
    const l = layers[j];
    if (l.kind === 'ipv4' || l.kind === 'ipv6') return l;
    if (l.kind !== 'ipv6-ext') break;
  }
  return fail(layers, i, 'needs an IPv4 or IPv6 layer right before it for its checksum');
}

function pseudoSum(ip: Ipv4Layer | Ipv6Layer, protocol: number, length: number): number {
  return ip.kind === 'ipv4'
    ? ipv4PseudoSum(parseIpv4(ip.src), parseIpv4(ip.dst), protocol, length)
    : ipv6PseudoSum(parseIpv6(ip.src), parseIpv6(ip.dst), protocol, length);
}

function u16(view: DataView, at: number, value: number): void {
  view.setUint16(at, value & 0xffff);
}

function encodeTcpOptions(options: readonly TcpOption[]): Uint8Array {
  const out: number[] = [];
  for (const o of options) {
    switch (o.kind) {
      case 'nop':
        out.push(1);
        break;
      case 'mss':
        out.push(2, 4, (o.value >> 8) & 0xff, o.value & 0xff);
        break;
      case 'window-scale':
        out.push(3, 3, o.shift);
        break;
      case 'sack-permitted':
        out.push(4, 2);
        break;
      case 'timestamps': {
        const b = new Uint8Array(10);
        const v = new DataView(b.buffer);
        b[0] = 8;
        b[1] = 10;
        v.setUint32(2, o.value >>> 0);
        v.setUint32(6, o.echo >>> 0);
        out.push(...b);
        break;
      }
    }
  }
  while (out.length % 4 !== 0) out.push(0);
  return new Uint8Array(out);
}

function encodeLayer(layers: readonly Layer[], i: number, inner: Uint8Array): Uint8Array {
  const l = layers[i];
  switch (l.kind) {
    case 'ethernet': {
      const h = new Uint8Array(14);
      h.set(parseMac(l.dst), 0);
      h.set(parseMac(l.src), 6);
      u16(new DataView(h.buffer), 12, l.etherType ?? etherTypeFor(layers, i));
      return concat([h, inner]);
    }
    case 'vlan': {
      if (i === 0) fail(layers, i, 'a VLAN tag needs an Ethernet header before it');
      const h = new Uint8Array(4);
      const v = new DataView(h.buffer);
      if (l.vid < 0 || l.vid > 0xfff) fail(layers, i, `VLAN id ${l.vid} is not 0..4095`);
      u16(v, 0, ((l.pcp ?? 0) << 13) | (l.dei ? 0x1000 : 0) | l.vid);
      u16(v, 2, l.etherType ?? etherTypeFor(layers, i));
      return concat([h, inner]);
    }
    case 'arp': {
      const h = new Uint8Array(28);
      const v = new DataView(h.buffer);
      u16(v, 0, 1); // Ethernet
      u16(v, 2, EtherType.IPv4);
      h[4] = 6;
      h[5] = 4;
      u16(v, 6, l.op);
      h.set(parseMac(l.senderMac), 8);
      h.set(parseIpv4(l.senderIp), 14);
      h.set(parseMac(l.targetMac), 18);
      h.set(parseIpv4(l.targetIp), 24);
      return concat([h, inner]);
    }
    case 'ipv4': {
      const opts = l.options ?? new Uint8Array(0);
      const optLen = Math.ceil(opts.length / 4) * 4;
      if (optLen > 40) fail(layers, i, `options are ${opts.length} bytes, at most 40 fit`);
      const h = new Uint8Array(20 + optLen);
      const v = new DataView(h.buffer);
      h[0] = 0x40 | ((l.ihl ?? h.length / 4) & 0x0f);
      h[1] = l.tos ?? 0;
      u16(v, 2, l.totalLength ?? h.length + inner.length);
      u16(v, 4, l.id ?? 0);
      u16(v, 6, (l.dontFragment ? 0x4000 : 0) | (l.moreFragments ? 0x2000 : 0) | ((l.fragmentOffset ?? 0) & 0x1fff));
      h[8] = l.ttl ?? 64;
      h[9] = l.protocol ?? ipProtocolFor(layers, i);
      h.set(parseIpv4(l.src), 12);
      h.set(parseIpv4(l.dst), 16);
      h.set(opts, 20);
      u16(v, 10, l.checksum ?? internetChecksum(h));
      return concat([h, inner]);
    }
    case 'ipv6': {
      const h = new Uint8Array(40);
      const v = new DataView(h.buffer);
      v.setUint32(0, ((6 << 28) | ((l.trafficClass ?? 0) << 20) | ((l.flowLabel ?? 0) & 0xfffff)) >>> 0);
      u16(v, 4, l.payloadLength ?? inner.length);
      h[6] = l.nextHeader ?? ipProtocolFor(layers, i);
      h[7] = l.hopLimit ?? 64;
      h.set(parseIpv6(l.src), 8);
      h.set(parseIpv6(l.dst), 24);
      return concat([h, inner]);
    }
    case 'ipv6-ext': {
      // 8 bytes: next header, length 0 (= 8 bytes), then a PadN option filling the rest
      // (for routing: type 0, segments left 0, reserved).
      const h = new Uint8Array(8);
      h[0] = l.nextHeader ?? ipProtocolFor(layers, i);
      h[1] = 0;
      if (l.type !== 'routing') {
        h[2] = 1; // PadN
        h[3] = 4;
      }
      return concat([h, inner]);
    }
    case 'udp': {
      const h = new Uint8Array(8);
      const v = new DataView(h.buffer);
      const length = l.length ?? 8 + inner.length;
      u16(v, 0, l.srcPort);
      u16(v, 2, l.dstPort);
      u16(v, 4, length);
      const seg = concat([h, inner]);
      let check: number;
      if (l.checksum === 'none') {
        check = 0;
      } else if (l.checksum !== undefined) {
        check = l.checksum;
      } else {
        check = internetChecksum(seg, pseudoSum(enclosingIp(layers, i), IpProto.UDP, seg.length));
        if (check === 0) check = 0xffff; // 0 means "no checksum" for UDP
      }
      u16(new DataView(seg.buffer), 6, check);
      return seg;
    }
    case 'tcp': {
      const opts = encodeTcpOptions(l.options ?? []);
      if (opts.length > 40) fail(layers, i, `options are ${opts.length} bytes, at most 40 fit`);
      const h = new Uint8Array(20 + opts.length);
      const v = new DataView(h.buffer);
      u16(v, 0, l.srcPort);
      u16(v, 2, l.dstPort);
      v.setUint32(4, (l.seq ?? 0) >>> 0);
      v.setUint32(8, (l.ack ?? 0) >>> 0);
      h[12] = (h.length / 4) << 4;
      h[13] = (l.flags ?? []).reduce((bits, f) => bits | TCP_FLAG_BITS[f], 0);
      u16(v, 14, l.window ?? 65535);
      u16(v, 18, l.urgent ?? 0);
      h.set(opts, 20);
      const seg = concat([h, inner]);
      const check = l.checksum ?? internetChecksum(seg, pseudoSum(enclosingIp(layers, i), IpProto.TCP, seg.length));
      u16(new DataView(seg.buffer), 16, check);
      return seg;
    }
    case 'icmp-echo':
    case 'icmpv6-echo': {
      const v6 = l.kind === 'icmpv6-echo';
      const h = new Uint8Array(8);
      const v = new DataView(h.buffer);
      h[0] = v6 ? (l.type === 'request' ? 128 : 129) : l.type === 'request' ? 8 : 0;
      u16(v, 4, l.id);
      u16(v, 6, l.sequence);
      const seg = concat([h, inner]);
      const sum = v6 ? pseudoSum(enclosingIp(layers, i), IpProto.ICMPv6, seg.length) : 0;
      u16(new DataView(seg.buffer), 2, l.checksum ?? internetChecksum(seg, sum));
      return seg;
    }
    case 'gre': {
      const h = new Uint8Array(4 + (l.withChecksum ? 4 : 0) + (l.key !== undefined ? 4 : 0));
      const v = new DataView(h.buffer);
      u16(v, 0, (l.withChecksum ? 0x8000 : 0) | (l.key !== undefined ? 0x2000 : 0));
      u16(v, 2, l.protocol ?? etherTypeFor(layers, i));
      if (l.key !== undefined) v.setUint32(l.withChecksum ? 8 : 4, l.key >>> 0);
      const seg = concat([h, inner]);
      if (l.withChecksum) u16(new DataView(seg.buffer), 4, internetChecksum(seg));
      return seg;
    }
    case 'vxlan': {
      const h = new Uint8Array(8);
      const v = new DataView(h.buffer);
      h[0] = 0x08; // I flag: the VNI is valid
      v.setUint32(4, ((l.vni & 0xffffff) << 8) >>> 0);
      return concat([h, inner]);
    }
    case 'payload':
      return concat([l.bytes, inner]);
  }
}
