import { closeSync, openSync, readSync } from 'node:fs';
import { XdpchainError } from '../errors/index.js';
import { CaptureReader } from './read.js';
import type { CaptureRecord } from './types.js';
import { ByteSink, PcapWriter } from './write.js';

/** Stream the records of a capture file without holding the file in memory. */
export function* readCaptureFile(path: string, chunkBytes = 4 << 20): Generator<CaptureRecord, CaptureReader> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new XdpchainError('ENOENT', `cannot read ${path}: ${(e as Error).message}`);
  }
  const reader = new CaptureReader(path);
  const chunk = new Uint8Array(chunkBytes);
  try {
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
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
