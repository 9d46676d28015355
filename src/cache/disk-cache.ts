import { mkdirSync, readFileSync, renameSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { frame, unframe } from './frame.js';
import { trimCache } from './trim.js';

/** Default bound of a cache directory's entries. */
export const DEFAULT_CACHE_BYTES = 64 * 2 ** 20;
/** Entry files' suffix (the rest of the name is the caller's key). */
const SUFFIX = '.entry';
/** Names are hex digests: nothing that could leave the directory or collide with a temporary file. */
const NAME = /^[0-9a-f]{16,128}$/;
/** A process trims the directory on its first write and again after writing this many bytes. */
const TRIM_EVERY_BYTES = 8 * 2 ** 20;

export interface DiskCacheOptions {
  /** Most bytes of entries kept (default DEFAULT_CACHE_BYTES); the least recently used go first. */
  maxBytes?: number;
}

/** What a cache did in this process (for tests and diagnostics). */
export interface DiskCacheStats {
  hits: number;
  misses: number;
  /** Entries found damaged (cut short, changed): counted as misses too, and replaced on the next write. */
  corrupt: number;
  writes: number;
  /** Writes that failed (a directory that cannot be created or written): the cache then only costs a try. */
  failedWrites: number;
}

/**
 * Named byte strings in a directory, for data that is costly to compute and safe to lose (compiled
 * modules: src/vm/module-store.ts). Reads check each entry's integrity (frame.ts), so a damaged
 * file is a miss, never an error; writes go to a temporary file renamed into place, so readers
 * see a whole entry or none, and concurrent writers of one name leave one of theirs. The
 * directory is made on the first write; failures to read or write are misses and lost writes,
 * never exceptions: a cache must not stop the work it speeds up. Without fsync: a crash can leave
 * a damaged entry, which the check catches.
 */
export class DiskCache {
  readonly stats: DiskCacheStats = { hits: 0, misses: 0, corrupt: 0, writes: 0, failedWrites: 0 };
  readonly maxBytes: number;
  private written = 0;
  private trimAt = 0;

  constructor(
    readonly dir: string,
    opts: DiskCacheOptions = {},
  ) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_CACHE_BYTES;
  }

  /** The entry's bytes, or undefined (none, or damaged). A hit marks the entry recently used. */
  get(name: string): Uint8Array | undefined {
    const path = this.path(name);
    let bytes: Uint8Array;
    try {
      const b = readFileSync(path);
      // A plain view: callers compare and keep Uint8Arrays, not Buffers.
      bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch {
      this.stats.misses++;
      return undefined;
    }
    const payload = unframe(bytes);
    if (!payload) {
      this.stats.corrupt++;
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    try {
      const now = new Date();
      utimesSync(path, now, now);
    } catch {
      // Read-only cache: the entry is still good, only its age is not renewed.
    }
    return payload;
  }

  /** Store `bytes` under `name`, replacing what was there; then trim the directory now and then. */
  put(name: string, bytes: Uint8Array): void {
    const path = this.path(name);
    const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      writeFileSync(temp, frame(bytes), { mode: 0o600 });
      renameSync(temp, path);
    } catch {
      this.stats.failedWrites++;
      try {
        unlinkSync(temp);
      } catch {
        // Never written.
      }
      return;
    }
    this.stats.writes++;
    this.written += bytes.length;
    if (this.written >= this.trimAt) {
      this.trimAt = this.written + TRIM_EVERY_BYTES;
      trimCache(this.dir, SUFFIX, this.maxBytes);
    }
  }

  private path(name: string): string {
    if (!NAME.test(name)) throw new Error(`cache entry name ${JSON.stringify(name)} is not a hex digest`);
    return join(this.dir, name + SUFFIX);
  }
}
