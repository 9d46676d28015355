import { MalformedInputError, XdpchainError } from '../errors/index.js';

/** Fields of a Linux cooked capture header (SLL or SLL2) that an Ethernet header needs. */
interface CookedHeader {
  /** PACKET_HOST, PACKET_BROADCAST, ...: who the frame was for. */
  packetType: number;
  /** ARPHRD_ type of the device it was captured on. */
  arphrd: number;
  /** The sender's link-layer address (its first `addressLength` bytes of 8). */
  address: Uint8Array;
  protocol: number;
  /** Bytes of header before the payload. */
  length: number;
}

const PACKET_BROADCAST = 1;
/** ARPHRD_ETHER and ARPHRD_LOOPBACK carry 6-byte MAC addresses; other devices' addresses do not fit a MAC. */
const MAC_DEVICES = new Set([1, 772]);
/** EtherTypes start here; below are 802.3 lengths (and SLL's pseudo-protocols such as 802.2 LLC). */
const MIN_ETHERTYPE = 0x0600;

function sllHeader(r: Uint8Array): CookedHeader {
  const dv = new DataView(r.buffer, r.byteOffset, r.byteLength);
  return {
    packetType: dv.getUint16(0),
    arphrd: dv.getUint16(2),
    address: r.subarray(6, 6 + Math.min(dv.getUint16(4), 8)),
    protocol: dv.getUint16(14),
    length: 16,
  };
}

function sll2Header(r: Uint8Array): CookedHeader {
  const dv = new DataView(r.buffer, r.byteOffset, r.byteLength);
  return { protocol: dv.getUint16(0), arphrd: dv.getUint16(8), packetType: r[10], address: r.subarray(12, 12 + Math.min(r[11], 8)), length: 20 };
}

/** The two cooked formats: their header size and how to read it. */
const COOKED = {
  LINUX_SLL: { size: 16, read: sllHeader },
  LINUX_SLL2: { size: 20, read: sll2Header },
} as const;

/** LINUX_SLL (link type 113) or LINUX_SLL2 (276). */
export type CookedFormat = keyof typeof COOKED;

/**
 * An Ethernet frame for a Linux cooked capture record: the cooked header becomes an Ethernet
 * header with the same EtherType, the sender's MAC as source, and as destination the broadcast
 * address for a broadcast packet, zeros otherwise (the capture does not record it).
 * `where` names the record in errors.
 */
export function cookedToEthernet(record: Uint8Array, format: CookedFormat, where: string): Uint8Array {
  const { size, read } = COOKED[format];
  if (record.length < size) throw new MalformedInputError(where, `${record.length} bytes is shorter than the ${size}-byte ${format} header`);
  const h = read(record);
  if (h.protocol < MIN_ETHERTYPE) {
    throw new XdpchainError(
      'EINVAL',
      `${where}: ${format} protocol 0x${h.protocol.toString(16).padStart(4, '0')} is not an EtherType, so the frame has no Ethernet form; filter such frames out of the capture (e.g. tcpdump -w out.pcap -r in.pcap 'not llc')`,
    );
  }
  const frame = new Uint8Array(14 + record.length - h.length);
  if (h.packetType === PACKET_BROADCAST) frame.fill(0xff, 0, 6);
  if (MAC_DEVICES.has(h.arphrd) && h.address.length >= 6) frame.set(h.address.subarray(0, 6), 6);
  frame[12] = h.protocol >> 8;
  frame[13] = h.protocol & 0xff;
  frame.set(record.subarray(h.length), 14);
  return frame;
}
