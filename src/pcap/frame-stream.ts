import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import * as zlib from 'node:zlib';
import { MalformedInputError, systemError, XdpchainError } from '../errors/index.js';
import { EthernetConverter } from './ethernet.js';
import { FrameBatch } from './frame-batch.js';
import { CaptureReader, type ReaderStorage } from './read.js';

/** How to stream a capture in batches. */
export interface FrameStreamOptions {
  /** Frames per batch (the packet ring's size). */
  batchSize: number;
  /** Names the file in errors: the option that chose it (`--pcap x.pcap`); default the path. */
  what?: string;
  /** Hears one line per link type converted to Ethernet. */
  note?: (text: string) => void;
  /** Hears the compressed or plain bytes read so far, for progress. */
  onRead?: (bytes: number) => void;
  /** Where the reader keeps what it read (a replay gives it wasm memory, so frames are copied in compiled code). */
  storage?: ReaderStorage;
}

/** Bytes per read: large, so a capture costs a few hundred reads per gigabyte. */
const CHUNK_BYTES = 8 << 20;

type Compression = 'gzip' | 'zstd' | undefined;

/** gzip (1f 8b) and zstd (28 b5 2f fd) by their magic numbers, whatever the file is called. */
function compressionOf(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return undefined;
}

const HINT = 'give a pcap or pcapng file';

/** A failure reading the user's file, typed: a system call's errno, or a corrupt compressed stream. */
function readFailure(e: unknown, what: string, compression: Compression): Error {
  if (e instanceof XdpchainError) return e;
  const typed = systemError(e, what, HINT);
  if (typed) return typed;
  if (compression && e instanceof Error && typeof (e as { code?: unknown }).code === 'string') {
    return new MalformedInputError(`${what}: ${compression} stream`, e.message);
  }
  return e instanceof Error ? e : new Error(String(e));
}

async function sniff(path: string, what: string): Promise<Uint8Array> {
  const head = new Uint8Array(4);
  try {
    const fh = await open(path, 'r');
    try {
      await fh.read(head, 0, 4, 0);
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw readFailure(e, what, undefined);
  }
  return head;
}

function decompressor(kind: 'gzip' | 'zstd', what: string): NodeJS.ReadWriteStream {
  if (kind === 'gzip') return zlib.createGunzip({ chunkSize: 1 << 20 });
  const zstd = (zlib as unknown as { createZstdDecompress?: () => NodeJS.ReadWriteStream }).createZstdDecompress;
  if (!zstd)
    throw new XdpchainError(
      'EOPNOTSUPP',
      `${what}: a zstd-compressed capture needs Node 22.15 or later to read (zlib has no zstd here); decompress it first: zstd -d`,
    );
  return zstd();
}

/**
 * The frames of a capture file (pcap or pcapng, plain, gzip or zstd) as Ethernet frames, in
 * batches of up to `batchSize`, streamed: memory stays the same whatever the file's size. The
 * same FrameBatch object comes back each time, its frames valid until the loop asks for the next.
 */
export async function* frameBatches(path: string, opts: FrameStreamOptions): AsyncGenerator<FrameBatch, CaptureReader> {
  const what = opts.what ?? path;
  const compression = compressionOf(await sniff(path, what));
  const reader = new CaptureReader(path, opts.storage);
  const converter = new EthernetConverter(path, opts.note ?? (() => undefined));
  const batch = new FrameBatch(opts.batchSize);
  let records = 0;
  let read = 0;
  /** The batches the bytes read so far complete. */
  function* drain(): Generator<FrameBatch> {
    while (reader.fill(batch) > 0) {
      converter.convertBatch(batch, records + 1);
      records += batch.count;
      yield batch;
    }
  }
  if (!compression) {
    // A plain file is read straight into the reader's storage: no chunk objects, no copy.
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw readFailure(e, what, undefined);
    }
    try {
      for (;;) {
        const n = reader.readInto(CHUNK_BYTES, (into) => {
          try {
            return readSync(fd, into, 0, into.length, null);
          } catch (e) {
            throw readFailure(e, what, undefined);
          }
        });
        if (n === 0) break;
        opts.onRead?.((read += n));
        yield* drain();
      }
    } finally {
      closeSync(fd);
    }
  } else {
    const file = createReadStream(path, { highWaterMark: CHUNK_BYTES });
    const input = file.pipe(decompressor(compression, what));
    file.on('error', (e) => input.emit('error', e));
    if (opts.onRead) file.on('data', (c: string | Buffer) => opts.onRead!((read += c.length)));
    try {
      for await (const chunk of input as AsyncIterable<Buffer>) {
        reader.push(chunk);
        yield* drain();
      }
    } catch (e) {
      throw readFailure(e, what, compression);
    } finally {
      file.destroy();
    }
  }
  reader.finish();
  return reader;
}
