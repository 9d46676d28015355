/** linkSpecs: extern calls, weak and placeholder functions, prototypes, maps, global data, BTF. */
import { describe, expect, it } from 'vitest';
import { readCollectionSpec } from '../../src/elf/index.js';
import { linkObjects, linkSpecs } from '../../src/link/linker.js';
import { writeObject } from '../../src/link/object-writer.js';
import { ipv4UdpFrame, ipv6UdpFrame } from '../../src/packet/index.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { CollectionSpec } from '../../src/object-spec/collection-spec.js';
import { corpus, fixture, plain } from './objects.js';
import { errorOf } from '../error-of.js';

const rootletInputs = (): CollectionSpec[] => [fixture('rootlet'), corpus('proto_counters'), corpus('firewall')];

/** Run a linked collection's program on xdpchain: verdict and the given map's first value. */
function runOnce(spec: CollectionSpec, program: string, frame: Uint8Array, setup?: (rt: Runtime, coll: ReturnType<Runtime['loadCollection']>) => void) {
  const rt = new Runtime({ possibleCpus: 1, cpu: 0 });
  const coll = rt.loadCollection(spec);
  setup?.(rt, coll);
  const out = rt.testRun(coll.program(program), { data: frame });
  if (out.fault) throw out.fault;
  return { retval: out.retval, coll };
}

const u32 = (n: number) => Uint8Array.from([n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24]);

describe('reading objects with extern calls', () => {
  it('records calls to extern functions as named references (readCollectionSpec failed on them before)', () => {
    const spec = fixture('rootlet');
    const refs = spec.programs.get('xdp_rootlet')!.references;
    expect(refs.map((r) => r.kind === 'kfunc' && r.name)).toEqual(['xdp_proto_counters', 'xdp_firewall']);
    expect(spec.functions?.get('extra')?.funcInfo[0]).toMatchObject({ name: 'extra', weak: true });
  });

  it('leaves externs no input defines unresolved, and says so', () => {
    const r = linkSpecs([fixture('rootlet')]);
    expect(r.unresolved).toEqual(['xdp_firewall', 'xdp_proto_counters']);
    expect(() => new Runtime().loadCollection(r.spec)).toThrow(/xdp_proto_counters/);
  });
});

