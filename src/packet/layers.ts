/**
 * Typed protocol layers for building test frames. A frame is a list of layers, outermost first;
 * fields a layer can derive (next-protocol numbers, lengths, checksums) are filled in by
 * `buildFrame` unless given, and giving them is how a test builds a malformed frame.
 */

export const EtherType = {
  IPv4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  QinQ: 0x88a8,
  IPv6: 0x86dd,
  /** Transparent Ethernet bridging: Ethernet inside GRE. */
  TEB: 0x6558,
} as const;

export const IpProto = {
  HopByHop: 0,
  ICMP: 1,
  IPIP: 4,
  TCP: 6,
  UDP: 17,
  IPv6: 41,
  Routing: 43,
  Fragment: 44,
  GRE: 47,
  ICMPv6: 58,
  NoNext: 59,
  DestOptions: 60,
} as const;

export const VXLAN_PORT = 4789;

export interface EthernetLayer {
  kind: 'ethernet';
  dst: string;
  src: string;
  /** Default: derived from the next layer. */
  etherType?: number;
}

/** One 802.1Q/802.1ad tag. Its TPID is written by the layer before it (Ethernet or an outer tag). */
export interface VlanLayer {
  kind: 'vlan';
  vid: number;
  pcp?: number;
  dei?: boolean;
  /** The TPID announcing this tag: 0x8100 (default) or 0x88a8 for a QinQ outer tag. */
  tpid?: number;
  etherType?: number;
}

export interface ArpLayer {
  kind: 'arp';
  /** 1 request, 2 reply. */
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

export interface Ipv4Layer {
  kind: 'ipv4';
  src: string;
  dst: string;
  ttl?: number;
  tos?: number;
  id?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** In 8-byte units. */
  fragmentOffset?: number;
  /** Raw option bytes; padded with zeros (End of Options List) to a multiple of 4. */
  options?: Uint8Array;
  protocol?: number;
  /** Overrides for malformed frames. */
  ihl?: number;
  totalLength?: number;
  checksum?: number;
}

export interface Ipv6Layer {
  kind: 'ipv6';
  src: string;
  dst: string;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  nextHeader?: number;
  payloadLength?: number;
}

/** A hop-by-hop, routing (type 0, no addresses) or destination-options header padded to 8 bytes. */
export interface Ipv6ExtensionLayer {
  kind: 'ipv6-ext';
  type: 'hop-by-hop' | 'routing' | 'destination';
  nextHeader?: number;
}

export interface UdpLayer {
  kind: 'udp';
  srcPort: number;
  dstPort: number;
  /** A number overrides; `none` sends 0 (allowed for UDP over IPv4 only). */
  checksum?: number | 'none';
  length?: number;
}

export type TcpFlag = 'fin' | 'syn' | 'rst' | 'psh' | 'ack' | 'urg' | 'ece' | 'cwr';

export type TcpOption =
  | { kind: 'mss'; value: number }
  | { kind: 'window-scale'; shift: number }
  | { kind: 'sack-permitted' }
  | { kind: 'timestamps'; value: number; echo: number }
  | { kind: 'nop' };

export interface TcpLayer {
  kind: 'tcp';
  srcPort: number;
  dstPort: number;
  seq?: number;
  ack?: number;
  flags?: TcpFlag[];
  window?: number;
  urgent?: number;
  /** Encoded in order, then padded with End of Options to a multiple of 4. */
  options?: TcpOption[];
  checksum?: number;
}

export interface IcmpEchoLayer {
  kind: 'icmp-echo';
  type: 'request' | 'reply';
  id: number;
  sequence: number;
  checksum?: number;
}

export interface Icmpv6EchoLayer {
  kind: 'icmpv6-echo';
  type: 'request' | 'reply';
  id: number;
  sequence: number;
  checksum?: number;
}

/** GRE (RFC 2784/2890): optional checksum and key. */
export interface GreLayer {
  kind: 'gre';
  protocol?: number;
  key?: number;
  withChecksum?: boolean;
}

/** VXLAN header (RFC 7348); goes after a UDP layer, before the inner Ethernet. */
export interface VxlanLayer {
  kind: 'vxlan';
  vni: number;
}

export interface PayloadLayer {
  kind: 'payload';
  bytes: Uint8Array;
}

export type Layer =
  | EthernetLayer
  | VlanLayer
  | ArpLayer
  | Ipv4Layer
  | Ipv6Layer
  | Ipv6ExtensionLayer
  | UdpLayer
  | TcpLayer
  | IcmpEchoLayer
  | Icmpv6EchoLayer
  | GreLayer
  | VxlanLayer
  | PayloadLayer;

/** A deterministic payload: byte i is (seed + i) & 0xff. */
export function patternPayload(length: number, seed = 0): PayloadLayer {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (seed + i) & 0xff;
  return { kind: 'payload', bytes };
}
