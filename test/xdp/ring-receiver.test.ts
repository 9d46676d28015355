import { describe, expect, it } from 'vitest';
import { AddressSpace } from '../../src/vm/address-space.js';
import { XdpBuffer } from '../../src/xdp/buffer.js';
import { XDP_CTX_PRIVATE_BYTES, XDP_FRAME_SIZE, XDP_MAX_LINEAR, XDP_MD_SIZE } from '../../src/xdp/constants.js';
import { HOST_LOADS, RingReceiver } from '../../src/xdp/ring-receiver.js';

const frame = (len: number, seed: number): Uint8Array => new Uint8Array(len).map((_, i) => (i * 7 + seed) | 1);

/** What a program may leave behind in a buffer after a run, done through the buffer's helpers. */
const runs: Record<string, (b: XdpBuffer) => void> = {
  nothing: () => undefined,
  'writes its packet': (b) => b.space.u8.fill(0xee, b.data, b.dataEnd),
  'pushes a header into the headroom and pulls it back': (b) => {
    b.adjustHead(-40);
    b.space.u8.fill(0xaa, b.data, b.data + 40);
    b.adjustHead(40);
  },
  'writes metadata': (b) => {
    b.adjustMeta(-16);
    b.space.u8.fill(0xbb, b.dataMeta, b.data);
  },
  'grows the tail, writes it and shrinks back': (b) => {
    b.adjustTail(300);
    b.space.u8.fill(0xcc, b.dataEnd - 300, b.dataEnd);
    b.adjustTail(-300);
  },
  'grows the tail and keeps it': (b) => {
    b.adjustTail(100);
    b.space.u8.fill(0xdd, b.dataEnd - 100, b.dataEnd);
  },
  'shrinks the tail': (b) => b.adjustTail(-10),
  redirects: (b) => {
    b.redirect = { kind: 'ifindex', ifindex: 9, flags: 0 };
  },
};

/** The frame and the whole context (xdp_md and the hidden fields) as bytes. */
const snapshot = (b: XdpBuffer): Uint8Array => {
  const u8 = b.space.u8;
  const ctx = u8.slice(b.ctx.addr, b.ctx.addr + XDP_MD_SIZE + XDP_CTX_PRIVATE_BYTES);
  const f = u8.slice(b.frame.addr, b.frame.addr + XDP_FRAME_SIZE);
  // Frame and context positions differ per buffer: compare them relative to the frame.
  const dv = new DataView(ctx.buffer);
  for (const off of [0, 4, 8, XDP_MD_SIZE, XDP_MD_SIZE + 24]) {
    const v = dv.getUint32(off, true);
    if (v !== 0xffffffff && v >= b.frame.addr) dv.setUint32(off, v - b.frame.addr, true);
  }
  return Uint8Array.from([...ctx, ...f]);
};

describe('receiving frames into a ring', () => {
  it('leaves each buffer as a fresh load would, after any run, in JS and in compiled code', () => {
    const space = new AddressSpace({ maxDataBytes: 8 << 20 });
    const names = Object.keys(runs);
    const source = space.allocPrivate(1 << 16, 'test frames');
    const viaJs = Array.from({ length: 4 }, () => new XdpBuffer(space));
    const viaCode = Array.from({ length: 4 }, () => new XdpBuffer(space));
    const reference = new XdpBuffer(space);
    for (const b of [...viaJs, ...viaCode, reference]) b.ingressIfindex = 3;
    const receiver = new RingReceiver(space, viaCode.length, 3);
    viaCode.forEach((b, k) => receiver.bind(k, b));
    const lengths = [1500, 60, 200, 14, 3000, 64, 64, 1000];
    for (let round = 0; round < 3 * names.length; round++) {
      const data = Array.from({ length: 4 }, (_, k) => frame(lengths[(round + k) % lengths.length], round * 4 + k));
      data.forEach((d, k) => {
        space.u8.set(d, source + k * 4096);
        viaJs[k].receive(space.u8, source + k * 4096, d.length);
        receiver.set(k, source + k * 4096, d.length);
      });
      receiver.run(4);
      data.forEach((d, k) => {
        reference.load(d);
        const want = snapshot(reference);
        expect(snapshot(viaJs[k]), `JS receive, round ${round}, slot ${k}`).toEqual(want);
        expect(snapshot(viaCode[k]), `compiled receive, round ${round}, slot ${k}`).toEqual(want);
        expect(viaCode[k].frags).toEqual([]);
        // Then a program runs on each, differently.
        for (const b of [viaJs[k], viaCode[k]]) runs[names[(round + k) % names.length]](b);
      });
    }
  });

  it('leaves a slot marked HOST_LOADS untouched, for the host to load (a frame needing fragments)', () => {
    const space = new AddressSpace({ maxDataBytes: 8 << 20 });
    const ring = [new XdpBuffer(space), new XdpBuffer(space)];
    const receiver = new RingReceiver(space, ring.length, 1);
    ring.forEach((b, k) => receiver.bind(k, b));
    const big = frame(XDP_MAX_LINEAR + 500, 1);
    ring[1].load(big);
    const before = snapshot(ring[1]);
    const src = space.allocPrivate(128, 'src');
    space.u8.set(frame(64, 2), src);
    receiver.set(0, src, 64);
    receiver.set(1, 0, HOST_LOADS);
    receiver.run(2);
    expect(ring[0].length).toBe(64);
    expect(snapshot(ring[1])).toEqual(before);
  });
});
