import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { FrameBatch } from '../../src/pcap/frame-batch.js';
import { frameBatches } from '../../src/pcap/frame-stream.js';
import { CaptureReader, readCapture, type ReaderStorage } from '../../src/pcap/read.js';
import type { CaptureRecord } from '../../src/pcap/types.js';
import { ByteSink, PcapngWriter, PcapWriter } from '../../src/pcap/write.js';

/** Frames of many lengths (runts and a jumbo among them), with timestamps that cross seconds. */
const frames = Array.from({ length: 150 }, (_, i) => {
  const f = new Uint8Array([1, 13, 60, 64, 1500, 5000][i % 6] + (i % 7));
  for (let j = 0; j < f.length; j++) f[j] = (i * 31 + j) & 0xff;
  return f;
});
const stamp = (i: number): bigint => 1_700_000_000_999_990_000n + BigInt(i) * 1_234_567n;

function pcap(nanoseconds: boolean): Uint8Array {
  const s = new ByteSink();
  const w = new PcapWriter(s, { nanoseconds });
  frames.forEach((f, i) => w.writePacket(f, stamp(i), f.length + (i % 3)));
  return s.bytes();
}

function pcapng(): Uint8Array {
  const s = new ByteSink();
  const w = new PcapngWriter(s);
  const id = w.addInterface({ name: 'eth0' });
  frames.forEach((f, i) => w.writePacket({ interfaceId: id, timestampNs: stamp(i), data: f }));
  return s.bytes();
}

/** Storage in one larger buffer at a pretend address, as wasm memory would hold it. */
class OffsetStorage implements ReaderStorage {
  readonly arena = new Uint8Array(1 << 22);
  private size = 0;
  acquire(size: number): Uint8Array {
    this.size = size;
    return this.current();
  }
  current(): Uint8Array {
    return this.arena.subarray(4096, 4096 + this.size);
  }
  address(): number {
    return this.size ? 4096 : -1;
  }
}

/** Everything `fill` gives when the bytes arrive `chunk` at a time, as records. */
function viaBatches(bytes: Uint8Array, chunk: number, storage?: OffsetStorage): CaptureRecord[] {
  const reader = new CaptureReader('t', storage);
  const batch = new FrameBatch(64);
  const out: CaptureRecord[] = [];
  for (let at = 0; at < bytes.length; at += chunk) {
    reader.push(bytes.subarray(at, at + chunk));
    while (reader.fill(batch) > 0) {
      for (let i = 0; i < batch.count; i++) {
        if (storage && batch.base >= 0)
          expect(storage.arena.subarray(batch.base + batch.offset[i], batch.base + batch.offset[i] + batch.length[i])).toEqual(batch.frame(i));
        out.push({
          data: batch.frame(i).slice(),
          timestampNs: batch.timestampNs(i),
          originalLength: batch.originalLength[i],
          interfaceId: 0,
          linkType: batch.linkType[i],
        });
      }
    }
  }
  reader.finish();
  return out;
}

// Bytes as hex: vitest compares typed arrays byte by byte, slowly.
const essentials = (records: CaptureRecord[]) =>
  records.map((r) => ({ data: Buffer.from(r.data).toString('hex'), ts: r.timestampNs, orig: r.originalLength, linkType: r.linkType }));

describe('capture frames in batches', () => {
  it('gives the same frames, timestamps and lengths as record reading, for pcap (µs, ns) and pcapng, however the bytes arrive', () => {
    for (const bytes of [pcap(false), pcap(true), pcapng()]) {
      const want = essentials(readCapture(bytes).records);
      expect(want).toHaveLength(frames.length);
      for (const chunk of [7, 1000, 65536, bytes.length]) expect(essentials(viaBatches(bytes, chunk))).toEqual(want);
      expect(essentials(viaBatches(bytes, 4093, new OffsetStorage()))).toEqual(want);
    }
  });

  it('carries a microsecond field of a second or more into the seconds, as the record reader does', () => {
    const bytes = pcap(false);
    // Record 1's microseconds field (at 24 + 16 + len(frame 0) + 4): 2.5 s worth.
    new DataView(bytes.buffer).setUint32(24 + 16 + frames[0].length + 4, 2_500_000, true);
    expect(essentials(viaBatches(bytes, 512))[1].ts).toBe(readCapture(bytes).records[1].timestampNs);
  });

  it('names the record and offset of a file that ends inside a record, as record reading does', () => {
    const bytes = pcap(false).subarray(0, 24 + 16 + frames[0].length + 10);
    expect(() => readCapture(bytes)).toThrow(/record 2.*file ends inside a record/);
    expect(() => viaBatches(bytes, 5)).toThrow(/record 2.*file ends inside a record/);
  });

  it('streams a plain or gzip-compressed file in batches; a corrupt gzip stream is a typed EINVAL naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xdpchain-frames-'));
    const bytes = pcap(true);
    writeFileSync(join(dir, 'a.pcap'), bytes);
    writeFileSync(join(dir, 'a.pcap.gz'), gzipSync(bytes));
    const want = readCapture(bytes).records.map((r) => r.data);
    for (const file of ['a.pcap', 'a.pcap.gz']) {
      const got: Uint8Array[] = [];
      for await (const batch of frameBatches(join(dir, file), { batchSize: 100 })) for (let i = 0; i < batch.count; i++) got.push(batch.frame(i).slice());
      expect(got).toEqual(want);
    }
    const corrupt = gzipSync(bytes);
    corrupt.fill(0x55, 40, 80);
    writeFileSync(join(dir, 'bad.pcap.gz'), corrupt);
    await expect(
      (async () => {
        for await (const batch of frameBatches(join(dir, 'bad.pcap.gz'), { batchSize: 100, what: '--pcap bad.pcap.gz' })) void batch;
      })(),
    ).rejects.toThrow(/EINVAL|--pcap bad\.pcap\.gz: gzip stream/);
    await expect(
      (async () => {
        for await (const batch of frameBatches(join(dir, 'none.pcap'), { batchSize: 100, what: '--pcap none.pcap' })) void batch;
      })(),
    ).rejects.toThrow(/--pcap none\.pcap: no such file or directory/);
  });

  it('converts a Linux cooked capture to Ethernet in the batch, with one note', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xdpchain-frames-'));
    const udp = ipv4UdpFrame();
    const cooked = Uint8Array.from([0, 4, 0, 1, 0, 6, ...udp.subarray(6, 12), 0, 0, 8, 0, ...udp.subarray(14)]);
    const s = new ByteSink();
    const w = new PcapWriter(s, { linkType: 113 });
    for (let i = 0; i < 300; i++) w.writePacket(cooked, 1n);
    writeFileSync(join(dir, 'any.pcap'), s.bytes());
    const notes: string[] = [];
    let n = 0;
    for await (const batch of frameBatches(join(dir, 'any.pcap'), { batchSize: 128, note: (t) => notes.push(t) })) {
      for (let i = 0; i < batch.count; i++, n++) expect(batch.frame(i).subarray(6)).toEqual(udp.subarray(6));
    }
    expect(n).toBe(300);
    expect(notes).toHaveLength(1);
  });
});
