import { openOutCapture, type OutCapture } from './out-capture.js';
import type { DeliveryKind, Netdev } from '../xdp/netdev.js';

const NS_PER_SECOND = 1_000_000_000;

/** One capture file of what a device delivered, and the frames written to it so far. */
interface DeliveryFile extends OutCapture {
  written: number;
}

/**
 * Streams every frame the devices deliver to their stack and wire into `<dev>.<kind>.pcap`
 * under `dir`, as it is delivered: nothing is held but the files' write buffers, so the files
 * hold every frame whatever the capture's size. A file is created by its first frame.
 */
export class DeliveryFiles {
  /** Files in the order they were created. */
  private readonly files: { name: string; file: DeliveryFile }[] = [];
  // Frames get the time they left XDP, a nanosecond apart in a nanosecond pcap, so each file's
  // timestamps rise with its records. The clock is kept in numbers: no BigInt per frame.
  private readonly startSeconds: number;
  private readonly startNs: number;

  constructor(
    private readonly devices: readonly Netdev[],
    private readonly dir: string,
  ) {
    const ms = Date.now();
    this.startSeconds = Math.floor(ms / 1000);
    this.startNs = (ms % 1000) * 1_000_000;
    for (const d of devices) {
      // Each device's listener holds its own two files: no name built or looked up per frame.
      const mine: Partial<Record<DeliveryKind, DeliveryFile>> = {};
      d.onDeliver = (kind, frame) => this.write(mine[kind] ?? (mine[kind] = this.open(`${d.name}.${kind}.pcap`)), frame.data);
    }
  }

  private open(name: string): DeliveryFile {
    const file = { ...openOutCapture(this.dir, name), written: 0 };
    this.files.push({ name, file });
    return file;
  }

  private write(f: DeliveryFile, data: Uint8Array): void {
    const ns = this.startNs + f.written++;
    f.writer.writeFrame(data, 0, data.length, this.startSeconds + Math.floor(ns / NS_PER_SECOND), ns % NS_PER_SECOND);
  }

  /** The files written, in the order they were created, with how many frames each holds. */
  written(): { file: string; frames: number }[] {
    return this.files.map(({ name, file }) => ({ file: name, frames: file.written }));
  }

  /** Stop listening and flush and close the files. */
  close(): void {
    for (const d of this.devices) d.onDeliver = undefined;
    for (const { file } of this.files) file.sink.close();
  }
}
