import { describe, expect, it } from 'vitest';
import { AddressSpace } from '../../src/vm/address-space.js';

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
    expect(next.addr).toBe(ctx.addr + 48);
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
