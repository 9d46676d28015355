/** readCollectionSpec → writeObject → readCollectionSpec gives the same specs for every corpus object. */
import { describe, expect, it } from 'vitest';
import { readCollectionSpec } from '../../src/elf/index.js';
import { parseElf, SHT } from '../../src/elf/elf-file.js';
import { writeObject } from '../../src/link/object-writer.js';
import { MapType } from '../../src/object-spec/map-spec.js';
import { corpus, corpusObjects, fixture, plain, read } from './objects.js';

describe('writing an object back', () => {
  for (const file of corpusObjects()) {
    it(`${file}: same programs, references, maps, func/line info and BTF`, () => {
      const spec = read(`progs/build/${file}`);
      const again = readCollectionSpec(writeObject(spec), { source: file });
      expect(plain(again.programs)).toEqual(plain(spec.programs));
      expect(plain(again.maps)).toEqual(plain(spec.maps));
      expect(plain(again.functions ?? null)).toEqual(plain(spec.functions ?? null));
      expect(again.license).toBe(spec.license);
      expect(plain(again.btf?.types)).toEqual(plain(spec.btf?.types));
    });
  }

  it('keeps weak functions weak and extern calls as named references', () => {
    const spec = fixture('rootlet');
    const again = readCollectionSpec(writeObject(spec));
    expect(again.functions?.get('extra')?.funcInfo[0]).toMatchObject({ name: 'extra', weak: true });
    expect(
      again.programs
        .get('xdp_rootlet')!
        .references.filter((r) => r.kind === 'kfunc')
        .map((r) => r.kind === 'kfunc' && r.name),
    ).toEqual(['xdp_proto_counters', 'xdp_firewall']);
    expect(plain(again.programs)).toEqual(plain(spec.programs));
  });

  it('lays out code as libbpf wants it: subprograms once in .text, programs in their sections, calls relocated', () => {
    const elf = parseElf(writeObject(corpus('tail_call')));
    const names = elf.sections.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['xdp', '.relxdp', '.maps', 'license', '.BTF', '.BTF.ext', '.symtab', '.strtab', '.shstrtab']));
    const xdp = elf.section('xdp')!;
    const programs = elf.symbols.filter((s) => s.section === xdp.index && s.type === 2).map((s) => s.name);
    expect(programs).toEqual(['xdp_tail_root', 'xdp_tail_ipv4', 'xdp_tail_ipv6', 'xdp_tail_arp', 'xdp_tail_chain']);

    const fw = parseElf(writeObject(corpus('firewall')));
    const text = fw.section('.text')!;
    expect(fw.symbols.filter((s) => s.section === text.index && s.type === 2).map((s) => [s.name, s.bind])).toEqual([['count_rule', 0]]);
    const calls = (fw.relocations.get(fw.section('xdp')!.index) ?? []).filter((r) => r.type === 10);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((r) => fw.symbols[r.symbol].section === text.index)).toBe(true);
    expect(fw.section('.bss')!.type).toBe(SHT.NOBITS);
    // libbpf matches BTF variables to ELF symbols by name.
    expect(fw.symbols.find((s) => s.name === 'default_action')).toMatchObject({ section: fw.section('.data')!.index, size: 4 });
  });

  it('writes an edited map as a new definition', () => {
    const spec = corpus('firewall');
    const deny = spec.maps.get('deny_src')!;
    spec.maps.set('deny_src', { ...deny, maxEntries: 4096, flags: 1 });
    const again = readCollectionSpec(writeObject(spec)).maps.get('deny_src')!;
    expect(again).toMatchObject({
      type: 'hash',
      maxEntries: 4096,
      flags: 1,
      keySize: deny.keySize,
      valueSize: deny.valueSize,
      keyTypeId: deny.keyTypeId,
      valueTypeId: deny.valueTypeId,
    });
  });

  it('writes maps without any BTF definition (a spec built by hand)', () => {
    const spec = corpus('xdp_pass');
    spec.maps.set('made', {
      name: 'made',
      type: 'lru_hash',
      keySize: 8,
      valueSize: 16,
      maxEntries: 32,
      flags: 0,
      pinning: 'by-name',
      contents: [],
      frozen: false,
      keyTypeId: 0,
      valueTypeId: 0,
    });
    const again = readCollectionSpec(writeObject(spec)).maps.get('made')!;
    expect(again).toMatchObject({ type: 'lru_hash', keySize: 8, valueSize: 16, maxEntries: 32, pinning: 'by-name' });
    expect(MapType[again.type]).toBe(9);
  });

  it('refuses what an ELF object cannot say', () => {
    const spec = corpus('proto_counters');
    const p = spec.programs.get('xdp_proto_counters')!;
    const at = p.references.findIndex((r) => r.kind === 'map');
    p.references[at] = { slot: p.references[at].slot, kind: 'map-value', map: 'proto_stats', offset: 0 };
    expect(() => writeObject(spec)).toThrow(/direct access to the value of map proto_stats has no ELF form/);
  });
});
