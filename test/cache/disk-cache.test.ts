/** The on-disk cache: whole entries or none, damage is a miss, failures are not errors, size is bounded. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiskCache } from '../../src/cache/disk-cache.js';
import { cacheLocation } from '../../src/cache/location.js';

const dir = (): string => join(mkdtempSync(join(tmpdir(), 'xdpchain-cache-')), 'cache');
const name = (i: number): string => i.toString(16).padStart(64, '0');
const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

describe('DiskCache', () => {
  it('gives back what was put, makes its directory on the first write and leaves no temporary file', () => {
    const d = dir();
    const c = new DiskCache(d);
    expect(c.get(name(1))).toBeUndefined();
    expect(existsSync(d)).toBe(false);
    c.put(name(1), bytes(100, 7));
    c.put(name(1), bytes(50, 9));
    expect(c.get(name(1))).toEqual(bytes(50, 9));
    expect(readdirSync(d)).toEqual([`${name(1)}.entry`]);
    expect(c.stats).toEqual({ hits: 1, misses: 1, corrupt: 0, writes: 2, failedWrites: 0 });
  });

  it('takes a damaged entry for a miss, and a write replaces it', () => {
    const d = dir();
    const c = new DiskCache(d);
    const file = join(d, `${name(2)}.entry`);
    c.put(name(2), bytes(200, 3));
    const good = readFileSync(file);
    const flipped = Uint8Array.from(good);
    flipped[100] ^= 1;
    for (const bad of [
      good.subarray(0, good.length - 1),
      good.subarray(0, 10),
      flipped,
      Buffer.alloc(0),
      Buffer.from('not a cache entry at all, just text of some length'),
    ]) {
      writeFileSync(file, bad);
      expect(c.get(name(2))).toBeUndefined();
    }
    expect(c.stats.corrupt).toBe(5);
    c.put(name(2), bytes(200, 3));
    expect(c.get(name(2))).toEqual(bytes(200, 3));
  });

  it('does not throw when it cannot write, and refuses names that are not digests', () => {
    const parent = mkdtempSync(join(tmpdir(), 'xdpchain-cache-'));
    writeFileSync(join(parent, 'file'), 'x');
    const c = new DiskCache(join(parent, 'file', 'cache'));
    c.put(name(3), bytes(10, 1));
    expect(c.get(name(3))).toBeUndefined();
    expect(c.stats.failedWrites).toBe(1);
    for (const bad of ['../x', 'ABC0000000000000', name(1).slice(0, 8), `${name(1)}/x`]) expect(() => c.get(bad)).toThrow(/not a hex digest/);
  });

  it('keeps within its size by removing the least recently used entries, and old temporary files', () => {
    const d = dir();
    const filler = new DiskCache(d);
    for (let i = 0; i < 5; i++) filler.put(name(i), bytes(1000, i));
    const t0 = Date.now() / 1000 - 3600;
    for (let i = 0; i < 5; i++) utimesSync(join(d, `${name(i)}.entry`), t0 + i, t0 + i);
    writeFileSync(join(d, 'dead.1.tmp'), 'x');
    utimesSync(join(d, 'dead.1.tmp'), t0, t0);
    writeFileSync(join(d, 'live.2.tmp'), 'x');
    // Entry 0 is read: now the most recently used of the five.
    expect(filler.get(name(0))).toEqual(bytes(1000, 0));
    const small = new DiskCache(d, { maxBytes: 3500 });
    small.put(name(9), bytes(1000, 9));
    // Six entries of 1044 bytes (44 of frame) are over 3500: the oldest go until three quarters fit.
    expect(readdirSync(d).sort()).toEqual([`${name(0)}.entry`, `${name(9)}.entry`, 'live.2.tmp']);
    expect(statSync(join(d, `${name(9)}.entry`)).size).toBe(1044);
  });
});

describe('cacheLocation', () => {
  it('is $XDPCHAIN_CACHE_DIR, else an absolute $XDG_CACHE_HOME/xdpchain, else ~/.cache/xdpchain', () => {
    expect(cacheLocation({ XDPCHAIN_CACHE_DIR: '/a/b', XDG_CACHE_HOME: '/c', HOME: '/h' })?.path).toBe('/a/b');
    expect(cacheLocation({ XDG_CACHE_HOME: '/c', HOME: '/h' })?.path).toBe('/c/xdpchain');
    expect(cacheLocation({ XDG_CACHE_HOME: 'relative', HOME: '/h' })?.path).toBe('/h/.cache/xdpchain');
    expect(cacheLocation({ HOME: '/h' })?.path).toBe('/h/.cache/xdpchain');
  });
});
