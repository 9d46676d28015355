import { formatIpv4, formatIpv6, formatMac } from './bytes.js';
import { internetChecksum, ipv4PseudoSum, ipv6PseudoSum, onesComplementSum } from './checksum.js';
import { EtherType, IpProto, VXLAN_PORT } from './layers.js';

export type FieldValue = string | number | boolean;

/** One decoded header. `summary` is a short readable line; `fields` the values by name. */
export interface DecodedLayer {
  kind: string;
  offset: number;
  length: number;
  summary: string;
  fields: Record<string, FieldValue>;
}

export interface FrameSummary {
  length: number;
  layers: DecodedLayer[];
  /** Things wrong with the frame: truncation, bad lengths, wrong checksums. */
  problems: string[];
  /** The layers' summaries joined with ` | `. */
  text: string;
}

interface IpContext {
  pseudo: (protocol: number, length: number) => number;
  /** Bytes of upper-layer data the IP header claims (bounded by what the frame has). */
  payloadLength: number;
}

const ETHER_NAMES: Record<number, string> = {
  [EtherType.IPv4]: 'ipv4',
  [EtherType.IPv6]: 'ipv6',
  [EtherType.ARP]: 'arp',
  [EtherType.VLAN]: 'vlan',
  [EtherType.QinQ]: 'vlan',
  [EtherType.TEB]: 'ethernet',
};

/**
 * Decode a frame (starting with Ethernet) into its layers as far as they can be understood.
 * Never throws: a truncated or malformed header ends the walk and is listed in `problems`.
 */
export function decodeFrame(frame: Uint8Array): FrameSummary {
  const d = new Decoder(frame);
  d.ethernet(0, frame.length);
  const text = d.layers.map((l) => l.summary).join(' | ');
  return { length: frame.length, layers: d.layers, problems: d.problems, text };
}

const hex16 = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;

class Decoder {
  readonly layers: DecodedLayer[] = [];
  readonly problems: string[] = [];
  private readonly view: DataView;

  constructor(private readonly b: Uint8Array) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  private add(kind: string, offset: number, length: number, summary: string, fields: Record<string, FieldValue>) {
    this.layers.push({ kind, offset, length, summary: `${kind} ${summary}`.trim(), fields });
  }

  private fits(kind: string, offset: number, need: number, end: number): boolean {
    if (offset + need <= end) return true;
    this.problems.push(`${kind} at offset ${offset}: truncated, needs ${need} bytes, ${Math.max(0, end - offset)} left`);
    this.add(kind, offset, Math.max(0, end - offset), `(truncated: ${Math.max(0, end - offset)} of ${need} bytes)`, {});
    return false;
  }

  private rest(offset: number, end: number, note = ''): void {
    if (offset < end) this.add('payload', offset, end - offset, `${end - offset}B${note}`, { length: end - offset });
  }

  private checksumNote(ok: boolean, name: string, offset: number): string {
    if (!ok) this.problems.push(`${name} at offset ${offset}: wrong checksum`);
    return ok ? 'ok' : 'BAD';
  }

  ethernet(o: number, end: number): void {
    if (!this.fits('ethernet', o, 14, end)) return;
    const type = this.view.getUint16(o + 12);
    const dst = formatMac(this.b.subarray(o, o + 6));
    const src = formatMac(this.b.subarray(o + 6, o + 12));
    this.add('ethernet', o, 14, `${src} > ${dst} type ${hex16(type)}`, { src, dst, etherType: type });
    this.byEtherType(type, o + 14, end);
  }

  private byEtherType(type: number, o: number, end: number): void {
    switch (ETHER_NAMES[type]) {
      case 'vlan':
        return this.vlan(type, o, end);
      case 'ipv4':
        return this.ipv4(o, end);
      case 'ipv6':
        return this.ipv6(o, end);
      case 'arp':
        return this.arp(o, end);
      case 'ethernet':
        return this.ethernet(o, end);
      default:
        return this.rest(o, end);
    }
  }