describe('linking a rootlet with the programs it calls', () => {
  it('makes one program that calls both, with their subprograms, maps and global data', () => {
    const r = linkSpecs(rootletInputs());
    expect(r.unresolved).toEqual([]);
    expect([...r.spec.programs.keys()]).toEqual(['xdp_rootlet']);
    const p = r.spec.programs.get('xdp_rootlet')!;
    expect(p.funcInfo.map((f) => f.name)).toEqual(['xdp_rootlet', 'xdp_proto_counters', 'extra', 'xdp_firewall', 'count_rule']);
    expect([...r.spec.maps.keys()].sort()).toEqual(['.bss', '.data', 'allow_src', 'deny_port', 'deny_prefix', 'deny_src', 'proto_stats', 'rule_stats']);
    expect(p.references.filter((ref) => ref.kind === 'kfunc')).toEqual([]);
    // Every function starts with a line record; types point into the merged BTF.
    for (const f of p.funcInfo) {
      expect(
        p.lineInfo.some((l) => l.slot === f.slot),
        f.name,
      ).toBe(true);
      expect(r.spec.btf!.types[f.typeId]).toMatchObject({ kind: 'func', name: f.name });
    }
    for (const m of r.spec.maps.values()) {
      if (m.valueTypeId) expect(m.btf).toBe(r.spec.btf);
    }
    expect(r.spec.btf!.types[r.spec.maps.get('proto_stats')!.valueTypeId]).toMatchObject({ kind: 'struct', name: 'traffic' });
  });

  it('runs as proto_counters, then extra, then the firewall', () => {
    const spec = linkSpecs(rootletInputs()).spec;
    const denied = ipv4UdpFrame({ src: '10.0.6.6' });
    const passed = runOnce(spec, 'xdp_rootlet', denied);
    expect(passed.retval).toBe(2);
    const dropped = runOnce(spec, 'xdp_rootlet', denied, (_rt, coll) => coll.map('deny_src').update(Uint8Array.from([10, 0, 6, 6]), u32(200)));
    expect(dropped.retval).toBe(1);
    const stats = dropped.coll.map('proto_stats').lookup(u32(3))!;
    expect(new DataView(stats.buffer, stats.byteOffset).getBigUint64(0, true)).toBe(1n);
  });

  it('reads back from the written object as the same collection', () => {
    const r = linkSpecs(rootletInputs());
    const back = readCollectionSpec(writeObject(r.spec));
    expect(plain(back.programs)).toEqual(plain(r.spec.programs));
    expect(plain(back.maps)).toEqual(plain(r.spec.maps));
    expect(plain(back.btf!.types)).toEqual(plain(r.spec.btf!.types));
  });

  it('replaces the weak placeholder by a strong definition, bringing its maps and renamed .data', () => {
    const r = linkSpecs([...rootletInputs(), fixture('strong_extra')]);
    const p = r.spec.programs.get('xdp_rootlet')!;
    expect(p.funcInfo.map((f) => [f.name, f.weak ?? false])).toEqual([
      ['xdp_rootlet', false],
      ['xdp_proto_counters', false],
      ['extra', false],
      ['too_short', false],
      ['xdp_firewall', false],
      ['count_rule', false],
    ]);
    expect(r.spec.maps.has('extra_seen')).toBe(true);
    expect(r.spec.maps.get('.data.strong_extra')!.initialData).toEqual(u32(60));
    expect(r.spec.maps.get('.data')!.valueSize).toBe(4);
    const dataRefs = p.references.filter((ref) => ref.kind === 'map-value').map((ref) => ref.kind === 'map-value' && ref.map);
    expect(new Set(dataRefs)).toEqual(new Set(['.data', '.data.strong_extra', '.bss']));
    expect(r.spec.btf!.types[r.spec.maps.get('.data.strong_extra')!.valueTypeId]).toMatchObject({ kind: 'datasec', name: '.data.strong_extra' });
    // 42-byte frames are shorter than min_length (60): the strong extra drops them, the weak one passed them.
    const short = ipv4UdpFrame({ payload: 0 });
    expect(runOnce(r.spec, 'xdp_rootlet', short).retval).toBe(1);
    expect(runOnce(linkSpecs(rootletInputs()).spec, 'xdp_rootlet', short).retval).toBe(2);
    const long = runOnce(r.spec, 'xdp_rootlet', ipv6UdpFrame());
    expect(long.retval).toBe(2);
    expect(long.coll.map('extra_seen').lookup(u32(0))).toEqual(Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0]));
  });

  it('refuses a replacement for the weak function with another prototype, naming both objects', () => {
    const e = errorOf(() => linkSpecs([...rootletInputs(), fixture('bad_extra')]));
    expect(e.errno).toBe('EINVAL');
    expect(e.message).toMatch(
      /function extra: rootlet defines it weak as extra\(struct xdp_md \* ctx\), but bad_extra defines it as extra\(__u64 flags\): argument 1 is pointer to struct xdp_md in rootlet and int64 in bad_extra/,
    );
  });

  it('refuses an extern resolved by a definition with another argument count', () => {
    const e = errorOf(() => linkSpecs([fixture('rootlet'), corpus('proto_counters'), fixture('bad_firewall')]));
    expect(e.errno).toBe('EINVAL');
    expect(e.message).toMatch(/function xdp_firewall: rootlet declares it as .* but bad_firewall defines it as .*: 1 arguments in rootlet, 2 in bad_firewall/);
  });

  it('refuses two strong definitions of one name', () => {
    const e = errorOf(() => linkSpecs([...rootletInputs(), fixture('bad_firewall')]));
    expect(e.errno).toBe('EEXIST');
    expect(e.message).toMatch(/function xdp_firewall is defined in both firewall and bad_firewall/);
  });

  it('replaces a global placeholder when asked, checking the prototype', () => {
    const inputs = [fixture('rootlet'), corpus('proto_counters'), corpus('firewall'), corpus('xdp_drop')];
    const r = linkSpecs(inputs, { replace: [{ placeholderInput: 0, placeholder: 'extra', input: 3, function: 'xdp_drop' }] });
    expect([...r.spec.programs.keys()]).toEqual(['xdp_rootlet']);
    expect(r.spec.programs.get('xdp_rootlet')!.funcInfo.map((f) => f.name)).toContain('xdp_drop');
    expect(runOnce(r.spec, 'xdp_rootlet', ipv6UdpFrame()).retval).toBe(1);
    expect(() => linkSpecs(inputs, { replace: [{ placeholderInput: 0, placeholder: 'nope', input: 3, function: 'xdp_drop' }] })).toThrow(
      /rootlet has no function nope/,
    );
    const fw = [corpus('firewall'), corpus('xdp_drop')];
    expect(() => linkSpecs(fw, { replace: [{ placeholderInput: 0, placeholder: 'count_rule', input: 1, function: 'xdp_drop' }] })).toThrow(
      /count_rule is a static function/,
    );
  });
});

