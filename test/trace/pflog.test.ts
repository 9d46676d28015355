import { describe, expect, it } from 'vitest';
import { ipv4UdpFrame, ipv6UdpFrame } from '../../src/packet/index.js';
import { ByteSink } from '../../src/pcap/write.js';
import { LINKTYPE_PFLOG, PflogWriter } from '../../src/trace/pflog.js';
import { XdpAction } from '../../src/xdp/constants.js';

const text = (b: Uint8Array) => String.fromCharCode(...b).replace(/\0+$/, '');

describe('pflog capture records', () => {
  it("put program, id, action and direction where tcpdump reads them, before the frame's IP packet", () => {
    const sink = new ByteSink();
    const w = new PflogWriter(sink);
    const v4 = ipv4UdpFrame();
    const v6 = ipv6UdpFrame({ vlans: [{ vid: 7, tpid: 0x88a8 }, { vid: 8 }] });
    w.write({ name: 'xdp_a_very_long_program_name', programId: 12, point: 'exit', action: XdpAction.DROP, data: v4, timestampNs: 1_500_000_000n });
    w.write({ name: 'eth0', point: 'entry', data: v6, timestampNs: 2n });
    w.write({
      name: 'xdp_fw',
      programId: 3,
      point: 'exit',
      action: XdpAction.TX,
      data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x06, 0xaa]),
      timestampNs: 3n,
    });
    const bytes = sink.bytes();
    const dv = new DataView(bytes.buffer, bytes.byteOffset);
    expect(dv.getUint32(20, true)).toBe(LINKTYPE_PFLOG);
    const records: Uint8Array[] = [];
    for (let at = 24; at < bytes.length;) {
      const len = dv.getUint32(at + 8, true);
      records.push(bytes.subarray(at + 16, at + 16 + len));
      at += 16 + len;
    }
    const [a, b, c] = records;
    const rdv = new DataView(a.buffer, a.byteOffset);
    expect([a[0], a[1], a[2], a[3], a[60]]).toEqual([64, 2, 1, 0, 2]); // length, AF_INET, PF_DROP, match, out
    expect(text(a.subarray(4, 20))).toBe('xdp_a_very_long');
    expect(text(a.subarray(20, 36))).toBe('XDP_DROP');
    expect([rdv.getUint32(36, false), rdv.getUint32(40, false)]).toEqual([12, 0]);
    expect([...a.subarray(64)]).toEqual([...v4.subarray(14)]);
    expect([b[1], b[2], b[60], text(b.subarray(4, 20)), text(b.subarray(20, 36))]).toEqual([24, 0, 1, 'eth0', 'entry']);
    expect([...b.subarray(64)]).toEqual([...v6.subarray(22)]); // the IPv6 packet, after both VLAN tags
    expect([c[1], c[2], text(c.subarray(20, 36))]).toEqual([0, 0, 'XDP_TX']);
    expect(c.length).toBe(64 + 15); // not IP: the whole frame
  });
});
