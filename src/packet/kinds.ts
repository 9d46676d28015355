import { XdpchainError } from '../errors/index.js';
import { buildFrame } from './build.js';
import { type Layer, type TcpOption, patternPayload, VXLAN_PORT } from './layers.js';

/** The addresses every standard packet uses: a client talking to a server on one LAN. */
export const TestHosts = {
  clientMac: '02:00:00:00:00:01',
  serverMac: '02:00:00:00:00:02',
  clientIpv4: '10.0.0.1',
  serverIpv4: '10.0.0.2',
  clientIpv6: 'fd00::1',
  serverIpv6: 'fd00::2',
} as const;

/** A named, deterministic test frame. */
export interface PacketKind {
  name: string;
  description: string;
  frame: Uint8Array;
}

export interface FlowOptions {
  src?: string;
  dst?: string;
  srcPort?: number;
  dstPort?: number;
  payload?: number;
  ttl?: number;
  /** Add 802.1Q tags, outermost first. A QinQ outer tag uses { vid, tpid: 0x88a8 }. */
  vlans?: { vid: number; tpid?: number }[];
}

const eth = (): Layer => ({ kind: 'ethernet', src: TestHosts.clientMac, dst: TestHosts.serverMac });
const tags = (o: FlowOptions): Layer[] => (o.vlans ?? []).map((t) => ({ kind: 'vlan', vid: t.vid, tpid: t.tpid }));

const SYN_OPTIONS: TcpOption[] = [
  { kind: 'mss', value: 1460 },
  { kind: 'sack-permitted' },
  { kind: 'timestamps', value: 0x01020304, echo: 0 },
  { kind: 'nop' },
  { kind: 'window-scale', shift: 7 },
];

/** Client → server IPv4 UDP (a DNS-like query by default). */
export function ipv4UdpFrame(o: FlowOptions = {}): Uint8Array {
  return buildFrame([
    eth(),
    ...tags(o),
    { kind: 'ipv4', src: o.src ?? TestHosts.clientIpv4, dst: o.dst ?? TestHosts.serverIpv4, ttl: o.ttl, id: 0x1c46, dontFragment: true },
    { kind: 'udp', srcPort: o.srcPort ?? 40000, dstPort: o.dstPort ?? 53 },
    patternPayload(o.payload ?? 18, 0x40),
  ]);
}

/** Client → server IPv4 TCP SYN with the usual options. */
export function ipv4TcpSynFrame(o: FlowOptions = {}): Uint8Array {
  return buildFrame([
    eth(),
    ...tags(o),
    { kind: 'ipv4', src: o.src ?? TestHosts.clientIpv4, dst: o.dst ?? TestHosts.serverIpv4, ttl: o.ttl, id: 0x2a01, dontFragment: true },
    { kind: 'tcp', srcPort: o.srcPort ?? 40001, dstPort: o.dstPort ?? 80, seq: 0x11223344, flags: ['syn'], window: 64240, options: SYN_OPTIONS },
    patternPayload(o.payload ?? 0),
  ]);
}

export function ipv4IcmpEchoFrame(o: FlowOptions & { id?: number } = {}): Uint8Array {
  return buildFrame([
    eth(),
    ...tags(o),
    { kind: 'ipv4', src: o.src ?? TestHosts.clientIpv4, dst: o.dst ?? TestHosts.serverIpv4, ttl: o.ttl, id: 0x0b0b },
    { kind: 'icmp-echo', type: 'request', id: o.id ?? 0x1234, sequence: 1 },
    patternPayload(o.payload ?? 32, 0x10),
  ]);
}

export function ipv6UdpFrame(o: FlowOptions = {}): Uint8Array {
  return buildFrame([
    eth(),
    ...tags(o),
    { kind: 'ipv6', src: o.src ?? TestHosts.clientIpv6, dst: o.dst ?? TestHosts.serverIpv6, hopLimit: o.ttl, flowLabel: 0x12345 },
    { kind: 'udp', srcPort: o.srcPort ?? 40000, dstPort: o.dstPort ?? 53 },
    patternPayload(o.payload ?? 18, 0x60),
  ]);
}

