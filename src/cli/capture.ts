import { readCaptureFile } from '../pcap/file.js';
import { ethernetFrames } from '../pcap/ethernet.js';
import type { CaptureRecord } from '../pcap/types.js';

/**
 * The frames of a capture file as a device receives them (Ethernet), streamed; a conversion
 * (Linux cooked capture) is noted once on stderr, an unsupported link type refused. `what` names
 * the file and the option that chose it in errors (`--pcap x.pcap`).
 */
export function readEthernetCapture(path: string, what: string): Iterable<CaptureRecord> {
  return ethernetFrames(readCaptureFile(path, { what }), path, (text) => process.stderr.write(`note: ${text}\n`));
}
