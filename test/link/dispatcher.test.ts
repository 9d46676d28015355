/** Statically linked dispatchers on xdpchain: order, configuration and the dispatcher's run rules. */
import { describe, expect, it } from 'vitest';
import { readCollectionSpec } from '../../src/elf/index.js';
import { ProgramBuilder } from '../../src/isa/builder.js';
import { linkDispatcher, linkDispatcherSpecs, type DispatcherComponentInput } from '../../src/link/dispatcher.js';
import { ipv4UdpFrame, ipv6UdpFrame } from '../../src/packet/index.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { CollectionSpec } from '../../src/object-spec/collection-spec.js';
import { XdpBtfIds, xdpFunctionsBtf } from '../../src/xdp/dispatcher/btf.js';
import { configLayout } from '../../src/xdp/dispatcher/program.js';
import { corpus } from './objects.js';

const PASS = 2;
const DROP = 1;
const TX = 3;

/** An XDP program `name` that returns `code`, with the BTF a dispatcher component needs. */
function returning(name: string, code: number): CollectionSpec {
  const b = new ProgramBuilder();
  b.emit({ kind: 'alu', bits: 64, op: 'mov', dst: 0, src: { imm: code } });
  b.emit({ kind: 'exit' });
  const btf = xdpFunctionsBtf([name]);
  return {
    programs: new Map([
      [
        name,
        {
          name,
          sectionName: 'xdp',
          type: 'xdp',
          attachType: 'xdp',
          flags: 0,
          instructions: b.build(),
          references: [],
          license: 'GPL',
          kernelVersion: 0,
          funcInfo: [{ slot: 0, typeId: XdpBtfIds.firstFunc, name }],
          lineInfo: [],
          btf,
          warnings: [],
        },
      ],
    ]),
    maps: new Map(),
    license: 'GPL',
    btf,
    source: `${name}.o`,
  };
}

function verdict(components: DispatcherComponentInput[], frame = ipv4UdpFrame()): number {
  const spec = linkDispatcherSpecs(components).spec;
  const rt = new Runtime({ possibleCpus: 1 });
  const coll = rt.loadCollection(spec);
  const out = rt.testRun(coll.program([...spec.programs.keys()][0]), { data: frame });
  if (out.fault) throw out.fault;
  return out.retval;
}

describe('ordering and configuration', () => {
  it('orders by priority (from .xdp_run_config, else 50), then by name, and writes the masks', () => {
    const r = linkDispatcherSpecs([{ spec: corpus('udp_counter') }, { spec: corpus('firewall') }, { spec: corpus('ipv6_blocker') }, { spec: corpus('nat') }]);
    expect(r.order.map((c) => [c.program.name, c.priority, c.chainCallActions])).toEqual([
      ['xdp_ipv6_blocker', 10, [PASS]],
      ['xdp_firewall', 50, [PASS]],
      ['xdp_nat', 50, [PASS]],
      ['xdp_udp_counter', 60, [DROP, PASS]],
    ]);
    expect([...r.spec.programs.keys()]).toEqual(['xdp_dispatcher']);
    const p = r.spec.programs.get('xdp_dispatcher')!;
    expect(p.funcInfo.filter((f) => f.slot > 0 && f.name.startsWith('xdp_')).map((f) => f.name)).toEqual([
      'xdp_ipv6_blocker',
      'xdp_firewall',
      'xdp_nat',
      'xdp_udp_counter',
    ]);
    expect(p.funcInfo.some((f) => /^prog\d+$/.test(f.name))).toBe(false);
    const config = r.spec.maps.get('.rodata')!.initialData!;
    const dv = new DataView(config.buffer, config.byteOffset);
    const layout = configLayout(4);
    expect(config[layout.numEnabled]).toBe(4);
    expect([0, 1, 2, 3].map((k) => dv.getUint32(layout.actions(k), true) >>> 0)).toEqual([0x80000004, 0x80000004, 0x80000004, 0x80000006]);
    expect([0, 1, 2, 3].map((k) => dv.getUint32(layout.priorities(k), true))).toEqual([10, 50, 50, 60]);
  });

  it('takes priority and actions overrides, and the program chosen in an object with several', () => {
    const r = linkDispatcherSpecs([
      { spec: corpus('vlan'), program: 'xdp_vlan_pop', priority: 5, chainCallActions: [PASS, TX] },
      { spec: corpus('ipv6_blocker'), priority: 20 },
    ]);
    expect(r.order.map((c) => [c.program.name, c.priority, c.chainCallActions])).toEqual([
      ['xdp_vlan_pop', 5, [PASS, TX]],
      ['xdp_ipv6_blocker', 20, [PASS]],
    ]);
    expect(() => linkDispatcherSpecs([{ spec: corpus('vlan') }, { spec: corpus('xdp_pass') }])).toThrow(/vlan: has 2 XDP programs; choose one/);
    expect(() => linkDispatcherSpecs([{ spec: corpus('firewall') }, { spec: corpus('firewall') }])).toThrow(/xdp_firewall is given twice/);
  });

  it('with one component, is that program alone', () => {
    const r = linkDispatcherSpecs([{ spec: corpus('ipv6_blocker') }]);
    expect([...r.spec.programs.keys()]).toEqual(['xdp_ipv6_blocker']);
    expect(r.spec.programs.get('xdp_ipv6_blocker')!.instructions).toEqual(corpus('ipv6_blocker').programs.get('xdp_ipv6_blocker')!.instructions);
  });
});

describe('run rules (DESIGN §5.2)', () => {
  it("stops at the first verdict outside the slot's actions", () => {
    expect(verdict([{ spec: returning('a_pass', PASS) }, { spec: returning('b_tx', TX) }, { spec: returning('c_drop', DROP) }])).toBe(TX);
    expect(verdict([{ spec: returning('a_drop', DROP), chainCallActions: [PASS] }, { spec: returning('b_tx', TX) }])).toBe(DROP);
  });

  it('returns XDP_PASS when every program continued, not the last verdict', () => {
    expect(verdict([{ spec: returning('a_pass', PASS) }, { spec: returning('b_drop', DROP), chainCallActions: [DROP] }])).toBe(PASS);
  });

  it('stops on return values of 32 and more, continues on 31', () => {
    expect(verdict([{ spec: returning('a_40', 40), chainCallActions: [PASS] }, { spec: returning('b_tx', TX) }])).toBe(40);
    expect(verdict([{ spec: returning('a_31', 31) }, { spec: returning('b_tx', TX) }])).toBe(TX);
  });

  it('runs corpus programs with their maps: IPv6 stops at the blocker, the counter only sees what passed', () => {
    const spec = readCollectionSpec(linkDispatcher([{ spec: corpus('udp_counter') }, { spec: corpus('ipv6_blocker') }, { spec: corpus('firewall') }]));
    const rt = new Runtime({ possibleCpus: 1 });
    const coll = rt.loadCollection(spec);
    const prog = coll.program('xdp_dispatcher');
    expect(rt.testRun(prog, { data: ipv6UdpFrame() }).retval).toBe(DROP);
    expect(rt.testRun(prog, { data: ipv4UdpFrame() }).retval).toBe(PASS);
    const totals = coll.map('udp_totals').lookup(Uint8Array.of(0, 0, 0, 0))!;
    expect(new DataView(totals.buffer, totals.byteOffset).getBigUint64(0, true)).toBe(1n);
    const seen = coll.map('ipv6_blocker_seen');
    expect(seen.lookup(Uint8Array.of(1, 0, 0, 0))![0]).toBe(1);
    expect(seen.lookup(Uint8Array.of(0, 0, 0, 0))![0]).toBe(1);
  });
});
