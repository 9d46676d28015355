import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { XdpchainError, type ErrnoName } from '../errors/index.js';

/** Suffix of the temporary files atomic writes leave behind when the writer is killed. */
export const TEMP_SUFFIX = '.tmp';

/** The temporary file a process writes before renaming it over `path`: per process, so two writers never share one. */
export const tempPathFor = (path: string): string => join(dirname(path), `.${basename(path)}.${process.pid}${TEMP_SUFFIX}`);

/** A filesystem failure as a typed error: the errno name, the path, and what was being done. */
export function fileError(e: unknown, path: string, doing: string): XdpchainError {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const errno: ErrnoName = code === 'EPERM' ? 'EACCES' : isErrnoName(code) ? code : 'EIO';
  return new XdpchainError(errno, `cannot ${doing} ${path}: ${code || (e as Error).message}`, { path });
}

const KNOWN_CODES = new Set<string>(['EACCES', 'EROFS', 'ENOSPC', 'ENOENT', 'EEXIST', 'EIO', 'EBUSY', 'EINVAL']);
const isErrnoName = (code: string): code is ErrnoName => KNOWN_CODES.has(code);

/**
 * Fault injection for the crash test (test/cli/state-crash.test.ts): pause this many ms in the
 * middle of each atomic write, so a SIGKILL sent at a random time often lands inside one.
 */
const pauseMs = (): number => Number(process.env.XDPCHAIN_TEST_WRITE_PAUSE_MS ?? 0);
const sleep = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/** Make a rename or a new file in `dir` durable: the rename itself lives in the directory. */
export function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic, only less durable.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Replace `path` with `data` so that a crash at any point leaves either the old file or the new
 * one, never a mix: write a temporary file in the same directory, fsync it, rename it over
 * `path`, fsync the directory.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const temp = tempPathFor(path);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'w', 0o644);
    const pause = pauseMs();
    const half = pause > 0 ? bytes.length >> 1 : bytes.length;
    writeAll(fd, bytes.subarray(0, half));
    if (pause > 0) sleep(pause);
    writeAll(fd, bytes.subarray(half));
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      /* never created */
    }
    throw fileError(e, path, 'write');
  }
  fsyncDirectory(dirname(path));
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done);
}
