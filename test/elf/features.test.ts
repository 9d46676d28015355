import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCollectionSpec } from '../../src/elf/index.js';
import { MapInMap } from '../../src/maps/map-in-map.js';
import { ProgArrayMap } from '../../src/maps/prog-array.js';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { kernelVersionCode } from '../../src/runtime/kconfig.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { XdpAction } from '../../src/xdp/constants.js';

const bytes = new Uint8Array(readFileSync(new URL('../fixtures/elf/features.o', import.meta.url)));

describe('ELF reader: object features beyond the corpus (test/fixtures/elf/features.c)', () => {
  const spec = readCollectionSpec(bytes, { source: 'features.o' });

  it('reads program sections as libbpf names them, warning about legacy names', () => {
    const p = (n: string) => spec.programs.get(n)!;
    expect([p('xdp_frags_prog').sectionName, p('xdp_frags_prog').flags, p('xdp_frags_prog').attachType]).toEqual(['xdp.frags', 1 << 5, 'xdp']);
    expect(p('xdp_devmap_prog').attachType).toBe('xdp_devmap');
    expect(p('xdp_legacy').type).toBe('xdp');
    expect(p('xdp_legacy').warnings[0]).toMatch(/legacy XDP section name/);
  });

  it('reads the legacy maps section, map-in-map with its inner template and initial slots, and prog_array slots', () => {
    expect(spec.maps.get('legacy_counts')).toMatchObject({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 16 });
    const outer = spec.maps.get('outer')!;
    expect(outer.innerMap).toMatchObject({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 4 });
    expect(outer.contents.map((c) => [c.key[0], c.value])).toEqual([
      [0, { map: 'inner_a' }],
      [2, { map: 'inner_b' }],
    ]);
    expect(spec.maps.get('jumps')!.contents.map((c) => [c.key[0], c.value])).toEqual([[1, { program: 'xdp_frags_prog' }]]);
  });

  it('turns a __kconfig extern into a slot of a frozen .kconfig map', () => {
    expect(spec.maps.get('.kconfig')).toMatchObject({ frozen: true, kconfig: [{ name: 'LINUX_KERNEL_VERSION', offset: 0, size: 4, weak: true }] });
    expect(spec.programs.get('xdp_legacy')!.references).toContainEqual(expect.objectContaining({ kind: 'map-value', map: '.kconfig', offset: 0 }));
  });

  it('keeps CO-RE relocations on the program, by slot', () => {
    const prog = spec.programs.get('xdp_frags_prog')!;
    const miniMd = prog.btf!.types.findIndex((t) => t?.name === 'mini_md');
    expect(prog.coreRelocations).toEqual([
      { slot: 0, typeId: miniMd, accessString: '0:0', kind: 'field_byte_offset' },
      { slot: 1, typeId: miniMd, accessString: '0:1', kind: 'field_byte_offset' },
    ]);
    expect(spec.programs.get('xdp_legacy')!.coreRelocations).toBeUndefined();
  });

  it('loads and runs: initial slots are in place, kconfig holds the kernel version, the tail call reaches the frags program', () => {
    const rt = new Runtime({ possibleCpus: 2 });
    // xdp_frags_prog reads the context through `struct mini_md`, which no kernel has: against a
    // kernel's BTF its CO-RE relocations are poisoned. The object's own BTF keeps its offsets.
    const coll = rt.loadCollection(spec, { kernelBtf: spec.btf });
    const outer = coll.map('outer') as MapInMap;
    expect(outer.get(0)).toBe(coll.map('inner_a'));
    expect(outer.get(1)).toBeUndefined();
    expect((coll.map('jumps') as ProgArrayMap).get(1)).toBe(coll.program('xdp_frags_prog'));
    const kv = coll.map('.kconfig').lookup(new Uint8Array(4))!;
    expect(new DataView(kv.buffer).getUint32(0, true)).toBe(kernelVersionCode());
    expect(rt.testRun(coll.program('xdp_legacy'), { data: ipv4UdpFrame({ payload: 200 }) }).retval).toBe(XdpAction.PASS);
    expect(rt.testRun(coll.program('xdp_legacy'), { data: ipv4UdpFrame() }).retval).toBe(XdpAction.DROP);
    const innerValue = coll.map('inner_a').lookup(new Uint8Array(4))!;
    expect(new DataView(innerValue.buffer).getBigUint64(0, true)).toBe(2n * BigInt(kernelVersionCode()));
    expect(rt.traceLines.map((l) => l.text)).toEqual(['legacy 0', 'legacy 0']);
  });

  it('refuses a strong kconfig extern nobody knows, naming it', () => {
    const strong = structuredClone(spec.maps.get('.kconfig')!);
    strong.kconfig = [{ name: 'CONFIG_XDPCHAIN_NOPE', offset: 0, size: 4, weak: false }];
    const rt = new Runtime({ possibleCpus: 2 });
    expect(() => rt.loadCollection({ ...spec, maps: new Map([...spec.maps, ['.kconfig', strong]]) })).toThrow(
      /extern CONFIG_XDPCHAIN_NOPE \(.kconfig\) has no value/,
    );
  });
});
