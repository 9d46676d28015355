import { describe, expect, it } from 'vitest';
import { AddressSpace } from '../../src/vm/address-space.js';
import { XdpBuffer } from '../../src/xdp/buffer.js';
import { XDP_MAX_LINEAR, XdpMdField } from '../../src/xdp/constants.js';

const EINVAL = -22;
const EACCES = -13;

function buffer(len = 64, meta = 0): XdpBuffer {
  const space = new AddressSpace({ maxDataBytes: 1 << 20 });
  const b = new XdpBuffer(space);
  b.load(
    new Uint8Array(len).map((_, i) => i & 0xff),
    meta,
  );
  return b;
}

describe('XdpBuffer geometry (kernel test-run layout)', () => {
  it('places data 256 bytes into the frame and mirrors pointers into xdp_md', () => {
    const b = buffer(64);
    expect(b.data - b.hardStart).toBe(256);
    expect(b.length).toBe(64);
    expect(b.space.dv.getUint32(b.ctx.addr + XdpMdField.data, true)).toBe(b.data);
    expect(b.space.dv.getUint32(b.ctx.addr + XdpMdField.data_end, true)).toBe(b.dataEnd);
    expect(b.space.dv.getUint32(b.ctx.addr + XdpMdField.data_meta, true)).toBe(b.data);
  });

  it('takes metadata out of the headroom', () => {
    const b = buffer(64, 8);
    expect(b.dataMeta - b.hardStart).toBe(248);
    expect(b.metaLength).toBe(8);
    expect(b.length).toBe(56);
  });

  it('keeps 3520 bytes linear and puts the rest in page fragments, at most 17', () => {
    expect(XDP_MAX_LINEAR).toBe(3520);
    expect(buffer(3520).frags).toHaveLength(0);
    const b = buffer(3520 + 4096 + 1);
    expect(b.length).toBe(3520);
    expect(b.frags.map((f) => f.size)).toEqual([4096, 1]);
    expect(b.totalLength).toBe(3520 + 4097);
    expect(b.packet()).toEqual(new Uint8Array(3520 + 4097).map((_, i) => i & 0xff));
    expect(() => buffer(3520 + 17 * 4096)).not.toThrow();
    expect(() => buffer(3520 + 17 * 4096 + 1)).toThrow(expect.objectContaining({ errno: 'ENOMEM' }));
  });

  it('the context is read-only to programs, the frame writable', () => {
    const b = buffer();
    expect(b.space.accessible(b.ctx.addr, 4, false)).toBe(true);
    expect(b.space.accessible(b.ctx.addr, 4, true)).toBe(false);
    expect(b.space.accessible(b.data, 8, true)).toBe(true);
  });
});

describe('bpf_xdp_adjust_head', () => {
  it('grows into the headroom down to 216 bytes, not one more', () => {
    const b = buffer();
    expect(b.adjustHead(-217)).toBe(EINVAL);
    expect(b.adjustHead(-216)).toBe(0);
    expect(b.data - b.hardStart).toBe(40);
    expect(b.length).toBe(64 + 216);
  });

  it('must leave at least 14 bytes', () => {
    const b = buffer(64);
    expect(b.adjustHead(51)).toBe(EINVAL);
    expect(b.adjustHead(50)).toBe(0);
    expect(b.length).toBe(14);
  });

  it('moves metadata with the data and counts it against the headroom', () => {
    const b = buffer(64, 8);
    const meta = b.space.u8.slice(b.dataMeta, b.data);
    // data may come down to frame descriptor (40) + metadata (8) = 48 bytes into the frame.
    expect(b.adjustHead(-209)).toBe(EINVAL);
    expect(b.adjustHead(-4)).toBe(0);
    expect(b.metaLength).toBe(8);
    expect(b.space.u8.slice(b.dataMeta, b.data)).toEqual(meta);
  });
});

describe('bpf_xdp_adjust_meta', () => {
  it('is limited by the usable headroom, in multiples of 4', () => {
    const b = buffer();
    expect(b.adjustMeta(-217)).toBe(EINVAL);
    expect(b.adjustMeta(-6)).toBe(EACCES);
    expect(b.adjustMeta(-216)).toBe(0);
    expect(b.metaLength).toBe(216);
    expect(b.adjustMeta(217)).toBe(EINVAL);
    expect(b.adjustMeta(216)).toBe(0);
  });
});

describe('bpf_xdp_adjust_tail', () => {
  it('zeroes grown bytes and stops at the tailroom', () => {
    const b = buffer(64);
    const end = b.dataEnd;
    b.space.u8.fill(0xaa, end, end + 16);
    expect(b.adjustTail(16)).toBe(0);
    expect([...b.space.u8.slice(end, end + 16)]).toEqual(new Array(16).fill(0));
    expect(b.adjustTail(3520 - 80 + 1)).toBe(EINVAL);
    expect(b.adjustTail(3520 - 80)).toBe(0);
    expect(b.length).toBe(3520);
  });

  it('must leave at least 14 bytes', () => {
    const b = buffer(64);
    expect(b.adjustTail(-51)).toBe(EINVAL);
    expect(b.adjustTail(-50)).toBe(0);
  });
});

