import { describe, expect, it } from 'vitest';
import { AddressSpace } from '../../src/vm/address-space.js';
import type { XdpBuffer } from '../../src/xdp/buffer.js';
import { XdpAction } from '../../src/xdp/constants.js';
import { Fabric, type RedirectResolver } from '../../src/xdp/fabric.js';
import { KEPT_FAULTS } from '../../src/xdp/inject-result.js';
import type { XdpHook } from '../../src/xdp/netdev.js';

const frame = (n = 60) => new Uint8Array(n).map((_, i) => i);
const hook = (action: number, edit?: (b: XdpBuffer) => void): XdpHook => ({
  description: `fixed ${action}`,
  run: (b) => {
    edit?.(b);
    return { action };
  },
});
const toIfindex: RedirectResolver = {
  resolve: (t) => (t.kind === 'ifindex' ? { kind: 'netdev', ifindexes: [t.ifindex] } : undefined),
};

function fabric(): Fabric {
  return new Fabric(new AddressSpace({ maxDataBytes: 1 << 20 }), toIfindex);
}

describe('Fabric', () => {
  it('numbers devices after loopback and pairs veth ends', () => {
    const f = fabric();
    const a = f.add('veth0', { peer: 'veth1' });
    expect(a.ifindex).toBe(2);
    expect(f.get('veth1').ifindex).toBe(3);
    expect(a.peer?.name).toBe('veth1');
    expect(() => f.add('veth1')).toThrow(expect.objectContaining({ errno: 'EEXIST' }));
    expect(() => f.get('nope')).toThrow(expect.objectContaining({ errno: 'ENODEV' }));
    expect(f.delete('veth1').map((d) => d.name)).toEqual(['veth1', 'veth0']);
    expect(f.list().map((d) => d.name)).toEqual(['lo']);
  });

  it('passes frames to the stack when no program is attached', () => {
    const f = fabric();
    const a = f.add('eth0');
    f.inject(a, [frame()]);
    expect(a.stack).toHaveLength(1);
    expect(a.stats.passed).toBe(1);
  });

  it('drops frames shorter than 14 bytes on receive, before XDP or the stack, and counts them', () => {
    const f = fabric();
    const a = f.add('eth0');
    const b = f.add('eth1');
    b.hook = hook(XdpAction.PASS);
    for (const dev of [a, b]) {
      const r = f.inject(dev, [frame(0), frame(5), frame(13), frame(14)]);
      expect(r.runts).toBe(3);
      expect(dev.stack).toHaveLength(1);
      expect(dev.stats.rxLengthErrors).toBe(3);
      expect(dev.stats.rxPackets).toBe(1);
    }
    expect(f.inject(b, [frame(0), frame(60)]).actions).toEqual({ XDP_PASS: 1 });
  });

  it('sends XDP_TX frames to the peer, whose XDP runs on receive', () => {
    const f = fabric();
    const a = f.add('veth0', { peer: 'veth1' });
    const b = f.get('veth1');
    a.hook = hook(XdpAction.TX, (buf) => f['space'].u8.fill(0xee, buf.data, buf.data + 6));
    b.hook = hook(XdpAction.PASS);
    const r = f.inject(a, [frame()]);
    expect(r.actions).toEqual({ XDP_TX: 1, XDP_PASS: 1 });
    expect(b.stack[0].data.slice(0, 6)).toEqual(new Uint8Array(6).fill(0xee));
  });

  it("redirects out of another device without running that device's XDP", () => {
    const f = fabric();
    const a = f.add('in0');
    const out = f.add('out0', { peer: 'out1' });
    out.hook = hook(XdpAction.DROP);
    a.hook = hook(XdpAction.REDIRECT, (buf) => (buf.redirect = { kind: 'ifindex', ifindex: out.ifindex, flags: 0 }));
    const r = f.inject(a, [frame()]);
    expect(r.actions).toEqual({ XDP_REDIRECT: 1 });
    expect(f.get('out1').stack).toHaveLength(1);
    expect(out.stats.txPackets).toBe(1);
  });

  it('counts a redirect without a target as an error', () => {
    const f = fabric();
    const a = f.add('in0');
    a.hook = hook(XdpAction.REDIRECT);
    f.inject(a, [frame()]);
    expect(a.stats.redirectErrors).toBe(1);
  });

  it('drops frames that bounce between XDP_TX peers forever', () => {
    const f = fabric();
    const a = f.add('veth0', { peer: 'veth1' });
    a.hook = hook(XdpAction.TX);
    f.get('veth1').hook = hook(XdpAction.TX);
    const r = f.inject(a, [frame()]);
    expect(r.loops).toBe(1);
    expect(r.actions.XDP_TX).toBe(f.maxHops + 1);
  });

  it('treats unknown return codes as ABORTED', () => {
    const f = fabric();
    const a = f.add('eth0');
    a.hook = hook(9);
    const r = f.inject(a, [frame()]);
    expect(r.actions).toEqual({ XDP_ABORTED: 1 });
    expect(a.stats.aborted).toBe(1);
  });

  describe('an inject of many frames', () => {
    it('counts every hook run and delivery but keeps only a window of events, and says how many there were', () => {
      const f = fabric();
      f.eventWindow = 3;
      const a = f.add('eth0');
      a.hook = hook(XdpAction.PASS);
      const r = f.inject(
        a,
        Array.from({ length: 10 }, () => frame()),
      );
      expect(r.frames).toBe(10);
      expect(r.hookRuns).toBe(10);
      expect(r.events).toEqual([0, 1, 2].map(() => ({ device: 'eth0', ifindex: a.ifindex, action: 'XDP_PASS', hop: 0 })));
      expect(r.hooks).toEqual([{ device: 'eth0', ifindex: a.ifindex, action: 'XDP_PASS', count: 10 }]);
      expect(r.delivered).toEqual([{ device: 'eth0', ifindex: a.ifindex, stack: 10, wire: 0 }]);
    });

    it('keeps at most keepFrames delivered frames on a device, and counts them all in delivered', () => {
      const f = fabric();
      const a = f.add('veth0', { peer: 'veth1' });
      const out = f.add('eth1');
      a.keepFrames = 5;
      out.keepFrames = 2;
      a.hook = hook(XdpAction.PASS);
      const r = f.inject(
        a,
        Array.from({ length: 8 }, (_, i) => frame(60 + i)),
      );
      expect(a.stack.map((d) => d.data.length)).toEqual([60, 61, 62, 63, 64]);
      expect(a.delivered).toEqual({ stack: 8, wire: 0 });
      expect(r.actions).toEqual({ XDP_PASS: 8 });
      // Frames nobody keeps still reach a listener, every one of them.
      const heard: number[] = [];
      a.onDeliver = (_, d) => heard.push(d.data.length);
      f.inject(a, [frame(70), frame(71)]);
      expect(heard).toEqual([70, 71]);
      expect(a.delivered.stack).toBe(10);
      expect(a.stack).toHaveLength(5);
      // The wire as well: redirected out of a device without a peer.
      a.hook = hook(XdpAction.REDIRECT, (b) => (b.redirect = { kind: 'ifindex', ifindex: out.ifindex, flags: 0 }));
      const w = f.inject(a, [frame(), frame(), frame()]);
      expect(w.delivered).toEqual([{ device: 'eth1', ifindex: out.ifindex, stack: 0, wire: 3 }]);
      expect(out.wire).toHaveLength(2);
      expect(out.delivered.wire).toBe(3);
      expect(out.stats.txPackets).toBe(3);
      expect(out.stats.txBytes).toBe(3 * 60);
    });

    it('counts faults and keeps the first few with their message', () => {
      const f = fabric();
      const a = f.add('eth0');
      let n = 0;
      a.hook = { description: 'faulting', run: () => ({ action: XdpAction.ABORTED, error: new Error(`fault ${n++}`) }) };
      const r = f.inject(
        a,
        Array.from({ length: KEPT_FAULTS + 3 }, () => frame()),
      );
      expect(r.faults).toBe(KEPT_FAULTS + 3);
      expect(r.firstFaults.map((e) => e.error)).toEqual(Array.from({ length: KEPT_FAULTS }, (_, i) => `fault ${i}`));
      expect(r.actions).toEqual({ XDP_ABORTED: KEPT_FAULTS + 3 });
    });

    it('keeps no events when told not to record them, and still counts', () => {
      const f = fabric();
      f.recordEvents = false;
      const a = f.add('eth0');
      const r = f.inject(a, [frame(), frame()]);
      expect(r.events).toEqual([]);
      expect(r.delivered).toEqual([{ device: 'eth0', ifindex: a.ifindex, stack: 2, wire: 0 }]);
    });

    it('reports progress as frames are read, ending with all of them', () => {
      const f = fabric();
      const a = f.add('eth0');
      a.hook = { ...hook(XdpAction.DROP), runEach: (buffers, _dev, each) => buffers.forEach((_, i) => each(i, { action: XdpAction.DROP })) };
      const seen: number[] = [];
      f.inject(
        a,
        Array.from({ length: 150 }, () => frame()),
        { onProgress: (n) => seen.push(n) },
      );
      expect(seen.at(-1)).toBe(150);
      expect(seen).toEqual([...seen].sort((x, y) => x - y));
      expect(seen.length).toBeGreaterThan(1);
    });
  });
});