export function ipv6TcpFrame(o: FlowOptions = {}): Uint8Array {
  return buildFrame([
    eth(),
    ...tags(o),
    { kind: 'ipv6', src: o.src ?? TestHosts.clientIpv6, dst: o.dst ?? TestHosts.serverIpv6, hopLimit: o.ttl },
    { kind: 'tcp', srcPort: o.srcPort ?? 40002, dstPort: o.dstPort ?? 443, seq: 1000, ack: 2000, flags: ['ack', 'psh'], window: 501 },
    patternPayload(o.payload ?? 20, 0x70),
  ]);
}

export function ipv6IcmpEchoFrame(o: FlowOptions = {}): Uint8Array {
  return buildFrame([
    eth(),
    ...tags(o),
    { kind: 'ipv6', src: o.src ?? TestHosts.clientIpv6, dst: o.dst ?? TestHosts.serverIpv6, hopLimit: o.ttl },
    { kind: 'icmpv6-echo', type: 'request', id: 0x4321, sequence: 7 },
    patternPayload(o.payload ?? 32, 0x20),
  ]);
}

/** The largest frame a test-run takes without fragments: 4096 - 256 headroom - 320 tailroom. */
export const MAX_LINEAR_FRAME = 3520;

/**
 * The standard packet list every program of the differential suite runs: common traffic, edge
 * sizes, malformed headers, encapsulations. Contents are fixed, so golden files stay valid.
 */