  private vlan(tpid: number, o: number, end: number): void {
    if (!this.fits('vlan', o, 4, end)) return;
    const tci = this.view.getUint16(o);
    const type = this.view.getUint16(o + 2);
    const vid = tci & 0xfff;
    const pcp = tci >> 13;
    const tag = tpid === EtherType.QinQ ? '802.1ad' : '802.1Q';
    this.add('vlan', o, 4, `${tag} vid ${vid} pcp ${pcp} type ${hex16(type)}`, { tpid, vid, pcp, etherType: type });
    this.byEtherType(type, o + 4, end);
  }

  private arp(o: number, end: number): void {
    if (!this.fits('arp', o, 28, end)) return;
    const op = this.view.getUint16(o + 6);
    const senderIp = formatIpv4(this.b.subarray(o + 14, o + 18));
    const targetIp = formatIpv4(this.b.subarray(o + 24, o + 28));
    const senderMac = formatMac(this.b.subarray(o + 8, o + 14));
    const what = op === 1 ? `who-has ${targetIp} tell ${senderIp}` : op === 2 ? `${senderIp} is-at ${senderMac}` : `op ${op}`;
    this.add('arp', o, 28, what, { op, senderIp, targetIp, senderMac, targetMac: formatMac(this.b.subarray(o + 18, o + 24)) });
    this.rest(o + 28, end);
  }

  private ipv4(o: number, end: number): void {
    if (!this.fits('ipv4', o, 20, end)) return;
    const v = this.view;
    const version = this.b[o] >> 4;
    const ihl = this.b[o] & 0x0f;
    const totalLength = v.getUint16(o + 2);
    const flags = v.getUint16(o + 6);
    const fragOffset = flags & 0x1fff;
    const protocol = this.b[o + 9];
    const src = formatIpv4(this.b.subarray(o + 12, o + 16));
    const dst = formatIpv4(this.b.subarray(o + 16, o + 20));
    const fields: Record<string, FieldValue> = { version, ihl, totalLength, ttl: this.b[o + 8], protocol, src, dst };
    const bad = (why: string) => {
      this.problems.push(`ipv4 at offset ${o}: ${why}`);
      this.add('ipv4', o, 20, `${src} > ${dst} MALFORMED (${why})`, fields);
      this.rest(o + 20, end);
    };
    if (version !== 4) return bad(`version ${version}`);
    if (ihl < 5) return bad(`IHL ${ihl} < 5`);
    if (o + ihl * 4 > end) return bad(`IHL ${ihl} runs past the frame`);
    if (totalLength < ihl * 4) return bad(`total length ${totalLength} < header length ${ihl * 4}`);
    if (o + totalLength > end) return bad(`total length ${totalLength} runs past the frame (${end - o} bytes)`);
    const csum = this.checksumNote(internetChecksum(this.b.subarray(o, o + ihl * 4)) === 0, 'ipv4 header', o);
    const frag = [flags & 0x4000 ? 'DF' : '', flags & 0x2000 ? 'MF' : '', fragOffset ? `frag@${fragOffset * 8}` : ''].filter(Boolean).join(' ');
    Object.assign(fields, { dontFragment: (flags & 0x4000) !== 0, moreFragments: (flags & 0x2000) !== 0, fragmentOffset: fragOffset, checksum: csum });
    const opts = ihl > 5 ? ` options ${ihl * 4 - 20}B` : '';
    this.add(
      'ipv4',
      o,
      ihl * 4,
      `${src} > ${dst} proto ${protocol} ttl ${this.b[o + 8]} len ${totalLength}${opts}${frag ? ` ${frag}` : ''} csum ${csum}`,
      fields,
    );
    const srcB = this.b.slice(o + 12, o + 16);
    const dstB = this.b.slice(o + 16, o + 20);
    const ip: IpContext = { pseudo: (p, len) => ipv4PseudoSum(srcB, dstB, p, len), payloadLength: totalLength - ihl * 4 };
    const l4End = o + totalLength;
    if (fragOffset !== 0) {
      this.rest(o + ihl * 4, l4End, ' (fragment)');
      this.trailing(l4End, end);
      return;
    }
    this.byProtocol(protocol, o + ihl * 4, l4End, ip);
    this.trailing(l4End, end);
  }

