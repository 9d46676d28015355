import { describe, expect, it } from 'vitest';
import { AddressSpace } from '../../src/vm/address-space.js';
import type { XdpBuffer } from '../../src/xdp/buffer.js';
import { XdpAction } from '../../src/xdp/constants.js';
import { Fabric, type RedirectResolver } from '../../src/xdp/fabric.js';
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

  it('redirects out of another device without running that device\'s XDP', () => {
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
});
