import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCollectionSpec } from '../../src/elf/collection.js';
import { errorOf } from '../error-of.js';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { applyLoadEdits, globalSlot, globalVariables, setGlobal, setMapSize } from '../../src/object-spec/edit.js';
import { engines } from '../vm/engines.js';

const fixture = (name: string) =>
  readCollectionSpec(new Uint8Array(readFileSync(new URL(`../fixtures/load/build/${name}.o`, import.meta.url))), { source: `${name}.o` });
const dnsFrame = ipv4UdpFrame({ dstPort: 53 });

describe.each(engines)('libbpf load semantics ($name)', ({ name: engine }) => {
  const runtime = () => new Runtime({ engine: engine as 'wasm' | 'interp', possibleCpus: 3 });

  it('loads every XDP program and skips the others, each with its reason', () => {
    const spec = fixture('configurable');
    setMapSize(spec, 'rx_cnt', 4);
    const coll = runtime().loadCollection(spec);
    expect([...coll.programs.keys()]).toEqual(['xdp_configurable', 'xdp_legacy_name']);
    expect(coll.skipped.map((s) => [s.program, s.type])).toEqual([
      ['tc_count', 'sched_cls'],
      ['legacy_prog', 'unspec'],
    ]);
    expect(coll.skipped[1].reason).toMatch(/--type xdp/);
  });

  it('refuses a named program it cannot load, saying what to do', () => {
    const spec = fixture('configurable');
    setMapSize(spec, 'rx_cnt', 4);
    const e = errorOf(() => runtime().loadCollection(spec, { programs: ['legacy_prog'] }));
    expect(e.errno).toBe('EINVAL');
    expect(e.message).toMatch(/legacy_prog \(unspec, section prog\).*--type xdp/);
    expect(errorOf(() => runtime().loadCollection(spec, { programs: ['tc_count'] })).message).toMatch(/tc_count \(sched_cls, section tc\).*XDP programs/);
    expect(errorOf(() => runtime().loadCollection(spec, { programs: ['nope'] })).errno).toBe('ENOENT');
  });

  it('loads a program of an unknown section as XDP when told to (bpftool type xdp)', () => {
    const spec = applyLoadEdits(fixture('configurable'), { programType: 'xdp', mapSizes: { rx_cnt: 1 } });
    const rt = runtime();
    const coll = rt.loadCollection(spec, { programs: ['legacy_prog'] });
    expect(rt.testRun(coll.program('legacy_prog'), { data: dnsFrame }).retval).toBe(1);
    expect(spec.programs.get('xdp_configurable')!.type).toBe('xdp');
    expect(spec.programs.get('tc_count')!.type).toBe('sched_cls');
  });

  it("refuses a map of 0 entries as the kernel does, naming it and --map-size; a loader's size is used", () => {
    const e = errorOf(() => runtime().loadCollection(fixture('configurable')));
    expect(e.errno).toBe('EINVAL');
    expect(e.message).toMatch(/map rx_cnt \(array\): max_entries is 0.*--map-size rx_cnt=N/);
    const spec = fixture('configurable');
    setMapSize(spec, 'rx_cnt', 16);
    const coll = runtime().loadCollection(spec);
    expect(coll.map('rx_cnt').spec.maxEntries).toBe(16);
    // libbpf sizes a perf event array of 0 entries to the possible CPUs.
    expect(coll.map('events').spec.maxEntries).toBe(3);
    expect(spec.maps.get('events')!.maxEntries).toBe(0);
  });

  it('sets globals before load as a skeleton does: .rodata, .data and named sections', () => {
    const spec = fixture('configurable');
    setMapSize(spec, 'rx_cnt', 4);
    const rt = runtime();
    expect(rt.testRun(rt.loadCollection(spec, { programs: ['xdp_configurable'] }).program('xdp_configurable'), { data: dnsFrame }).retval).toBe(1);

    const edited = fixture('configurable');
    setMapSize(edited, 'rx_cnt', 4);
    setGlobal(edited, 'blocked_verdict', Uint8Array.of(3, 0, 0, 0));
    setGlobal(edited, 'tally', Uint8Array.of(100, 0, 0, 0, 0, 0, 0, 0));
    const rt2 = runtime();
    const coll = rt2.loadCollection(edited, { programs: ['xdp_configurable'] });
    expect(rt2.testRun(coll.program('xdp_configurable'), { data: dnsFrame }).retval).toBe(3);
    expect(coll.map('.data.counters').lookup(new Uint8Array(4))![0]).toBe(101);

    const portMoved = fixture('configurable');
    setMapSize(portMoved, 'rx_cnt', 4);
    setGlobal(portMoved, 'blocked_port', Uint8Array.of(0, 54));
    const rt3 = runtime();
    expect(rt3.testRun(rt3.loadCollection(portMoved, { programs: ['xdp_configurable'] }).program('xdp_configurable'), { data: dnsFrame }).retval).toBe(2);
  });
});

