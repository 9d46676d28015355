/** The encoders against the parsers: BTF (every kind), BTF.ext, ELF sections, symbols and relocations. */
import { describe, expect, it } from 'vitest';
import { parseBtfLazily } from '../../src/btf/lazy.js';
import { parseBtf } from '../../src/btf/parse.js';
import { parseBtfExt } from '../../src/btf/ext.js';
import { parseElf, SHT, STB, STT } from '../../src/elf/elf-file.js';
import { encodeBtf } from '../../src/link/btf-encode.js';
import { encodeBtfExt } from '../../src/link/btf-ext-encode.js';
import { ElfWriter, R_BPF_64_32, R_BPF_64_64, SHF } from '../../src/link/elf-writer.js';
import { StringTable } from '../../src/link/strings.js';
import { everyKind } from '../btf/every-kind.js';
import { corpusObjects, plain, read } from './objects.js';

describe('encodeBtf', () => {
  it('encodes every kind so that parseBtf and parseBtfLazily give the same types back', () => {
    const btf = everyKind();
    expect(plain(parseBtf(encodeBtf(btf)).types)).toEqual(plain(btf.types));
    expect(plain(parseBtfLazily(encodeBtf(btf)).types)).toEqual(plain(btf.types));
  });

  it('re-encodes the BTF of every corpus object to the same types, read eagerly or lazily', () => {
    for (const f of corpusObjects()) {
      const btf = read(`progs/build/${f}`).btf!;
      expect(plain(parseBtf(encodeBtf(btf)).types), f).toEqual(plain(btf.types));
      expect(plain(parseBtfLazily(encodeBtf(btf)).types), f).toEqual(plain(btf.types));
    }
  });

  it('stores each distinct name once, offset 0 being the empty string', () => {
    const bytes = encodeBtf(everyKind());
    const dv = new DataView(bytes.buffer);
    const strOff = 24 + dv.getUint32(16, true);
    const strings = Buffer.from(bytes.subarray(strOff, strOff + dv.getUint32(20, true)))
      .toString('latin1')
      .split('\0');
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
    const ext = encodeBtfExt(
      [
        {
          section: 'xdp',
          funcInfo: [{ insnOff: 0, typeId: 17 }],
          lineInfo: [
            { insnOff: 16, file: 'a.c', text: 'return 2;', line: 12, column: 5 },
            { insnOff: 0, file: 'a.c', text: 'int f(void)', line: 10, column: 1 },
          ],
          coreRelocations: [
            { insnOff: 24, typeId: 5, accessString: '0:1', kind: 'field_byte_offset' },
            { insnOff: 8, typeId: 7, accessString: '0', kind: 'type_matches' },
          ],
        },
        {
          section: '.text',
          funcInfo: [
            { insnOff: 8, typeId: 17 },
            { insnOff: 0, typeId: 18 },
          ],
          lineInfo: [],
          coreRelocations: [],
        },
      ],
      strings,
    );
    const encoded = encodeBtf(btf, strings);
    const parsed = parseBtfExt(ext, parseBtf(encoded));
    expect(parsed.funcInfo.get('xdp')).toEqual([{ insnOff: 0, typeId: 17 }]);
    expect(parsed.funcInfo.get('.text')).toEqual([
      { insnOff: 0, typeId: 18 },
      { insnOff: 8, typeId: 17 },
    ]);
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
    expect(elf.symbols.map((s) => [s.name, s.bind, s.type])).toEqual([
      ['', 0, 0],
      ['', STB.LOCAL, STT.SECTION],
      ['prog', STB.GLOBAL, STT.FUNC],
      ['ext_fn', STB.WEAK, STT.NOTYPE],
    ]);
    const symtab = elf.sections.find((s) => s.type === SHT.SYMTAB)!;
    expect(symtab.info).toBe(2);
    const rels = elf.relocations.get(text)!;
    expect(rels.map((r) => [r.offset, r.type, elf.symbols[r.symbol].name || elf.sections[elf.symbols[r.symbol].section].name])).toEqual([
      [0, R_BPF_64_64, '.bss'],
      [8, R_BPF_64_32, 'ext_fn'],
    ]);
    expect(elf.section('.relxdp')).toMatchObject({ type: SHT.REL, info: text, link: symtab.index });
  });
});
