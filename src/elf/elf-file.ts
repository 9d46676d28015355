import { MalformedInputError } from '../errors/index.js';
import { ByteReader, cString } from '../binary/reader.js';

export const EM_BPF = 247;
export const SHT = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, NOBITS: 8, REL: 9 } as const;
export const SHF_EXECINSTR = 0x4;
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;
export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;
export const SHN_UNDEF = 0;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
  /** Section contents (empty for NOBITS). */
  data: Uint8Array;
}

export interface ElfSymbol {
  index: number;
  name: string;
  value: number;
  size: number;
  type: number;
  bind: number;
  visibility: number;
  section: number;
}

export interface ElfRelocation {
  offset: number;
  type: number;
  symbol: number;
}

/** A parsed ELF64 little-endian BPF object: sections, symbols, relocations by target section. */
export interface ElfFile {
  readonly file: string;
  readonly sections: ElfSection[];
  readonly symbols: ElfSymbol[];
  /** Relocations keyed by the index of the section they apply to. */
  readonly relocations: Map<number, ElfRelocation[]>;
  section(name: string): ElfSection | undefined;
}

const MAX_SECTIONS = 65_280;

/**
 * Parse an ELF64 little-endian BPF object. With `sectionsOnly`, read just the section table of an
 * ELF file of any machine (a vmlinux, a host object) to take data such as `.BTF` from it.
 */
export function parseElf(bytes: Uint8Array, file = 'object', opts: { sectionsOnly?: boolean } = {}): ElfFile {
  const r = new ByteReader(bytes, file);
  const ident = r.slice('ELF identification', 0, 16);
  if (ident[0] !== 0x7f || ident[1] !== 0x45 || ident[2] !== 0x4c || ident[3] !== 0x46) r.fail('ELF header', 'not an ELF file (bad magic)', 0);
  if (ident[4] !== 2) r.fail('ELF header', `ELF class ${ident[4]} is not ELF64`, 4);
  if (ident[5] !== 1)
    r.fail(
      'ELF header',
      ident[5] === 2
        ? 'big-endian objects (bpfeb) are not supported; build with -target bpfel or bpf on little-endian hosts'
        : `unknown data encoding ${ident[5]}`,
      5,
    );
  const machine = r.u16('ELF header e_machine', 18);
  if (machine !== EM_BPF && !opts.sectionsOnly) r.fail('ELF header', `machine ${machine} is not BPF (${EM_BPF}); was it built with clang -target bpf?`, 18);
  const shoff = r.u64('ELF header e_shoff', 0x28);
  const shentsize = r.u16('ELF header e_shentsize', 0x3a);
  let shnum = r.u16('ELF header e_shnum', 0x3c);
  let shstrndx = r.u16('ELF header e_shstrndx', 0x3e);
  if (shoff === 0) r.fail('ELF header', 'no section header table', 0x28);
  if (shentsize < 64) r.fail('ELF header', `section header size ${shentsize} is smaller than 64`, 0x3a);
  if (shnum === 0) shnum = r.u64('section header 0 sh_size (extended count)', shoff + 0x20);
  if (shstrndx === 0xffff) shstrndx = r.u32('section header 0 sh_link (extended string index)', shoff + 0x28);
  if (shnum > MAX_SECTIONS) r.fail('ELF header', `${shnum} sections is more than an object can hold`, 0x3c);
  r.check('section header table', shoff, shnum * shentsize);

  const raw = Array.from({ length: shnum }, (_, i) => {
    const o = shoff + i * shentsize;
    const what = `section header ${i}`;
    return {
      nameOff: r.u32(what, o),
      type: r.u32(what, o + 4),
      flags: r.u64(what, o + 8),
      offset: r.u64(what, o + 0x18),
      size: r.u64(what, o + 0x20),
      link: r.u32(what, o + 0x28),
      info: r.u32(what, o + 0x2c),
      entsize: r.u64(what, o + 0x38),
    };
  });
  if (shstrndx >= shnum) r.fail('ELF header', `section name table index ${shstrndx} is out of range`, 0x3e);
  const shstr = raw[shstrndx];
  const names = shstr.type === SHT.NOBITS ? new Uint8Array(0) : r.slice(`section name table`, shstr.offset, shstr.size);
  const sections: ElfSection[] = raw.map((s, index) => ({
    index,
    name: index === 0 ? '' : cString(names, s.nameOff, `name of section ${index}`, file),
    type: s.type,
    flags: s.flags,
    offset: s.offset,
    size: s.size,
    link: s.link,
    info: s.info,
    entsize: s.entsize,
    data: s.type === SHT.NOBITS || s.type === SHT.NULL ? new Uint8Array(0) : r.slice(`contents of section ${index}`, s.offset, s.size),
  }));

  const section = (name: string): ElfSection | undefined => sections.find((s) => s.name === name);
  if (opts.sectionsOnly) return { file, sections, symbols: [], relocations: new Map(), section };
  const symtab = sections.find((s) => s.type === SHT.SYMTAB);
  const symbols: ElfSymbol[] = [];
  if (symtab) {
    if (symtab.link >= sections.length) r.fail('symbol table', `string table index ${symtab.link} is out of range`, symtab.offset);
    const strtab = sections[symtab.link].data;
    const entsize = symtab.entsize || 24;
    if (entsize < 24) r.fail('symbol table', `entry size ${entsize} is smaller than 24`, symtab.offset);
    const sr = new ByteReader(symtab.data, file, symtab.offset);
    for (let i = 0; i * entsize + 24 <= symtab.data.length; i++) {
      const o = i * entsize;
      const info = sr.u8(`symbol ${i}`, o + 4);
      symbols.push({
        index: i,
        name: cString(strtab, sr.u32(`symbol ${i}`, o), `name of symbol ${i}`, file),
        value: sr.u64(`symbol ${i}`, o + 8),
        size: sr.u64(`symbol ${i}`, o + 16),
        type: info & 0xf,
        bind: info >> 4,
        visibility: sr.u8(`symbol ${i}`, o + 5) & 3,
        section: sr.u16(`symbol ${i}`, o + 6),
      });
    }
  }

  const relocations = new Map<number, ElfRelocation[]>();
  for (const s of sections) {
    if (s.type === SHT.RELA) throw new MalformedInputError(`${file}: section ${s.name}`, 'RELA relocations are not used by BPF objects', s.offset);
    if (s.type !== SHT.REL) continue;
    if (s.info >= sections.length) r.fail(`relocation section ${s.name}`, `target section ${s.info} is out of range`, s.offset);
    const entsize = s.entsize || 16;
    if (entsize < 16) r.fail(`relocation section ${s.name}`, `entry size ${entsize} is smaller than 16`, s.offset);
    const rr = new ByteReader(s.data, file, s.offset);
    const list: ElfRelocation[] = [];
    for (let i = 0; i * entsize + 16 <= s.data.length; i++) {
      const o = i * entsize;
      const info = rr.u64(`relocation ${i} of ${s.name}`, o + 8);
      list.push({ offset: rr.u64(`relocation ${i} of ${s.name}`, o), type: info % 2 ** 32, symbol: Math.floor(info / 2 ** 32) });
    }
    relocations.set(s.info, [...(relocations.get(s.info) ?? []), ...list]);
  }

  return { file, sections, symbols, relocations, section };
}
