import { closeSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { XdpchainError } from '../errors/index.js';
import { fileError } from './atomic-file.js';

/** Whether a process exists (one of another user counts: we may not signal it, but it lives). */
export const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const sleep = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/** How long a command waits for another to finish with the directory: $XDPCHAIN_LOCK_TIMEOUT_MS, default 30 s. */
export function lockTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const ms = Number(env.XDPCHAIN_LOCK_TIMEOUT_MS);
  return Number.isFinite(ms) && ms >= 0 ? ms : 30_000;
}

/**
 * Create `path` holding `content`, or return false when it exists. The content is written to a
 * file of our own first and hard-linked into place, so no one ever reads the file empty.
 */
function createWith(path: string, content: string): boolean {
  const own = `${path}.${process.pid}.new`;
  writeFileSync(own, content);
  try {
    linkSync(own, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // Filesystems without hard links (vfat, some FUSE): create in place; a reader may then see it empty for a moment.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') return createInPlace(path, content);
    throw e;
  } finally {
    unlinkSync(own);
  }
}

function createInPlace(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The text of a lock file, or undefined when it is gone. */
function contentOf(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** How long a lock file may stay empty before its writer counts as dead (it writes the pid right after creating it). */
const EMPTY_LOCK_GRACE_MS = 2_000;

function emptyForLong(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > EMPTY_LOCK_GRACE_MS;
  } catch {
    return false;
  }
}

const ownerIn = (content: string): number => (/^\d+\n?$/.test(content) ? Number(content) : NaN);

/**
 * Remove a lock whose owner died, under a second lock (`<lock>.break`): without it two waiters
 * that both saw the dead owner could each remove the lock, the second removing the one the
 * first had just taken, and both would be inside.
 */
function breakStale(path: string, staleContent: string): void {
  const guard = `${path}.break`;
  if (!createWith(guard, `${process.pid}\n`)) {
    // A waiter killed while breaking a lock (a window of a few system calls) leaves the guard behind.
    const g = contentOf(guard);
    if (g !== undefined && !processAlive(ownerIn(g))) {
      try {
        unlinkSync(guard);
      } catch {
        /* another waiter removed it first */
      }
    }
    return;
  }
  try {
    // Only the dead owner's file: no one else removes a lock, so it cannot have been replaced since.
    if (contentOf(path) === staleContent) unlinkSync(path);
  } finally {
    unlinkSync(guard);
  }
}

/**
 * An exclusive lock on a state directory: a file created atomically holding the owner's pid.
 * A lock left by a process that died is taken over; a live owner is waited for, then EBUSY.
 */
export class StateLock {
  private constructor(private readonly path: string) {}

  static acquire(path: string, timeoutMs = lockTimeoutMs()): StateLock {
    try {
      return StateLock.take(path, timeoutMs);
    } catch (e) {
      throw e instanceof XdpchainError ? e : fileError(e, path, 'lock');
    }
  }

  private static take(path: string, timeoutMs: number): StateLock {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (createWith(path, `${process.pid}\n`)) return new StateLock(path);
      const content = contentOf(path);
      if (content === undefined) continue;
      // Empty: created in place and not yet written (createInPlace), unless it has stayed so for long.
      if (content === '' && !emptyForLong(path)) {
        sleep(5);
        continue;
      }
      const owner = ownerIn(content);
      if (!Number.isInteger(owner) || !processAlive(owner)) {
        breakStale(path, content);
        continue;
      }
      if (Date.now() > deadline)
        throw new XdpchainError(
          'EBUSY',
          `state directory is locked by process ${owner} (${path}); try again when it finishes, or wait longer with $XDPCHAIN_LOCK_TIMEOUT_MS`,
        );
      // Jitter, so that waiters that woke together do not keep colliding.
      sleep(10 + Math.floor(Math.random() * 20));
    }
  }

  release(): void {
    try {
      unlinkSync(this.path);
    } catch {
      /* already gone */
    }
  }
}
