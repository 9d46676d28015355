import { ByteSink, PcapWriter } from '../pcap/write.js';
import { xdpActionName, XdpAction } from '../xdp/constants.js';
import type { CapturePoint } from './capture.js';

/** pcap link type of OpenBSD's packet filter log, which tcpdump decodes. */
export const LINKTYPE_PFLOG = 117;
/** struct pfloghdr, word-aligned: length, af, action, reason, ifname[16], ruleset[16], six u32s, dir, pad. */
const HEADER = 64;
const AF_INET = 2;
/** The BSD value tcpdump recognises for IPv6. */
const AF_INET6_BSD = 24;
const PF_PASS = 0;
const PF_DROP = 1;
const PF_IN = 1;
const PF_OUT = 2;
const NAME = 16;

/** One captured frame, as the pflog record describes it. */
export interface PflogFrame {
  /** The program's name, or the device's for a whole-hook capture (at most 15 characters are kept). */
  name: string;
  programId?: number;
  point: CapturePoint;
  action?: number;
  /** The Ethernet frame. */
  data: Uint8Array;
  timestampNs: bigint;
}

/**
 * `dump --format pflog`: a classic pcap of link type PFLOG, which `tcpdump -r FILE -e` prints as
 * `rule ID.ACTION.0/0(match): pass|block in|out on NAME: <packet>`: the program's id and name,
 * its XDP action (`entry` at entry), entry as `in` and exit as `out`. pflog carries the network
 * layer, so a frame is logged as its IP packet (the Ethernet header and VLAN tags are not in the
 * format); a frame that is not IP is logged whole, under an unknown address family.
 */
export class PflogWriter {
  private readonly pcap: PcapWriter;

  constructor(sink: ByteSink, append = false) {
    this.pcap = new PcapWriter(sink, { linkType: LINKTYPE_PFLOG, nanoseconds: true, header: !append });
  }

  write(f: PflogFrame): void {
    const { af, offset } = networkLayer(f.data);
    const payload = f.data.subarray(offset);
    const record = new Uint8Array(HEADER + payload.length);
    const dv = new DataView(record.buffer);
    record[0] = HEADER;
    record[1] = af;
    record[2] = f.action === XdpAction.DROP || f.action === XdpAction.ABORTED ? PF_DROP : PF_PASS;
    record[3] = 0; // reason: match
    putName(record, 4, f.name);
    putName(record, 4 + NAME, f.action === undefined ? 'entry' : xdpActionName(f.action));
    dv.setUint32(36, f.programId ?? 0, false); // rule number
    dv.setUint32(40, 0, false); // subrule: not -1, so tcpdump prints the ruleset
    record[60] = f.point === 'entry' ? PF_IN : PF_OUT;
    record.set(payload, HEADER);
    this.pcap.writePacket(record, f.timestampNs);
  }
}

function putName(record: Uint8Array, at: number, name: string): void {
  for (let i = 0; i < Math.min(name.length, NAME - 1); i++) record[at + i] = name.charCodeAt(i) & 0xff;
}

/** Where the IP packet of an Ethernet frame starts (after VLAN tags), and its address family. */
function networkLayer(frame: Uint8Array): { af: number; offset: number } {
  let at = 12;
  while (at + 2 <= frame.length) {
    const type = (frame[at] << 8) | frame[at + 1];
    if (type === 0x8100 || type === 0x88a8) {
      at += 4;
      continue;
    }
    if (type === 0x0800) return { af: AF_INET, offset: at + 2 };
    if (type === 0x86dd) return { af: AF_INET6_BSD, offset: at + 2 };
    break;
  }
  return { af: 0, offset: 0 };
}
