import { describe, expect, it } from 'vitest';
import { ipv4UdpFrame, ipv6UdpFrame } from '../../src/packet/index.js';
import { ethernetFrames } from '../../src/pcap/ethernet.js';
import { readCapture } from '../../src/pcap/read.js';
import { LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2 } from '../../src/pcap/link-types.js';
import { ByteSink, PcapngWriter, PcapWriter } from '../../src/pcap/write.js';
import { errorOf } from '../error-of.js';

const udp = ipv4UdpFrame();
const src = udp.subarray(6, 12);
const ethertype = (f: Uint8Array) => (f[12] << 8) | f[13];

/** A Linux cooked capture (v1) header for an Ethernet frame `f`: packet type, ARPHRD_ETHER, 6-byte address, protocol. */
function sll(f: Uint8Array, packetType = 0): Uint8Array {
  const h = new Uint8Array(16);
  const dv = new DataView(h.buffer);
  dv.setUint16(0, packetType);
  dv.setUint16(2, 1);
  dv.setUint16(4, 6);
  h.set(f.subarray(6, 12), 6);
  dv.setUint16(14, ethertype(f));
  return Uint8Array.from([...h, ...f.subarray(14)]);
}

/** The same frame under a Linux cooked capture v2 header: protocol, reserved, ifindex, ARPHRD, packet type, address length, address. */
function sll2(f: Uint8Array, packetType = 0): Uint8Array {
  const h = new Uint8Array(20);
  const dv = new DataView(h.buffer);
  dv.setUint16(0, ethertype(f));
  dv.setUint32(4, 3);
  dv.setUint16(8, 1);
  h[10] = packetType;
  h[11] = 6;
  h.set(f.subarray(6, 12), 12);
  return Uint8Array.from([...h, ...f.subarray(14)]);
}

function pcap(linkType: number, records: Uint8Array[]): Uint8Array {
  const s = new ByteSink();
  const w = new PcapWriter(s, { linkType });
  records.forEach((r, i) => w.writePacket(r, BigInt(i)));
  return s.bytes();
}

const frames = (bytes: Uint8Array, notes: string[] = []) => [...ethernetFrames(readCapture(bytes, 'in.pcap').records, 'in.pcap', (n) => notes.push(n))];

describe('captures of other link types', () => {
  it('passes Ethernet records through unchanged, without a note', () => {
    const notes: string[] = [];
    expect(frames(pcap(1, [udp]), notes).map((r) => r.data)).toEqual([udp]);
    expect(notes).toEqual([]);
  });

  it('refuses a link type that is not Ethernet or Linux cooked capture with EINVAL, naming its number and name', () => {
    const e = errorOf(() => frames(pcap(105, [udp])));
    expect(e.errno).toBe('EINVAL');
    expect(e.message).toMatch(/in\.pcap: link type 105 \(IEEE802_11\)/);
    expect(errorOf(() => frames(pcap(4000, [udp]))).message).toMatch(/link type 4000 \(unknown\)/);
  });

  it('converts Linux cooked capture (SLL and SLL2) to Ethernet, with one note per file', () => {
    for (const [type, wrap] of [
      [LINKTYPE_LINUX_SLL, sll],
      [LINKTYPE_LINUX_SLL2, sll2],
    ] as const) {
      const notes: string[] = [];
      const out = frames(pcap(type, [wrap(udp), wrap(ipv6UdpFrame()), wrap(udp, 1)]), notes).map((r) => r.data);
      expect(out[0].subarray(6)).toEqual(udp.subarray(6));
      expect(out[0].subarray(0, 6)).toEqual(new Uint8Array(6));
      expect(out[0].subarray(6, 12)).toEqual(src);
      expect(out[1].subarray(12)).toEqual(ipv6UdpFrame().subarray(12));
      // A broadcast packet (packet type 1) gets the broadcast address back.
      expect(out[2].subarray(0, 6)).toEqual(new Uint8Array(6).fill(0xff));
      expect(notes).toHaveLength(1);
      expect(notes[0]).toMatch(new RegExp(`in\\.pcap: link type ${type} \\(LINUX_SLL2?\\) converted to Ethernet`));
    }
  });

  it('reads each pcapng interface by its own link type', () => {
    const s = new ByteSink();
    const w = new PcapngWriter(s);
    const eth = w.addInterface({ name: 'eth0' });
    const any = w.addInterface({ name: 'any', linkType: LINKTYPE_LINUX_SLL });
    const wifi = w.addInterface({ name: 'wlan0', linkType: 105 });
    w.writePacket({ interfaceId: eth, timestampNs: 1n, data: udp });
    w.writePacket({ interfaceId: any, timestampNs: 2n, data: sll(udp) });
    const notes: string[] = [];
    expect(frames(s.bytes(), notes).map((r) => r.data.subarray(6))).toEqual([udp.subarray(6), udp.subarray(6)]);
    expect(notes).toHaveLength(1);
    w.writePacket({ interfaceId: wifi, timestampNs: 3n, data: udp });
    expect(errorOf(() => frames(s.bytes())).message).toMatch(/link type 105 \(IEEE802_11\)/);
  });

  it('refuses a cooked record too short for its header, naming the record', () => {
    expect(errorOf(() => frames(pcap(LINKTYPE_LINUX_SLL, [new Uint8Array(10)]))).message).toMatch(/record 1.*10 bytes.*16/);
  });
});
