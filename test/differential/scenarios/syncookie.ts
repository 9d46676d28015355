import { buildFrame, ipv4UdpFrame, TestHosts, type TcpFlag, type TcpOption } from '../../../src/packet/index.js';
import type { ByteMask } from '../../../src/packet/mask.js';
import type { PacketCase, Scenario } from '../scenario.js';
import { frameCase, u32le } from './common.js';

/** struct tcphdr offsets of the fields the kernel's random cookie keys make differ per boot. */
const TCP_SEQ = 4;
const TCP_ACK_SEQ = 8;
const TCP_CHECK = 16;
const ETH = 14;

function tcpFrame(family: 4 | 6, flags: TcpFlag[], options: TcpOption[], ack = 0): Uint8Array {
  return buildFrame([
    { kind: 'ethernet', src: TestHosts.clientMac, dst: TestHosts.serverMac },
    family === 4
      ? { kind: 'ipv4', src: TestHosts.clientIpv4, dst: TestHosts.serverIpv4, id: 0x2a01, dontFragment: true }
      : { kind: 'ipv6', src: TestHosts.clientIpv6, dst: TestHosts.serverIpv6 },
    { kind: 'tcp', srcPort: family === 4 ? 40001 : 40002, dstPort: family === 4 ? 80 : 443, seq: 0x11223344, ack, flags, window: 64240, options },
  ]);
}

/** What a SYN offers: an MSS with the options Linux sends, those options without MSS, or no options. */
type Offer = number | 'no-mss' | 'no-options';

function synFrame(family: 4 | 6, offer: Offer): Uint8Array {
  if (offer === 'no-options') return tcpFrame(family, ['syn'], []);
  const options: TcpOption[] = [
    { kind: 'sack-permitted' },
    { kind: 'timestamps', value: 0x01020304, echo: 0 },
    { kind: 'nop' },
    { kind: 'window-scale', shift: 7 },
  ];
  return tcpFrame(family, ['syn'], offer === 'no-mss' ? options : [{ kind: 'mss', value: offer }, ...options]);
}

/**
 * The masks for an output whose TCP header carries the cookie: in `seq` (the SYN-ACK) or in
 * `ack_seq` (the client's ACK of it), and the TCP checksum over it.
 */
function cookieMasks(family: 4 | 6, field: 'seq' | 'ack_seq'): ByteMask[] {
  const tcp = ETH + (family === 4 ? 20 : 40);
  return [
    {
      offset: tcp + (field === 'seq' ? TCP_SEQ : TCP_ACK_SEQ),
      length: 4,
      why: `the SYN cookie in ${field}: the kernel draws its cookie keys at random per boot`,
    },
    { offset: tcp + TCP_CHECK, length: 2, why: 'the TCP checksum covers the cookie', checksum: true },
  ];
}

/** A SYN answered with a SYN-ACK (repeat 1), or the whole handshake SYN -> SYN-ACK -> ACK (repeat 3). */
function syn(name: string, family: 4 | 6, offer: Offer, handshake = false): PacketCase {
  return frameCase(name, synFrame(family, offer), handshake ? { repeat: 3, mask: cookieMasks(family, 'ack_seq') } : { mask: cookieMasks(family, 'seq') });
}

const CONFIG = { tamper: 0, thLenDelta4: 1, thLenDelta6: 2 } as const;
const config = (key: number, value: number) => ({ map: 'syncookie_config', key: u32le(key), value: u32le(value) });

export const syncookieScenarios: Scenario[] = [
  {
    name: 'syncookie',
    object: 'progs/build/syncookie.o',
    program: 'xdp_syncookie',
    packets: [
      syn('ipv4-syn', 4, 1460),
      syn('ipv4-handshake', 4, 1460, true),
      syn('ipv6-syn', 6, 1440),
      syn('ipv6-handshake', 6, 1440, true),
      // The MSS a cookie carries: the SYN's rounded down to the table (IPv4 536/1300/1440/1460,
      // IPv6 1220/1420/1440/8940), the family's default without an option, the lowest below it.
      syn('ipv4-syn-no-options', 4, 'no-options'),
      syn('ipv4-syn-no-mss', 4, 'no-mss'),
      syn('ipv4-syn-mss-1400', 4, 1400),
      syn('ipv4-syn-mss-9000', 4, 9000),
      syn('ipv4-syn-mss-100', 4, 100),
      syn('ipv4-handshake-mss-1300', 4, 1300, true),
      syn('ipv6-syn-no-options', 6, 'no-options'),
      syn('ipv6-syn-mss-1500', 6, 1500),
      syn('ipv6-syn-mss-9000', 6, 9000),
      syn('ipv6-syn-mss-1300', 6, 1300),
      syn('ipv6-handshake-mss-9000', 6, 9000, true),
      // An ACK of a cookie nobody made: -EACCES, dropped.
      frameCase('ipv4-ack-unknown-cookie', tcpFrame(4, ['ack'], [], 12345)),
      frameCase('ipv6-ack-unknown-cookie', tcpFrame(6, ['ack'], [], 12345)),
      frameCase('ipv4-rst', tcpFrame(4, ['rst', 'ack'], [], 12345)),
      frameCase('ipv4-udp', ipv4UdpFrame()),
    ],
  },
  {
    // The client's ACK with bit 16 of its ack_seq flipped: the MSS index the check recovers moves
    // by 2^16, out of the table, whatever the keys.
    name: 'syncookie-tampered',
    object: 'progs/build/syncookie.o',
    program: 'xdp_syncookie',
    setup: [config(CONFIG.tamper, 1 << 16)],
    packets: [syn('ipv4-handshake', 4, 1460, true), syn('ipv6-handshake', 6, 1440, true)],
  },
  {
    // th_len other than the header's doff * 4: 4 more for IPv4, 4 less (16, below a TCP header) for IPv6.
    name: 'syncookie-bad-th-len',
    object: 'progs/build/syncookie.o',
    program: 'xdp_syncookie',
    setup: [config(CONFIG.thLenDelta4, 4), config(CONFIG.thLenDelta6, -4 >>> 0)],
    // Refused SYNs are dropped unchanged: nothing to mask.
    packets: [frameCase('ipv4-syn', synFrame(4, 1460)), frameCase('ipv6-syn', synFrame(6, 1440)), frameCase('ipv4-syn-no-options', synFrame(4, 'no-options'))],
  },
];
