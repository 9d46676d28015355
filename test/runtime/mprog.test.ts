import { describe, expect, it } from 'vitest';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { MPROG_MAX } from '../../src/runtime/mprog.js';
import type { Program } from '../../src/runtime/program.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { XdpAction } from '../../src/xdp/constants.js';
import { engines } from '../vm/engines.js';
import { returning } from './specs.js';

const errnoOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { errno?: string }).errno;
  }
  return 'no error';
};

describe.each(engines)('ordered program lists with bpf_mprog rules on $name (DESIGN §5.4)', ({ name }) => {
  const setup = () => {
    const rt = new Runtime({ engine: name as 'interp', possibleCpus: 1 });
    const dev = rt.fabric.add('eth0');
    const prog = (n: string, ret: number = XdpAction.PASS): Program => rt.loadProgram(returning(n, ret), new Map());
    const order = () => rt.mprogs.hook(dev)?.entries.map((e) => e.program.name) ?? [];
    return { rt, dev, prog, order };
  };

  it('places programs first, last, before and after an anchor, and replaces in place', () => {
    const { rt, dev, prog, order } = setup();
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((n) => prog(n));
    rt.mprogs.attach(dev, a);
    rt.mprogs.attach(dev, b, { after: true });
    rt.mprogs.attach(dev, c, { before: true });
    rt.mprogs.attach(dev, d, { before: { program: b } });
    rt.mprogs.attach(dev, e, { after: { program: c }, before: { program: a } });
    expect(order()).toEqual(['c', 'e', 'a', 'd', 'b']);
    rt.mprogs.attach(dev, prog('x'), { replace: a });
    expect(order()).toEqual(['c', 'e', 'x', 'd', 'b']);
  });

  it('bumps the revision on every commit and refuses a stale expected revision with ESTALE', () => {
    const { rt, dev, prog } = setup();
    const a = prog('a');
    expect(rt.mprogs.attach(dev, a, { expectedRevision: 1 }).revision).toBe(2);
    expect(errnoOf(() => rt.mprogs.attach(dev, prog('b'), { expectedRevision: 1 }))).toBe('ESTALE');
    expect(rt.mprogs.attach(dev, prog('c'), { expectedRevision: 2 }).revision).toBe(3);
    expect(errnoOf(() => rt.mprogs.detach(dev, a, { expectedRevision: 2 }))).toBe('ESTALE');
    expect(rt.mprogs.detach(dev, a, { expectedRevision: 3 })).toBe(4);
  });

  it('uses the kernel errnos: EEXIST twice, ENOENT missing anchors, ERANGE conflicting anchors and the 63 limit', () => {
    const { rt, dev, prog } = setup();
    const a = prog('a');
    const b = prog('b');
    rt.mprogs.attach(dev, a);
    rt.mprogs.attach(dev, b);
    expect(errnoOf(() => rt.mprogs.attach(dev, a))).toBe('EEXIST');
    expect(errnoOf(() => rt.mprogs.attach(dev, prog('c'), { before: { program: prog('ghost') } }))).toBe('ENOENT');
    expect(errnoOf(() => rt.mprogs.attach(dev, prog('d'), { before: { program: a }, after: { program: b } }))).toBe('ERANGE');
    expect(errnoOf(() => rt.mprogs.detach(dev, prog('not-attached')))).toBe('ENOENT');
    expect(errnoOf(() => rt.mprogs.detach(dev, a, { before: { program: a } }))).toBe('ERANGE');
    for (let i = 2; i < MPROG_MAX; i++) rt.mprogs.attach(dev, prog(`p${i}`));
    expect(rt.mprogs.hook(dev)!.entries).toHaveLength(63);
    expect(errnoOf(() => rt.mprogs.attach(dev, prog('p63')))).toBe('ERANGE');
  });

  it('anchors on links; link-owned entries only leave with their link', () => {
    const { rt, dev, prog, order } = setup();
    const a = prog('a');
    const { link } = rt.mprogs.attach(dev, a, { link: true });
    rt.mprogs.attach(dev, prog('b'), { before: { link: link!.id } });
    expect(order()).toEqual(['b', 'a']);
    expect(errnoOf(() => rt.mprogs.detach(dev, a))).toBe('EBUSY');
    rt.links.detach(link!.id);
    expect(order()).toEqual(['b']);
  });

  it('runs in order: XDP_PASS continues, another verdict ends, all passing gives XDP_PASS', () => {
    const { rt, dev, prog } = setup();
    const first = prog('first');
    const dropper = prog('dropper', XdpAction.DROP);
    const never = prog('never', XdpAction.TX);
    for (const p of [first, dropper, never]) rt.mprogs.attach(dev, p);
    expect(rt.fabric.inject(dev, [ipv4UdpFrame()]).actions).toEqual({ XDP_DROP: 1 });
    expect([first.stats.runCount, dropper.stats.runCount, never.stats.runCount]).toEqual([1, 1, 0]);
    rt.mprogs.detach(dev, dropper);
    rt.mprogs.detach(dev, never);
    expect(rt.fabric.inject(dev, [ipv4UdpFrame()]).actions).toEqual({ XDP_PASS: 1 });
  });

  it('does not share a device with a plain program or a dispatcher (EBUSY)', () => {
    const { rt, dev, prog } = setup();
    rt.xdp.attach(dev, prog('plain'));
    expect(errnoOf(() => rt.mprogs.attach(dev, prog('a')))).toBe('EBUSY');
    const other = rt.fabric.add('eth1');
    rt.mprogs.attach(other, prog('b'));
    expect(errnoOf(() => rt.xdp.attach(other, prog('c')))).toBe('EBUSY');
    expect(errnoOf(() => rt.dispatchers.add(other, [{ program: prog('d') }]))).toBe('EBUSY');
  });
});
