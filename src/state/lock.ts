import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { XdpchainError } from '../errors/index.js';

const alive = (pid: number): boolean => {
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

/**
 * An exclusive lock on a state directory: a file created with O_EXCL holding the owner's pid.
 * A lock left by a process that died is taken over; a live owner is waited for, then EBUSY.
 */
export class StateLock {
  private constructor(private readonly path: string) {}

  static acquire(path: string, timeoutMs = 10_000): StateLock {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const fd = openSync(path, 'wx');
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        return new StateLock(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      let owner = NaN;
      try {
        owner = Number(readFileSync(path, 'utf8').trim());
      } catch {
        continue;
      }
      if (!Number.isInteger(owner) || !alive(owner)) {
        try {
          unlinkSync(path);
        } catch {
          /* another waiter took it over first */
        }
        continue;
      }
      if (Date.now() > deadline) throw new XdpchainError('EBUSY', `state directory is locked by process ${owner} (${path}); try again when it finishes`);
      sleep(20);
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
