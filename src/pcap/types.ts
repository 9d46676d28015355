/** One captured frame, whatever the file format. */
export interface CaptureRecord {
  /** Nanoseconds since the Unix epoch. */
  timestampNs: bigint;
  data: Uint8Array;
  /** Length of the frame on the wire (data may be shorter when truncated by the snap length). */
  originalLength: number;
  /** Index of the interface (pcapng IDB) the frame belongs to; 0 for classic pcap. */
  interfaceId: number;
  /** Link-layer header type of the frame (of its pcapng interface, or the pcap file's): LINKTYPE_ETHERNET, ... */
  linkType: number;
  comment?: string;
  /** pcapng epb_flags (direction etc.), when present. */
  flags?: number;
  /** pcapng epb_queue, when present. */
  queue?: number;
}

export interface CaptureInterface {
  linkType: number;
  snapLength: number;
  name?: string;
  description?: string;
  /** Nanoseconds per timestamp unit. */
  nsPerUnit: bigint;
}

export interface Capture {
  format: 'pcap' | 'pcapng';
  interfaces: CaptureInterface[];
  records: CaptureRecord[];
}

export const LINKTYPE_ETHERNET = 1;
/** Largest frame we accept from a file (larger is a malformed or hostile record). */
export const MAX_RECORD_BYTES = 256 * 1024;