describe('multi-buffer frames', () => {
  it('copies across the linear part and fragments', () => {
    const b = buffer(3520 + 100);
    const out = new Uint8Array(20);
    b.copy(3510, out, 'load');
    expect([...out]).toEqual(Array.from({ length: 20 }, (_, i) => (3510 + i) & 0xff));
    b.copy(3515, new Uint8Array(10).fill(0xee), 'store');
    expect(b.packet().slice(3515, 3525)).toEqual(new Uint8Array(10).fill(0xee));
  });

  it('grows the last fragment within its page, zeroed', () => {
    const b = buffer(3520 + 100);
    b.frags[0].page.fill(0xaa, 100, 200);
    expect(b.adjustTail(4096 - 100 + 1)).toBe(EINVAL);
    expect(b.adjustTail(50)).toBe(0);
    expect(b.totalLength).toBe(3520 + 150);
    expect([...b.packet().slice(3620, 3670)]).toEqual(new Array(50).fill(0));
  });

  it('shrinks from the end, releasing fragments, then the linear part', () => {
    const b = buffer(3520 + 4096 + 10);
    expect(b.adjustTail(-(3520 + 4106 - 14) - 1)).toBe(EINVAL);
    expect(b.adjustTail(-20)).toBe(0);
    expect(b.frags.map((f) => f.size)).toEqual([4086]);
    expect(b.adjustTail(-4086 - 6)).toBe(0);
    expect(b.frags).toHaveLength(0);
    expect(b.length).toBe(3514);
  });
});

describe('XdpBuffer.copyAt (bpf_xdp_load_bytes / store_bytes by address)', () => {
  it('copies like copy() on linear and fragmented frames, and moves overlapping ranges within the packet', () => {
    for (const len of [64, XDP_MAX_LINEAR + 100]) {
      const b = buffer(len);
      const scratch = b.space.alloc(256, 'scratch');
      const offset = Math.max(0, len - 80); // in the fragment for the long frame
      const viaCopy = new Uint8Array(60);
      b.copy(offset, viaCopy, 'load');
      b.copyAt(offset, scratch.addr, 60, 'load');
      expect(b.space.u8.slice(scratch.addr, scratch.addr + 60)).toEqual(viaCopy);
      b.space.u8.fill(0xab, scratch.addr, scratch.addr + 60);
      b.copyAt(offset, scratch.addr, 60, 'store');
      const back = new Uint8Array(60);
      b.copy(offset, back, 'load');
      expect(back).toEqual(new Uint8Array(60).fill(0xab));
    }
    // The source is the packet itself, 4 bytes ahead: memmove semantics.
    const b = buffer(64);
    const expected = b.packet().slice();
    expected.copyWithin(10, 14, 34);
    b.copyAt(10, b.data + 14, 20, 'store');
    expect(b.packet()).toEqual(expected);
  });
});

describe('fragments in the address space and XdpBuffer.pointer (bpf_xdp_pointer)', () => {
  const EFAULT = -14;

  it('gives fragment pages as writable regions a program may use, freed with the buffer', () => {
    const b = buffer(XDP_MAX_LINEAR + 4096 + 10);
    const [f0, f1] = b.frags;
    expect(b.space.accessible(f0.addr, 4096, true)).toBe(true);
    expect(b.space.u8[f1.addr + 9]).toBe((XDP_MAX_LINEAR + 4096 + 9) & 0xff);
    b.space.u8[f1.addr] = 0xee;
    expect(b.packet()[XDP_MAX_LINEAR + 4096]).toBe(0xee);
    b.free();
    expect(b.space.accessible(f0.addr, 1, false)).toBe(false);
  });

  it('reuses its pages for the next frame, with the old bytes cleared', () => {
    const b = buffer(XDP_MAX_LINEAR + 100);
    const addr = b.frags[0].addr;
    b.load(new Uint8Array(XDP_MAX_LINEAR + 10));
    expect(b.frags[0].addr).toBe(addr);
    expect([...b.frags[0].page.subarray(0, 200)]).toEqual(new Array(200).fill(0));
  });

  it('points into the linear part or one fragment, and refuses ranges that span pieces or leave the packet', () => {
    const b = buffer(XDP_MAX_LINEAR + 4096 + 100);
    const [f0, f1] = b.frags;
    expect(b.pointer(0, 14)).toBe(b.data);
    expect(b.pointer(XDP_MAX_LINEAR - 8, 8)).toBe(b.data + XDP_MAX_LINEAR - 8);
    expect(b.pointer(XDP_MAX_LINEAR - 4, 8)).toBe(0);
    expect(b.pointer(XDP_MAX_LINEAR, 8)).toBe(f0.addr);
    expect(b.pointer(XDP_MAX_LINEAR + 4092, 8)).toBe(0);
    expect(b.pointer(XDP_MAX_LINEAR + 4096 + 92, 8)).toBe(f1.addr + 92);
    expect(b.pointer(XDP_MAX_LINEAR + 4096 + 93, 8)).toBe(EINVAL);
    expect(b.pointer(0x10000, 1)).toBe(EFAULT);
    expect(b.pointer(0, 0x10000)).toBe(EFAULT);
    // A zero-length range at the very end gives the start of the linear part, as the kernel's loop leaves it.
    expect(b.pointer(b.totalLength, 0)).toBe(b.data);
  });

  it('copies only the part of a range inside the packet, leaving the rest of the buffer alone (bpf_xdp_copy_buf)', () => {
    for (const len of [64, XDP_MAX_LINEAR + 100]) {
      const b = buffer(len);
      const scratch = b.space.alloc(16, 'scratch');
      b.space.u8.fill(0x77, scratch.addr, scratch.addr + 16);
      b.copyAt(len - 4, scratch.addr, 16, 'load');
      expect([...b.space.u8.subarray(scratch.addr, scratch.addr + 16)]).toEqual([...[4, 3, 2, 1].map((k) => (len - k) & 0xff), ...new Array(12).fill(0x77)]);
      b.copyAt(len + 4, scratch.addr, 16, 'load');
      expect(b.space.u8[scratch.addr]).toBe((len - 4) & 0xff);
    }
  });
});