  /** Bytes after the IP packet (Ethernet padding) are shown as padding. */
  private trailing(ipEnd: number, end: number): void {
    if (ipEnd < end && !this.layers.some((l) => l.kind === 'padding')) {
      this.add('padding', ipEnd, end - ipEnd, `${end - ipEnd}B`, { length: end - ipEnd });
    }
  }

  private ipv6(o: number, end: number): void {
    if (!this.fits('ipv6', o, 40, end)) return;
    const v = this.view;
    const payloadLength = v.getUint16(o + 4);
    let next = this.b[o + 6];
    const src = formatIpv6(this.b.subarray(o + 8, o + 24));
    const dst = formatIpv6(this.b.subarray(o + 24, o + 40));
    const fields: Record<string, FieldValue> = { payloadLength, nextHeader: next, hopLimit: this.b[o + 7], src, dst };
    const ipEnd = o + 40 + payloadLength;
    if (ipEnd > end) {
      this.problems.push(`ipv6 at offset ${o}: payload length ${payloadLength} runs past the frame`);
      this.add('ipv6', o, 40, `${src} > ${dst} MALFORMED (payload length ${payloadLength})`, fields);
      return this.rest(o + 40, end);
    }
    this.add('ipv6', o, 40, `${src} > ${dst} next ${next} hlim ${this.b[o + 7]} plen ${payloadLength}`, fields);
    const srcB = this.b.slice(o + 8, o + 24);
    const dstB = this.b.slice(o + 24, o + 40);
    let p = o + 40;
    const extNames: Record<number, string> = { 0: 'hop-by-hop', 43: 'routing', 60: 'destination', 44: 'fragment' };
    while (extNames[next] !== undefined) {
      if (!this.fits('ipv6-ext', p, 8, ipEnd)) return;
      const len = next === 44 ? 8 : (this.b[p + 1] + 1) * 8;
      if (p + len > ipEnd) {
        this.problems.push(`ipv6-ext at offset ${p}: length ${len} runs past the packet`);
        return this.rest(p, end);
      }
      this.add('ipv6-ext', p, len, `${extNames[next]} ${len}B next ${this.b[p]}`, { type: extNames[next], length: len, nextHeader: this.b[p] });
      const wasFragment = next === 44;
      const fragOffset = wasFragment ? this.view.getUint16(p + 2) >> 3 : 0;
      next = this.b[p];
      p += len;
      if (wasFragment && fragOffset !== 0) {
        this.rest(p, ipEnd, ' (fragment)');
        return this.trailing(ipEnd, end);
      }
    }
    const ip: IpContext = { pseudo: (pr, len) => ipv6PseudoSum(srcB, dstB, pr, len), payloadLength: ipEnd - p };
    this.byProtocol(next, p, ipEnd, ip);
    this.trailing(ipEnd, end);
  }

  private byProtocol(protocol: number, o: number, end: number, ip: IpContext): void {
    switch (protocol) {
      case IpProto.UDP:
        return this.udp(o, end, ip);
      case IpProto.TCP:
        return this.tcp(o, end, ip);
      case IpProto.ICMP:
        return this.icmp(o, end, false, ip);
      case IpProto.ICMPv6:
        return this.icmp(o, end, true, ip);
      case IpProto.IPIP:
        return this.ipv4(o, end);
      case IpProto.IPv6:
        return this.ipv6(o, end);
      case IpProto.GRE:
        return this.gre(o, end);
      default:
        return this.rest(o, end);
    }
  }

  private udp(o: number, end: number, ip: IpContext): void {
    if (!this.fits('udp', o, 8, end)) return;
    const v = this.view;
    const srcPort = v.getUint16(o);
    const dstPort = v.getUint16(o + 2);
    const length = v.getUint16(o + 4);
    const stored = v.getUint16(o + 6);
    let csum = 'none';
    if (length < 8 || o + length > end) {
      this.problems.push(`udp at offset ${o}: length ${length} does not fit`);
      csum = 'unchecked';
    } else if (stored !== 0) {
      csum = this.checksumNote(internetChecksum(this.b.subarray(o, o + length), ip.pseudo(IpProto.UDP, length)) === 0, 'udp', o);
    }
    this.add('udp', o, 8, `${srcPort} > ${dstPort} len ${length} csum ${csum}`, { srcPort, dstPort, length, checksum: csum });
    if (dstPort === VXLAN_PORT && o + 16 <= end && (this.b[o + 8] & 0x08) !== 0) {
      const vni = v.getUint32(o + 12) >>> 8;
      this.add('vxlan', o + 8, 8, `vni ${vni}`, { vni });
      return this.ethernet(o + 16, end);
    }
    this.rest(o + 8, end);
  }

