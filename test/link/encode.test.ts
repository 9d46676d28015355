/** The encoders against the parsers: BTF (every kind), BTF.ext, ELF sections, symbols and relocations. */
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../../src/btf/parse.js';
import { parseBtfExt } from '../../src/btf/ext.js';
import type { Btf, BtfType } from '../../src/btf/types.js';
import { parseElf, SHT, STB, STT } from '../../src/elf/elf-file.js';
import { encodeBtf } from '../../src/link/btf-encode.js';
import { encodeBtfExt } from '../../src/link/btf-ext-encode.js';
import { ElfWriter, R_BPF_64_32, R_BPF_64_64, SHF } from '../../src/link/elf-writer.js';
import { StringTable } from '../../src/link/strings.js';
import { corpusObjects, plain, read } from './objects.js';

/** One type of every kind the model has, referring to each other. */
function everyKind(): Btf {
  const types: (BtfType | undefined)[] = [
    undefined,
    { kind: 'int', id: 1, name: 'int', size: 4, bits: 32, bitOffset: 0, signed: true, char: false, bool: false },
    { kind: 'int', id: 2, name: '_Bool', size: 1, bits: 8, bitOffset: 0, signed: false, char: false, bool: true },
    { kind: 'ptr', id: 3, name: '', type: 5 },
    { kind: 'array', id: 4, name: '', elemType: 1, indexType: 1, nelems: 7 },
    { kind: 'struct', id: 5, name: 'flags', size: 8, members: [{ name: 'a', type: 1, bitOffset: 0, bitSize: 3 }, { name: 'b', type: 1, bitOffset: 3, bitSize: 29 }, { name: 'c', type: 1, bitOffset: 32, bitSize: 0 }] },
    { kind: 'union', id: 6, name: 'u', size: 28, members: [{ name: 'x', type: 1, bitOffset: 0, bitSize: 0 }, { name: 'arr', type: 4, bitOffset: 0, bitSize: 0 }] },
    { kind: 'enum', id: 7, name: 'color', size: 4, signed: true, values: [{ name: 'RED', value: -1n }, { name: 'BLUE', value: 2n }] },
    { kind: 'enum', id: 8, name: 'ucolor', size: 4, signed: false, values: [{ name: 'BIG', value: 0xfffffff0n }] },
    { kind: 'enum64', id: 9, name: 'wide', size: 8, signed: false, values: [{ name: 'HUGE', value: 0xfedcba9876543210n }] },
    { kind: 'enum64', id: 10, name: 'swide', size: 8, signed: true, values: [{ name: 'NEG', value: -5n }] },
    { kind: 'fwd', id: 11, name: 'later', union: true },
    { kind: 'typedef', id: 12, name: 'u32_t', type: 1 },
    { kind: 'volatile', id: 13, name: '', type: 12 },
    { kind: 'const', id: 14, name: '', type: 13 },
    { kind: 'restrict', id: 15, name: '', type: 3 },
    { kind: 'func_proto', id: 16, name: '', returnType: 1, params: [{ name: 'p', type: 3 }, { name: '', type: 0 }] },
    { kind: 'func', id: 17, name: 'f', type: 16, linkage: 'global' },
    { kind: 'func', id: 18, name: 'g', type: 16, linkage: 'extern' },
    { kind: 'var', id: 19, name: 'v', type: 14, linkage: 'global' },
    { kind: 'var', id: 20, name: 's', type: 1, linkage: 'static' },
    { kind: 'datasec', id: 21, name: '.data', size: 8, vars: [{ type: 19, offset: 0, size: 4 }, { type: 20, offset: 4, size: 4 }] },
    { kind: 'float', id: 22, name: 'double', size: 8 },
    { kind: 'decl_tag', id: 23, name: 'tag', type: 17, componentIdx: -1 },
    { kind: 'type_tag', id: 24, name: 'user', type: 1 },
  ];
  return { types, strings: new Uint8Array(0) };
}

describe('encodeBtf', () => {
  it('encodes every kind so that parseBtf gives the same types back', () => {
    const btf = everyKind();
    expect(plain(parseBtf(encodeBtf(btf)).types)).toEqual(plain(btf.types));
  });

  it('re-encodes the BTF of every corpus object to the same types', () => {
    for (const f of corpusObjects()) {
      const btf = read(`progs/build/${f}`).btf!;
      expect(plain(parseBtf(encodeBtf(btf)).types), f).toEqual(plain(btf.types));
    }
  });

  it('stores each distinct name once, offset 0 being the empty string', () => {
    const bytes = encodeBtf(everyKind());
    const dv = new DataView(bytes.buffer);
    const strOff = 24 + dv.getUint32(16, true);
    const strings = Buffer.from(bytes.subarray(strOff, strOff + dv.getUint32(20, true))).toString('latin1').split('\0');
    expect(strings[0]).toBe('');
    expect(strings.filter((s) => s === 'int')).toHaveLength(1);
  });

  it('refuses a table with a hole', () => {
    expect(() => encodeBtf({ types: [undefined, undefined], strings: new Uint8Array(0) })).toThrow(/type 1 is missing/);
  });
});