describe('maps and licences', () => {
  it('shares a map two objects define identically', () => {
    const r = linkSpecs([corpus('proto_counters'), fixture('stats_same')]);
    expect([...r.spec.programs.keys()]).toEqual(['xdp_proto_counters', 'xdp_count_all']);
    expect([...r.spec.maps.keys()]).toEqual(['proto_stats']);
    const rt = new Runtime({ possibleCpus: 1 });
    const coll = rt.loadCollection(r.spec);
    rt.testRun(coll.program('xdp_count_all'), { data: ipv4UdpFrame() });
    rt.testRun(coll.program('xdp_proto_counters'), { data: ipv4UdpFrame() });
    const other = coll.map('proto_stats').lookup(u32(0))!;
    expect(new DataView(other.buffer, other.byteOffset).getBigUint64(0, true)).toBe(1n);
  });

  it('refuses maps of one name with different definitions, naming the map and both objects', () => {
    const e = errorOf(() => linkSpecs([corpus('proto_counters'), fixture('stats_conflict')]));
    expect(e.errno).toBe('EINVAL');
    expect(e.message).toMatch(
      /map proto_stats: proto_counters defines it as percpu_array \(key 4 bytes, value 16 bytes, 11 entries.*but stats_conflict as hash \(key 4 bytes, value 8 bytes, 64 entries/,
    );
  });

  it("keeps each object's global data apart", () => {
    const r = linkSpecs([corpus('firewall'), corpus('vlan'), corpus('adjust_tail')]);
    expect([...r.spec.maps.keys()].filter((n) => n.startsWith('.'))).toEqual([
      '.data',
      '.bss',
      '.data.vlan',
      '.data.vlan.bss',
      '.data.adjust_tail',
      '.data.adjust_tail.bss',
    ]);
    for (const p of r.spec.programs.values()) {
      const own =
        p.name === 'xdp_firewall'
          ? ['.data', '.bss']
          : p.name.startsWith('xdp_vlan')
            ? ['.data.vlan', '.data.vlan.bss']
            : ['.data.adjust_tail', '.data.adjust_tail.bss'];
      for (const ref of p.references) if (ref.kind === 'map-value') expect(own, `${p.name} → ${ref.map}`).toContain(ref.map);
    }
  });

  it('merges licences the kernel treats alike and refuses a mix', () => {
    const gpl = corpus('xdp_pass');
    const other = { ...corpus('xdp_drop'), license: 'Proprietary' };
    expect(() => linkSpecs([gpl, other])).toThrow(/different licences.*xdp_pass: "Dual MIT\/GPL", xdp_drop: "Proprietary"/);
    expect(linkSpecs([gpl, { ...corpus('xdp_drop'), license: 'GPL' }]).spec.license).toBe('Dual MIT/GPL');
  });

  it('writes the linked object in one call', () => {
    const bytes = linkObjects(rootletInputs());
    expect([...readCollectionSpec(bytes).programs.keys()]).toEqual(['xdp_rootlet']);
  });
});