  private tcp(o: number, end: number, ip: IpContext): void {
    if (!this.fits('tcp', o, 20, end)) return;
    const v = this.view;
    const srcPort = v.getUint16(o);
    const dstPort = v.getUint16(o + 2);
    const doff = this.b[o + 12] >> 4;
    const flagBits = this.b[o + 13];
    const names = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];
    const flags = names.filter((_, i) => flagBits & (1 << i)).join(',') || 'none';
    if (doff < 5 || o + doff * 4 > end) {
      this.problems.push(`tcp at offset ${o}: data offset ${doff} is invalid`);
      this.add('tcp', o, 20, `${srcPort} > ${dstPort} MALFORMED (data offset ${doff})`, { srcPort, dstPort, dataOffset: doff });
      return;
    }
    const seg = this.b.subarray(o, end);
    const csum = this.checksumNote(internetChecksum(seg, ip.pseudo(IpProto.TCP, seg.length)) === 0, 'tcp', o);
    const seq = v.getUint32(o + 4);
    const opts = doff > 5 ? ` options ${doff * 4 - 20}B` : '';
    this.add('tcp', o, doff * 4, `${srcPort} > ${dstPort} [${flags}] seq ${seq}${opts} csum ${csum}`, {
      srcPort,
      dstPort,
      flags,
      seq,
      ack: v.getUint32(o + 8),
      window: v.getUint16(o + 14),
      checksum: csum,
    });
    this.rest(o + doff * 4, end);
  }

  private icmp(o: number, end: number, v6: boolean, ip: IpContext): void {
    const kind = v6 ? 'icmpv6' : 'icmp';
    if (!this.fits(kind, o, 8, end)) return;
    const type = this.b[o];
    const code = this.b[o + 1];
    const seg = this.b.subarray(o, end);
    const sum = v6 ? ip.pseudo(IpProto.ICMPv6, seg.length) : 0;
    const csum = this.checksumNote(internetChecksum(seg, sum) === 0, kind, o);
    const echo: Record<number, string> = v6 ? { 128: 'echo request', 129: 'echo reply' } : { 8: 'echo request', 0: 'echo reply' };
    const id = this.view.getUint16(o + 4);
    const sequence = this.view.getUint16(o + 6);
    const what = echo[type] ? `${echo[type]} id ${id} seq ${sequence}` : `type ${type} code ${code}`;
    this.add(kind, o, 8, `${what} csum ${csum}`, { type, code, id, sequence, checksum: csum });
    this.rest(o + 8, end);
  }

  private gre(o: number, end: number): void {
    if (!this.fits('gre', o, 4, end)) return;
    const flags = this.view.getUint16(o);
    const protocol = this.view.getUint16(o + 2);
    const hasCsum = (flags & 0x8000) !== 0;
    const hasKey = (flags & 0x2000) !== 0;
    const len = 4 + (hasCsum ? 4 : 0) + (hasKey ? 4 : 0);
    if (!this.fits('gre', o, len, end)) return;
    const fields: Record<string, FieldValue> = { protocol };
    let text = `proto ${hex16(protocol)}`;
    if (hasKey) {
      fields.key = this.view.getUint32(o + (hasCsum ? 8 : 4));
      text += ` key ${fields.key}`;
    }
    if (hasCsum) {
      fields.checksum = this.checksumNote(onesComplementSum(this.b.subarray(o, end)) === 0xffff, 'gre', o);
      text += ` csum ${fields.checksum}`;
    }
    this.add('gre', o, len, text, fields);
    this.byEtherType(protocol, o + len, end);
  }
}
