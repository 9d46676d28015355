import { describe, expect, it } from 'vitest';
import { AddressSpace, GRANULE, MAX_DATA_BYTES } from '../../src/vm/address-space.js';

describe('AddressSpace', () => {
  it('marks regions accessible, read-only on request, and inaccessible once freed', () => {
    const space = new AddressSpace({ maxDataBytes: 1 << 20 });
    const r = space.alloc(24, 'ctx');
    expect(space.accessible(r.addr, 24, true)).toBe(true);
    expect(space.accessible(r.addr + 20, 8, false)).toBe(false);
    expect(space.accessible(0, 1, false)).toBe(false);
    space.free(r);
    expect(space.accessible(r.addr, 1, false)).toBe(false);
  });

  it('frees a region that was made read-only after allocation (regression: freeze then close a map)', () => {
    const space = new AddressSpace({ maxDataBytes: 1 << 20 });
    const r = space.alloc(16, 'map .rodata values');
    space.setReadOnly(r, true);
    expect(space.accessible(r.addr, 16, true)).toBe(false);
    expect(() => space.free(r)).not.toThrow();
    expect(() => space.free(r)).toThrow(/not allocated/);
  });

  it('reuses freed regions of the same size, zeroed', () => {
    const space = new AddressSpace({ maxDataBytes: 1 << 20 });
    const a = space.alloc(32, 'a');
    space.u8.fill(7, a.addr, a.addr + 32);
    space.free(a);
    const b = space.alloc(32, 'b');
    expect(b.addr).toBe(a.addr);
    expect([...space.u8.subarray(b.addr, b.addr + 32)]).toEqual(new Array(32).fill(0));
  });

  it('keeps a private tail out of reach, allocated and freed with its region', () => {
    const space = new AddressSpace({ maxDataBytes: 1 << 20 });
    const ctx = space.alloc(24, 'ctx', { readOnly: true, privateTail: 24 });
    const next = space.alloc(16, 'next');
    expect(next.addr).toBe(ctx.addr + GRANULE);
    expect(space.accessible(ctx.addr, 24, false)).toBe(true);
    for (let off = 24; off < 48; off += 4) expect(space.accessible(ctx.addr + off, 4, false)).toBe(false);
    space.u8.fill(9, ctx.addr + 24, ctx.addr + 48);
    space.free(ctx);
    const again = space.alloc(48, 'again');
    expect(again.addr).toBe(ctx.addr);
    expect([...space.u8.subarray(again.addr + 24, again.addr + 48)]).toEqual(new Array(24).fill(0));
  });

  it('names the region near a faulting address', () => {
    const space = new AddressSpace({ maxDataBytes: 1 << 20 });
    const r = space.alloc(8, 'stack');
    expect(space.describe(r.addr + 6, 4)).toMatch(/runs 2 bytes past the end of stack/);
    expect(space.describe(8)).toMatch(/NULL pointer/);
  });
});

const GiB = 2 ** 30;
const MiB = 2 ** 20;

describe('AddressSpace above 2 GiB', () => {
  it('defaults to the largest limit: 3.75 GiB of data in a 4 GiB memory, grown only as regions need it', () => {
    const space = new AddressSpace();
    expect(space.maxDataBytes).toBe(MAX_DATA_BYTES);
    expect(MAX_DATA_BYTES).toBe(4026531840);
    expect(space.limit).toBe(2 ** 32);
    expect(space.memory.buffer.byteLength).toBeLessThan(512 * MiB);
    expect(() => new AddressSpace({ maxDataBytes: MAX_DATA_BYTES + 1 })).toThrow(/at most 4026531840 bytes/);
  });

  it('checks regions above 2 GiB as unsigned addresses: in bounds, one byte past the end, read-only', () => {
    const space = new AddressSpace();
    space.allocPrivate(2.5 * GiB, 'filler');
    const r = space.alloc(40, 'high');
    expect(r.addr).toBeGreaterThan(2 ** 31);
    expect(space.accessible(r.addr, 40, true)).toBe(true);
    expect(space.accessible(r.addr + 32, 8, true)).toBe(true);
    expect(space.accessible(r.addr + 33, 8, false)).toBe(false);
    expect(space.accessible(r.addr - 1, 1, false)).toBe(false);
    expect(() => space.check(r.addr + 33, 8)).toThrow(/runs 1 bytes past the end of high/);
    const ro = space.setReadOnly(r, true);
    expect(space.accessible(r.addr, 8, false)).toBe(true);
    expect(space.accessible(r.addr, 8, true)).toBe(false);
    space.free(ro);
    expect(space.accessible(r.addr, 8, false)).toBe(false);
  });

  it('marks a large region a chunk at a time, on first touch, and forgets the chunks it marked when freed', () => {
    const space = new AddressSpace();
    const r = space.alloc(300 * 1000 * 1000, 'big');
    const entry = (addr: number) => space.u32[Math.floor(addr / GRANULE)];
    const middle = r.addr + 150 * 1000 * 1000;
    expect(entry(middle)).toBe(0);
    expect(space.materialize(middle)).toBe(true);
    expect(space.materialize(middle)).toBe(false);
    expect(entry(middle)).not.toBe(0);
    expect(entry(r.addr)).toBe(0);
    expect(space.accessible(r.addr, 8, true)).toBe(true);
    expect(space.accessible(r.addr + r.size - 8, 8, true)).toBe(true);
    expect(space.accessible(r.addr + r.size - 7, 8, false)).toBe(false);
    const ro = space.setReadOnly(r, true);
    expect(space.accessible(middle, 8, true)).toBe(false);
    expect(space.accessible(r.addr + 100 * MiB, 8, true)).toBe(false);
    space.free(ro);
    expect(entry(middle)).toBe(0);
    expect(entry(r.addr)).toBe(0);
    expect(space.accessible(middle, 1, false)).toBe(false);
  });

  it('allows any access inside a region larger than 2 GiB, whose entries saturate, and none past its end', () => {
    const space = new AddressSpace();
    const r = space.alloc(2.5 * GiB + 5, 'huge');
    const end = r.addr + r.size;
    expect(space.accessible(r.addr, 8, true)).toBe(true);
    expect(space.accessible(r.addr, r.size, false)).toBe(true);
    expect(space.accessible(r.addr, r.size + 1, false)).toBe(false);
    expect(space.accessible(2 ** 31 - 4, 8, true)).toBe(true);
    expect(space.accessible(end - 8, 8, true)).toBe(true);
    expect(space.accessible(end - 4, 8, true)).toBe(false);
    expect(space.accessible(end, 1, false)).toBe(false);
  });

  it('refuses a region that does not fit, naming it, its size, the limit and how to raise it', () => {
    const space = new AddressSpace({ maxDataBytes: 1 << 20 });
    expect(() => space.alloc(2 << 20, 'map big values')).toThrow(
      /map big values needs 2097152 bytes, but the address space has \d+ of its 1048576-byte limit free \(raise the limit with --max-memory <size> \(maxDataBytes in RuntimeOptions\)/,
    );
  });
});