describe('editing a spec before load', () => {
  it('sets a part of a global struct by its C path, as skel->rodata->cfg.match.port = … does', () => {
    const run = (edits: [string, Uint8Array][]) => {
      const spec = fixture('struct_globals');
      for (const [path, bytes] of edits) setGlobal(spec, path, bytes);
      const rt = new Runtime();
      return rt.testRun(rt.loadCollection(spec).program('xdp_struct_globals'), { data: dnsFrame }).retval;
    };
    expect(run([])).toBe(1);
    expect(run([['cfg.mode', Uint8Array.of(2, 0, 0, 0)]])).toBe(3);
    expect(
      run([
        ['cfg.mode', Uint8Array.of(2, 0, 0, 0)],
        ['cfg.verdicts[2]', Uint8Array.of(2)],
      ]),
    ).toBe(2);
    expect(run([['cfg.match.port', Uint8Array.of(0, 54)]])).toBe(2);
    // `hi` lives in an anonymous struct inside an anonymous union.
    expect(run([['cfg.hi', Uint8Array.of(1, 0)]])).toBe(2);
    const spec = fixture('struct_globals');
    expect(globalSlot(spec, 'cfg.match.port')).toMatchObject({ map: '.rodata', offset: 4, size: 2, int: { size: 2, signed: false, bigEndian: true } });
    expect(errorOf(() => setGlobal(spec, 'cfg.nope', Uint8Array.of(1))).message).toBe('global cfg.nope: const volatile struct config has no member nope');
    expect(errorOf(() => setGlobal(spec, 'cfg.verdicts[4]', Uint8Array.of(1))).message).toMatch(/index 4 is past the 4 elements/);
    expect(errorOf(() => setGlobal(spec, 'cfg.mode', Uint8Array.of(1))).message).toBe(
      'global cfg.mode is __u32 (4 bytes, in .rodata); the value given has 1 bytes',
    );
  });

  it('lists globals with their sections, types and byte order', () => {
    const vars = globalVariables(fixture('configurable'));
    expect(vars.map((v) => [v.name, v.map, v.size, v.type])).toEqual([
      ['blocked_verdict', '.rodata', 4, 'const volatile __u32'],
      ['counting', '.rodata', 1, 'const volatile __u8'],
      ['blocked_port', '.rodata.cfg', 2, 'const volatile __be16'],
      ['default_verdict', '.data', 4, '__u32'],
      ['tally', '.data.counters', 8, '__u64'],
      ['last_len', '.bss', 8, '__u64'],
    ]);
    expect(vars.find((v) => v.name === 'blocked_port')!.int).toEqual({ size: 2, signed: false, bigEndian: true });
  });

  it('refuses unknown names and wrong sizes, naming the variable, its type and the map', () => {
    const spec = fixture('configurable');
    const size = errorOf(() => setGlobal(spec, 'blocked_verdict', Uint8Array.of(1)));
    expect(size.errno).toBe('EINVAL');
    expect(size.message).toBe('global blocked_verdict is const volatile __u32 (4 bytes, in .rodata); the value given has 1 bytes');
    const unknown = errorOf(() => setGlobal(spec, 'nope', Uint8Array.of(1)));
    expect(unknown.errno).toBe('ENOENT');
    expect(unknown.message).toMatch(/no global variable nope .*globals: blocked_verdict, counting/);
    expect(errorOf(() => setMapSize(spec, 'nope', 1)).errno).toBe('ENOENT');
    expect(errorOf(() => setMapSize(spec, 'rx_cnt', 0)).errno).toBe('EINVAL');
    expect(errorOf(() => setMapSize(spec, '.rodata', 2)).message).toMatch(/holds global variables/);
  });
});
