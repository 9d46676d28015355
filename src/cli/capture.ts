import { readCaptureFile } from '../pcap/file.js';
import { ethernetFrames } from '../pcap/ethernet.js';
import type { CaptureRecord } from '../pcap/types.js';

/**
 * The frames of a capture file as a device receives them (Ethernet), streamed; a conversion
 * (Linux cooked capture) is noted once on stderr, an unsupported link type refused.
 */
export function readEthernetCapture(path: string): Iterable<CaptureRecord> {
  return ethernetFrames(readCaptureFile(path), path, (text) => process.stderr.write(`note: ${text}\n`));
}
