import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { StateLock } from '../../src/state/lock.js';

// A filesystem without hard links (vfat, some FUSE) refuses link(2) with EPERM.
const refused = vi.hoisted(() => ({ links: 0 }));
vi.mock('node:fs', async (original) => ({
  ...(await original<typeof import('node:fs')>()),
  linkSync: () => {
    refused.links++;
    throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
  },
}));

const dir = mkdtempSync(join(tmpdir(), 'xdpchain-lock-fallback-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('StateLock where hard links are refused', () => {
  it('creates the lock in place, holding its pid', () => {
    const lock = StateLock.acquire(join(dir, 'lock'), 1_000);
    expect(readFileSync(join(dir, 'lock'), 'utf8')).toBe(`${process.pid}\n`);
    expect(refused.links).toBe(1);
    lock.release();
  });

  it('waits on a lock file that is still empty (being written), and takes it over once it stayed empty for 2 s', () => {
    writeFileSync(join(dir, 'lock'), '');
    const started = Date.now();
    const lock = StateLock.acquire(join(dir, 'lock'), 10_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    expect(readFileSync(join(dir, 'lock'), 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
  });
});
