/**
 * Untouched memory costs nothing: a runtime with the full 4 GiB address space, a 2.5 GiB region
 * and maps of hundreds of megabytes take almost no resident memory until programs use them.
 * Measured in a fresh process (the built dist/), as RSS is shared by every test running here.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const repo = new URL('../../', import.meta.url).pathname;

const script = `
const { Runtime } = await import(${JSON.stringify(`${repo}dist/runtime/runtime.js`)});
const { createMap } = await import(${JSON.stringify(`${repo}dist/maps/create.js`)});
const rss = () => process.memoryUsage().rss;
const spec = (name, type, keySize, valueSize, maxEntries) => ({ name, type, keySize, valueSize, maxEntries, flags: 0, pinning: 'none', contents: [], frozen: false, keyTypeId: 0, valueTypeId: 0 });
const out = {};
let before = rss();
const rt = new Runtime({ engine: 'interp', possibleCpus: 1 });
out.runtime = rss() - before;
out.limit = rt.space.maxDataBytes;
before = rss();
const region = rt.space.alloc(2.5 * 2 ** 30, 'filler');
out.touched = rt.space.accessible(region.addr + 2 ** 31, 8, true);
out.region = rss() - before;
before = rss();
for (const s of [spec('ch_rings', 'array', 4, 4, 512 * 65537), spec('big', 'array', 4, 4, 33554432), spec('flows', 'hash', 16, 40, 1 << 20), spec('lru', 'lru_hash', 16, 40, 1 << 20)]) {
  createMap(s, { space: rt.space, possibleCpus: 1, registry: rt.maps });
}
out.maps = rss() - before;
console.log(JSON.stringify(out));
`;

describe('memory cost of a large address space', () => {
  it('creates a 4 GiB runtime, a 2.5 GiB region and 600 MB of maps with little resident memory', () => {
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as Record<string, number | boolean>;
    const MiB = 2 ** 20;
    expect(out.limit).toBe(4026531840);
    expect(out.touched).toBe(true);
    expect(out.runtime).toBeLessThan(16 * MiB);
    // Marked up front, the region's shadow would be 160 MiB; the maps' shadow and slot lists over 50 MiB.
    expect(out.region).toBeLessThan(16 * MiB);
    expect(out.maps).toBeLessThan(16 * MiB);
  });
});