export function standardPacketKinds(): PacketKind[] {
  const h = TestHosts;
  const kinds: PacketKind[] = [
    { name: 'ipv4-udp', description: 'IPv4 UDP 40000 → 53, 18-byte payload', frame: ipv4UdpFrame() },
    { name: 'ipv4-tcp', description: 'IPv4 TCP SYN 40001 → 80 with MSS, SACK, timestamps, window scale', frame: ipv4TcpSynFrame() },
    { name: 'ipv4-icmp', description: 'IPv4 ICMP echo request', frame: ipv4IcmpEchoFrame() },
    { name: 'ipv6-udp', description: 'IPv6 UDP 40000 → 53', frame: ipv6UdpFrame() },
    { name: 'ipv6-tcp', description: 'IPv6 TCP ACK+PSH 40002 → 443 with 20 bytes of data', frame: ipv6TcpFrame() },
    { name: 'ipv6-icmp', description: 'ICMPv6 echo request', frame: ipv6IcmpEchoFrame() },
    { name: 'vlan-ipv4-udp', description: '802.1Q VLAN 100, IPv4 UDP', frame: ipv4UdpFrame({ vlans: [{ vid: 100 }] }) },
    {
      name: 'qinq-ipv4-tcp',
      description: '802.1ad outer VLAN 200, 802.1Q inner VLAN 100, IPv4 TCP SYN',
      frame: ipv4TcpSynFrame({ vlans: [{ vid: 200, tpid: 0x88a8 }, { vid: 100 }] }),
    },
    {
      name: 'arp',
      description: 'ARP who-has 10.0.0.2 tell 10.0.0.1, padded to 60 bytes',
      frame: buildFrame(
        [
          { kind: 'ethernet', src: h.clientMac, dst: 'ff:ff:ff:ff:ff:ff' },
          { kind: 'arp', op: 1, senderMac: h.clientMac, senderIp: h.clientIpv4, targetMac: '00:00:00:00:00:00', targetIp: h.serverIpv4 },
        ],
        { padTo: 60 },
      ),
    },
    {
      name: 'min-14',
      description: 'exactly 14 bytes: an Ethernet header announcing IPv4 and nothing after it',
      frame: buildFrame([{ kind: 'ethernet', src: h.clientMac, dst: h.serverMac, etherType: 0x0800 }]),
    },
    {
      name: 'max-3520',
      description: 'IPv4 UDP padded by its payload to exactly 3520 bytes, the largest linear frame',
      frame: ipv4UdpFrame({ payload: MAX_LINEAR_FRAME - 14 - 20 - 8 }),
    },
    {
      name: 'malformed-ipv4',
      description: 'IPv4 header with IHL 4 (< 5), otherwise a UDP packet',
      frame: buildFrame([
        eth(),
        { kind: 'ipv4', src: h.clientIpv4, dst: h.serverIpv4, ihl: 4 },
        { kind: 'udp', srcPort: 40000, dstPort: 53 },
        patternPayload(18),
      ]),
    },
    {
      name: 'ipv4-bad-length',
      description: 'IPv4 UDP whose total length (1500) runs past the 60-byte frame',
      frame: buildFrame([
        eth(),
        { kind: 'ipv4', src: h.clientIpv4, dst: h.serverIpv4, totalLength: 1500 },
        { kind: 'udp', srcPort: 40000, dstPort: 53 },
        patternPayload(18),
      ]),
    },
    {
      name: 'multibuf-4096',
      description: 'IPv4 UDP of 4096 bytes: longer than the linear 3520, so the test-run puts the rest in a fragment',
      frame: ipv4UdpFrame({ payload: 4096 - 42 }),
    },
    {
      name: 'multibuf-9000',
      description: 'a 9000-byte jumbo IPv4 UDP frame: 3520 linear bytes plus fragments',
      frame: ipv4UdpFrame({ payload: 9000 - 42 }),
    },
    { name: 'short-13', description: '13 bytes, one short of an Ethernet header: the kernel refuses the run', frame: ipv4UdpFrame().slice(0, 13) },
    {
      name: 'ipv4-options',
      description: 'IPv4 with a Router Alert option (IHL 6), UDP',
      frame: buildFrame([
        eth(),
        { kind: 'ipv4', src: h.clientIpv4, dst: h.serverIpv4, options: new Uint8Array([0x94, 0x04, 0x00, 0x00]) },
        { kind: 'udp', srcPort: 40000, dstPort: 53 },
        patternPayload(18),
      ]),
    },
    {
      name: 'ipv4-fragment',
      description: 'a later IPv4 fragment (offset 1480 bytes): UDP bytes but no UDP header',
      frame: buildFrame([eth(), { kind: 'ipv4', src: h.clientIpv4, dst: h.serverIpv4, id: 0x77, fragmentOffset: 185, protocol: 17 }, patternPayload(40, 0x30)]),
    },
    {
      name: 'ipv6-ext-udp',
      description: 'IPv6 with a hop-by-hop extension header, then UDP',
      frame: buildFrame([
        eth(),
        { kind: 'ipv6', src: h.clientIpv6, dst: h.serverIpv6 },
        { kind: 'ipv6-ext', type: 'hop-by-hop' },
        { kind: 'udp', srcPort: 40000, dstPort: 53 },
        patternPayload(18, 0x60),
      ]),
    },
    {
      name: 'ipip-udp',
      description: 'IPv4-in-IPv4 (protocol 4) carrying UDP',
      frame: buildFrame([
        eth(),
        { kind: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2', dontFragment: true },
        { kind: 'ipv4', src: h.clientIpv4, dst: h.serverIpv4 },
        { kind: 'udp', srcPort: 40000, dstPort: 53 },
        patternPayload(18),
      ]),
    },
    {
      name: 'gre-ipv4-tcp',
      description: 'GRE with key 42 carrying IPv4 TCP',
      frame: buildFrame([
        eth(),
        { kind: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2' },
        { kind: 'gre', key: 42 },
        { kind: 'ipv4', src: h.clientIpv4, dst: h.serverIpv4 },
        { kind: 'tcp', srcPort: 40001, dstPort: 80, flags: ['syn'], seq: 1 },
      ]),
    },
    {
      name: 'vxlan-ipv4-udp',
      description: 'VXLAN (UDP 4789, VNI 5000) carrying an Ethernet frame with IPv4 UDP',
      frame: buildFrame([
        eth(),
        { kind: 'ipv4', src: '192.0.2.1', dst: '192.0.2.2' },
        { kind: 'udp', srcPort: 49152, dstPort: VXLAN_PORT, checksum: 'none' },
        { kind: 'vxlan', vni: 5000 },
        { kind: 'ethernet', src: '02:00:00:00:0a:01', dst: '02:00:00:00:0a:02' },
        { kind: 'ipv4', src: h.clientIpv4, dst: h.serverIpv4 },
        { kind: 'udp', srcPort: 40000, dstPort: 53 },
        patternPayload(18),
      ]),
    },
  ];
  return kinds;
}

/** One standard kind by name. */
export function standardPacketKind(name: string): PacketKind {
  const k = standardPacketKinds().find((p) => p.name === name);
  if (!k) throw new XdpchainError('ENOENT', `no standard packet kind ${name}`);
  return k;
}
