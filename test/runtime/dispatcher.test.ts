import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCollectionSpec } from '../../src/elf/index.js';
import { ipv4UdpFrame, ipv6UdpFrame } from '../../src/packet/index.js';
import { orderComponents, type DispatcherComponent } from '../../src/runtime/dispatcher.js';
import type { Program } from '../../src/runtime/program.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { XdpAction } from '../../src/xdp/constants.js';
import { engines } from '../vm/engines.js';
import { returning } from './specs.js';

const object = (name: string) =>
  readCollectionSpec(new Uint8Array(readFileSync(new URL(`../../progs/build/${name}.o`, import.meta.url))), { source: `${name}.o` });
const errnoOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { errno?: string }).errno;
  }
  return 'no error';
};

const modes = engines.flatMap((e) => (['freplace', 'callx'] as const).map((mode) => ({ ...e, mode })));

describe.each(modes)('libxdp-style dispatcher on $name, components reached by $mode (DESIGN §5.2)', ({ name: engine, mode }) => {
  const setup = () => {
    const rt = new Runtime({ engine: engine as 'interp', possibleCpus: 2 });
    const add = rt.dispatchers.add.bind(rt.dispatchers);
    rt.dispatchers.add = (dev, comps, o = {}) => add(dev, comps, { ...o, mode });
    const dev = rt.fabric.add('eth0');
    const prog = (n: string, ret: number): Program => rt.loadProgram(returning(n, ret), new Map());
    const inject = (frame = ipv4UdpFrame()) => Object.keys(rt.fabric.inject(dev, [frame]).actions)[0];
    return { rt, dev, prog, inject };
  };

  it('orders by priority, then name bytes, then arrival, instruction count, tag and load time', () => {
    const { prog } = setup();
    const c = (p: Program, priority: number, sequence: number): DispatcherComponent => ({ program: p, priority, chainCallActions: [2], sequence });
    const a = prog('a', 2);
    const b = prog('b', 2);
    const B = prog('B', 2);
    const a2 = prog('a', 2);
    const ordered = orderComponents([c(b, 50, 0), c(a2, 50, 3), c(a, 50, 1), c(B, 50, 2), c(prog('z', 2), 10, 4)]);
    expect(ordered.map((x) => `${x.program.name}#${x.program.id}`)).toEqual(['z#5', 'B#3', 'a#1', 'a#4', 'b#2']);
  });

  it('takes priority and chain actions from .xdp_run_config, and lets the user override them', () => {
    const { rt, dev } = setup();
    const blocker = rt.loadCollection(object('ipv6_blocker')).program('xdp_ipv6_blocker');
    const counter = rt.loadCollection(object('udp_counter')).program('xdp_udp_counter');
    const st = rt.dispatchers.add(dev, [{ program: counter }, { program: blocker }]);
    expect(st.components.map((c) => [c.program.name, c.priority, c.chainCallActions])).toEqual([
      ['xdp_ipv6_blocker', 10, [XdpAction.PASS]],
      ['xdp_udp_counter', 60, [XdpAction.DROP, XdpAction.PASS]],
    ]);
    expect(rt.fabric.inject(dev, [ipv6UdpFrame()]).actions).toEqual({ XDP_DROP: 1 });
    expect(counter.stats.runCount).toBe(0);
    expect(rt.fabric.inject(dev, [ipv4UdpFrame()]).actions).toEqual({ XDP_PASS: 1 });
    expect(counter.stats.runCount).toBe(1);
    rt.dispatchers.remove(dev, 'all');
    const st2 = rt.dispatchers.add(dev, [{ program: blocker, priority: 70, chainCallActions: [XdpAction.PASS, XdpAction.DROP] }, { program: counter }]);
    expect(st2.components.map((c) => c.program.name)).toEqual(['xdp_udp_counter', 'xdp_ipv6_blocker']);
  });

  it('returns XDP_PASS after the last program when all continued, and stops on an action outside the mask', () => {
    const { dev, rt, prog, inject } = setup();
    rt.dispatchers.add(dev, [
      { program: prog('tx', XdpAction.TX), chainCallActions: [XdpAction.TX] },
      { program: prog('drop', XdpAction.DROP), chainCallActions: [XdpAction.DROP] },
    ]);
    expect(inject()).toBe('XDP_PASS');
    rt.dispatchers.add(dev, [{ program: prog('zz-aborted', XdpAction.ABORTED), priority: 5, chainCallActions: [XdpAction.PASS] }]);
    expect(inject()).toBe('XDP_ABORTED');
  });

  it('stops on return values 32..63 (the fabric sees them as aborted)', () => {
    const { dev, rt, prog } = setup();
    const odd = prog('odd', 40);
    const later = prog('later', XdpAction.DROP);
    rt.dispatchers.add(dev, [{ program: odd, priority: 1, chainCallActions: [0, 1, 2, 3, 4] }, { program: later }]);
    const st = rt.dispatchers.state(dev)!;
    expect(rt.testRun(st.dispatcher!, { data: ipv4UdpFrame() }).retval).toBe(40);
    expect(later.stats.runCount).toBe(0);
  });

  it('with exactly one program, returns its verdict unchanged (no dispatcher runs)', () => {
    const { dev, rt, prog, inject } = setup();
    rt.dispatchers.add(dev, [{ program: prog('drop', XdpAction.DROP), chainCallActions: [XdpAction.DROP] }]);
    expect(rt.dispatchers.state(dev)!.dispatcher).toBeNull();
    expect(inject()).toBe('XDP_DROP');
  });

  it('refuses an 11th program with E2BIG; more slots can be configured', () => {
    const { dev, rt, prog } = setup();
    rt.dispatchers.add(
      dev,
      Array.from({ length: 10 }, (_, i) => ({ program: prog(`p${i}`, XdpAction.PASS) })),
    );
    expect(errnoOf(() => rt.dispatchers.add(dev, [{ program: prog('p10', XdpAction.PASS) }]))).toBe('E2BIG');
    const other = rt.fabric.add('eth1');
    rt.dispatchers.add(
      other,
      Array.from({ length: 20 }, (_, i) => ({ program: prog(`q${i}`, XdpAction.PASS) })),
      { slots: 20 },
    );
    expect(errnoOf(() => rt.dispatchers.add(rt.fabric.add('eth2'), [{ program: prog('r', 2) }], { slots: 64 }))).toBe('EINVAL');
  });

  it('refuses a device running a plain program with EBUSY unless told to replace it', () => {
    const { dev, rt, prog } = setup();
    rt.xdp.attach(dev, prog('plain', XdpAction.PASS));
    expect(errnoOf(() => rt.dispatchers.add(dev, [{ program: prog('a', 2) }]))).toBe('EBUSY');
    rt.dispatchers.add(dev, [{ program: prog('b', 2) }, { program: prog('c', 2) }], { force: true });
    expect(errnoOf(() => rt.xdp.attach(dev, prog('d', 2)))).toBe('EBUSY');
  });

  it('keeps component ids and statistics across adding and removing, swapping the dispatcher each time', () => {
    const { dev, rt, prog, inject } = setup();
    const a = prog('a', XdpAction.PASS);
    const b = prog('b', XdpAction.PASS);
    rt.dispatchers.add(dev, [{ program: a }, { program: b }]);
    const first = rt.dispatchers.state(dev)!.dispatcher!;
    for (let i = 0; i < 5; i++) inject();
    const c = prog('c', XdpAction.PASS);
    rt.dispatchers.add(dev, [{ program: c }]);
    const second = rt.dispatchers.state(dev)!.dispatcher!;
    if (mode === 'freplace') {
      // A new dispatcher is built and swapped in; the old one is gone.
      expect(second.id).not.toBe(first.id);
      expect(rt.program(first.id)).toBeUndefined();
    } else {
      // The callx dispatcher stays; only its table of function pointers was rewritten.
      expect(second).toBe(first);
    }
    for (let i = 0; i < 3; i++) inject();
    rt.dispatchers.remove(dev, [a]);
    inject();
    expect([a, b, c].map((p) => [p.id, p.stats.runCount])).toEqual([
      [a.id, 8],
      [b.id, 9],
      [c.id, 4],
    ]);
    rt.dispatchers.remove(dev, 'all');
    expect(dev.hook).toBeNull();
    expect(rt.links.all()).toEqual([]);
  });
});