describe('encodeBtfExt', () => {
  it('writes func info, line info and CO-RE relocations per section that parseBtfExt reads back, sorted by offset', () => {
    const btf = everyKind();
    const strings = new StringTable();
    const ext = encodeBtfExt([
      { section: 'xdp', funcInfo: [{ insnOff: 0, typeId: 17 }], lineInfo: [{ insnOff: 16, file: 'a.c', text: 'return 2;', line: 12, column: 5 }, { insnOff: 0, file: 'a.c', text: 'int f(void)', line: 10, column: 1 }], coreRelocations: [{ insnOff: 24, typeId: 5, accessString: '0:1', kind: 'field_byte_offset' }, { insnOff: 8, typeId: 7, accessString: '0', kind: 'type_matches' }] },
      { section: '.text', funcInfo: [{ insnOff: 8, typeId: 17 }, { insnOff: 0, typeId: 18 }], lineInfo: [], coreRelocations: [] },
    ], strings);
    const encoded = encodeBtf(btf, strings);
    const parsed = parseBtfExt(ext, parseBtf(encoded));
    expect(parsed.funcInfo.get('xdp')).toEqual([{ insnOff: 0, typeId: 17 }]);
    expect(parsed.funcInfo.get('.text')).toEqual([{ insnOff: 0, typeId: 18 }, { insnOff: 8, typeId: 17 }]);
    expect(parsed.lineInfo.get('xdp')).toEqual([
      { insnOff: 0, file: 'a.c', text: 'int f(void)', line: 10, column: 1 },
      { insnOff: 16, file: 'a.c', text: 'return 2;', line: 12, column: 5 },
    ]);
    expect(parsed.lineInfo.has('.text')).toBe(false);
    expect(parsed.coreRelocations.get('xdp')).toEqual([
      { insnOff: 8, typeId: 7, accessString: '0', kind: 12 },
      { insnOff: 24, typeId: 5, accessString: '0:1', kind: 0 },
    ]);
    expect(parsed.coreRelocations.has('.text')).toBe(false);
  });
});

describe('ElfWriter', () => {
  it('writes sections, locals-first symbols and REL sections that parseElf reads back', () => {
    const w = new ElfWriter();
    const code = new Uint8Array(32);
    const text = w.addSection({ name: 'xdp', type: SHT.PROGBITS, flags: SHF.ALLOC | SHF.EXECINSTR, align: 8, data: code });
    const bss = w.addSection({ name: '.bss', type: SHT.NOBITS, flags: SHF.ALLOC | SHF.WRITE, align: 8, data: new Uint8Array(12) });
    const prog = w.addSymbol({ name: 'prog', section: text, value: 0, size: 32, type: STT.FUNC, bind: STB.GLOBAL });
    const ext = w.addSymbol({ name: 'ext_fn', section: 0, value: 0, size: 0, type: STT.NOTYPE, bind: STB.WEAK });
    w.addRelocation(text, { offset: 8, symbol: ext, type: R_BPF_64_32 });
    w.addRelocation(text, { offset: 0, symbol: w.sectionSymbol(bss), type: R_BPF_64_64 });
    void prog;
    const elf = parseElf(w.bytes());
    expect(elf.section('xdp')!.data).toEqual(code);
    expect(elf.section('.bss')).toMatchObject({ type: SHT.NOBITS, size: 12 });
    expect(elf.symbols.map((s) => [s.name, s.bind, s.type])).toEqual([['', 0, 0], ['', STB.LOCAL, STT.SECTION], ['prog', STB.GLOBAL, STT.FUNC], ['ext_fn', STB.WEAK, STT.NOTYPE]]);
    const symtab = elf.sections.find((s) => s.type === SHT.SYMTAB)!;
    expect(symtab.info).toBe(2);
    const rels = elf.relocations.get(text)!;
    expect(rels.map((r) => [r.offset, r.type, elf.symbols[r.symbol].name || elf.sections[elf.symbols[r.symbol].section].name])).toEqual([[0, R_BPF_64_64, '.bss'], [8, R_BPF_64_32, 'ext_fn']]);
    expect(elf.section('.relxdp')).toMatchObject({ type: SHT.REL, info: text, link: symtab.index });
  });
});
