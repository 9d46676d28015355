import { closeSync, openSync, readSync } from 'node:fs';
import { onUserPath } from '../errors/index.js';
import { CaptureReader } from './read.js';
import type { CaptureRecord } from './types.js';
import { ByteSink, PcapWriter } from './write.js';

/** How to read a capture file: `what` names it in errors (the option that chose it: `--pcap x.pcap`; default the path). */
export interface ReadCaptureOptions {
  chunkBytes?: number;
  what?: string;
}

/** Stream the records of a capture file without holding the file in memory. */
export function* readCaptureFile(path: string, opts: ReadCaptureOptions = {}): Generator<CaptureRecord, CaptureReader> {
  const what = opts.what ?? path;
  const fd = onUserPath(what, () => openSync(path, 'r'), 'give a pcap or pcapng file');
  const reader = new CaptureReader(path);
  const chunk = new Uint8Array(opts.chunkBytes ?? 4 << 20);
  try {
    for (;;) {
      // A directory opens, and fails only here (EISDIR).
      const n = onUserPath(what, () => readSync(fd, chunk, 0, chunk.length, null), 'give a pcap or pcapng file');
      if (n === 0) break;
      reader.push(chunk.subarray(0, n));
      for (let r = reader.next(); r; r = reader.next()) yield r;
    }
    reader.finish();
    return reader;
  } finally {
    closeSync(fd);
  }
}

/** Write `count` packets made by `makePacket(i)` to a pcap file, streaming (for large test inputs). */
export function writeSyntheticPcap(path: string, count: number, makePacket: (i: number) => Uint8Array): void {
  const sink = ByteSink.toFile(path);
  const w = new PcapWriter(sink);
  for (let i = 0; i < count; i++) w.writePacket(makePacket(i), 1_700_000_000_000_000_000n + BigInt(i) * 1000n);
  sink.close();
}
