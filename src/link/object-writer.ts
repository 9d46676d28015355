import { XdpchainError } from '../errors/index.js';
import type { BtfType } from '../btf/types.js';
import { isGlobalDataSection } from '../elf/maps.js';
import type { CollectionSpec } from '../object-spec/collection-spec.js';
import type { MapSpec } from '../object-spec/map-spec.js';
import { BtfBuilder } from './btf-builder.js';
import { encodeBtf } from './btf-encode.js';
import { encodeBtfExt } from './btf-ext-encode.js';
import { layoutCode, type RelocationTarget } from './code-layout.js';
import { ElfWriter, R_BPF_64_ABS64, SHF, SHN_UNDEF, SHT, STB, STT, type SymbolHandle } from './elf-writer.js';
import { definitionSize, mapDefinitionVar, slotIndex, valuesOffset } from './map-defs.js';
import { StringTable } from './strings.js';

type Datasec = Extract<BtfType, { kind: 'datasec' }>;

/** DATASECs the writer lays out itself, or that describe externs rather than a section. */
const SPECIAL_DATASECS = new Set(['.maps', '.kconfig', '.ksyms']);
const KCONFIG = '.kconfig';

const isGlobalDataMap = (m: MapSpec): boolean => m.name !== KCONFIG && isGlobalDataSection(m.name);
const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/**
 * Write a CollectionSpec as an ELF relocatable object that `readCollectionSpec`, libbpf and the
 * kernel accept: program sections and `.text`, BTF-defined maps in `.maps`, global data sections,
 * `license`, `version`, `.BTF` and `.BTF.ext`, with REL relocations for every map, data, call
 * and extern reference.
 */
export function writeObject(spec: CollectionSpec): Uint8Array {
  const w = new ElfWriter();
  const b = new BtfBuilder(spec.btf);
  const maps = [...spec.maps.values()];
  const kconfig = spec.maps.get(KCONFIG)?.kconfig ?? [];
  const code = layoutCode(spec, {
    isGlobalData: (name) => maps.some((m) => m.name === name && isGlobalDataMap(m)),
    kconfigExtern: (offset) => kconfig.find((k) => offset >= k.offset && offset < k.offset + k.size),
  });

  // Code sections and their function symbols.
  const codeIndex = new Map<string, number>();
  const programSymbols = new Map<string, SymbolHandle>();
  const linkage = (typeId: number | undefined): string | undefined => {
    const t = typeId === undefined ? undefined : b.get(typeId);
    return t?.kind === 'func' ? t.linkage : undefined;
  };
  for (const c of code) {
    const index = w.addSection({ name: c.name, type: SHT.PROGBITS, flags: SHF.ALLOC | SHF.EXECINSTR, align: 8, data: c.bytes });
    codeIndex.set(c.name, index);
    for (const f of c.functions) {
      const global = f.program !== undefined || f.exported || linkage(f.funcInfo?.typeId) === 'global';
      const bind = !global ? STB.LOCAL : f.funcInfo?.weak ? STB.WEAK : STB.GLOBAL;
      const h = w.addSymbol({ name: f.name, section: index, value: f.offset, size: f.size, type: STT.FUNC, bind });
      if (f.program) programSymbols.set(f.program.name, h);
    }
  }

  // Global data: one section per map, symbols for its variables.
  const dataIndex = new Map<string, number>();
  for (const m of maps.filter(isGlobalDataMap)) {
    const data = m.initialData ?? new Uint8Array(m.valueSize);
    if (data.length !== m.valueSize)
      throw new XdpchainError('EINVAL', `map ${m.name}: initial data has ${data.length} bytes, the value ${m.valueSize}`, { map: m.name });
    const bss = m.name.startsWith('.bss') && data.every((x) => x === 0);
    const flags = m.name.startsWith('.rodata') ? SHF.ALLOC : SHF.ALLOC | SHF.WRITE;
    const index = w.addSection({ name: m.name, type: bss ? SHT.NOBITS : SHT.PROGBITS, flags, align: 8, data });
    dataIndex.set(m.name, index);
    const sec = b.datasec(m.name);
    if (sec) variableSymbols(w, b, sec, index, m.valueSize, true);
  }

  // Externs: kconfig variables (all of them, so weak ones stay weak), then kfuncs and ksyms on use.
  const externs = new Map<string, SymbolHandle>();
  for (const k of kconfig)
    externs.set(k.name, w.addSymbol({ name: k.name, section: SHN_UNDEF, value: 0, size: 0, type: STT.NOTYPE, bind: k.weak ? STB.WEAK : STB.GLOBAL }));
  const externSymbol = (name: string): SymbolHandle => {
    let h = externs.get(name);
    if (!h) {
      h = w.addSymbol({ name, section: SHN_UNDEF, value: 0, size: 0, type: STT.NOTYPE, bind: STB.GLOBAL });
      externs.set(name, h);
    }
    return h;
  };

  const mapSymbols = writeMaps(
    w,
    b,
    maps.filter((m) => !isGlobalDataMap(m) && m.name !== KCONFIG),
    programSymbols,
  );

  // license and version.
  const license = new Uint8Array(Buffer.from(`${spec.license}\0`, 'latin1'));
  const licenseSec = b.datasec('license');
  const licenseSize = Math.max(license.length, licenseSec ? extent(licenseSec) : 0);
  const licenseData = new Uint8Array(licenseSize);
  licenseData.set(license);
  const licenseIndex = w.addSection({ name: 'license', type: SHT.PROGBITS, flags: SHF.ALLOC | SHF.WRITE, align: 1, data: licenseData });
  if (licenseSec) variableSymbols(w, b, licenseSec, licenseIndex, licenseSize, false);
  const version = [...spec.programs.values()].find((p) => p.kernelVersion !== 0)?.kernelVersion;
  if (version !== undefined) {
    const v = new Uint8Array(4);
    new DataView(v.buffer).setUint32(0, version >>> 0, true);
    w.addSection({ name: 'version', type: SHT.PROGBITS, flags: SHF.ALLOC | SHF.WRITE, align: 4, data: v });
  }

  // Other DATASECs (e.g. libxdp's .xdp_run_config): zero-filled sections, so loaders find their variables.
  for (const t of b.all()) {
    if (t.kind !== 'datasec' || SPECIAL_DATASECS.has(t.name) || t.name === 'license' || dataIndex.has(t.name)) continue;
    if (isGlobalDataSection(t.name)) throw new XdpchainError('EINVAL', `BTF describes global data section ${t.name}, but the collection has no map ${t.name}`);
    const size = Math.max(t.size, extent(t));
    const index = w.addSection({ name: t.name, type: SHT.PROGBITS, flags: SHF.ALLOC | SHF.WRITE, align: 8, data: new Uint8Array(size) });
    variableSymbols(w, b, t, index, size, false);
  }

  // Code relocations, now that every symbol exists.
  const symbolFor = (t: RelocationTarget, where: string): SymbolHandle => {
    switch (t.kind) {
      case 'text':
        return w.sectionSymbol(codeIndex.get('.text')!);
      case 'data':
        return w.sectionSymbol(dataIndex.get(t.section)!);
      case 'extern':
        return externSymbol(t.name);
      case 'map': {
        const h = mapSymbols.get(t.name);
        if (!h) throw new XdpchainError('EINVAL', `${where} refers to map ${t.name}, which the collection does not have`, { map: t.name });
        return h;
      }
    }
  };
  for (const c of code) {
    const index = codeIndex.get(c.name)!;
    for (const r of c.relocations)
      w.addRelocation(index, { offset: r.offset, type: r.type, symbol: symbolFor(r.target, `section ${c.name} at byte ${r.offset}`) });
  }

  if (spec.btf || b.all().length > 0) {
    const strings = new StringTable();
    const ext = code.some((c) => c.ext.funcInfo.length > 0 || c.ext.lineInfo.length > 0 || c.ext.coreRelocations.length > 0)
      ? encodeBtfExt(
          code.map((c) => c.ext),
          strings,
        )
      : undefined;
    w.addSection({ name: '.BTF', type: SHT.PROGBITS, flags: 0, align: 4, data: encodeBtf(b.build(), strings) });
    if (ext) w.addSection({ name: '.BTF.ext', type: SHT.PROGBITS, flags: 0, align: 4, data: ext });
  }
  return w.bytes();
}

/** End of the last variable of a DATASEC. */
function extent(sec: Datasec): number {
  return sec.vars.reduce((end, v) => Math.max(end, v.offset + v.size), 0);
}

/**
 * OBJECT symbols for a DATASEC's variables (libbpf matches BTF variables to ELF symbols by name),
 * and the DATASEC's size set and variables sorted, as the kernel requires.
 */
function variableSymbols(w: ElfWriter, b: BtfBuilder, sec: Datasec, section: number, size: number, strict: boolean): void {
  const vars = [...sec.vars].sort((x, y) => x.offset - y.offset);
  for (const v of vars) {
    const variable = b.get(v.type);
    if (variable?.kind !== 'var') continue;
    if (strict && v.offset + v.size > size) {
      throw new XdpchainError('EINVAL', `section ${sec.name}: variable ${variable.name} (${v.size} bytes at ${v.offset}) does not fit its ${size} bytes`);
    }
    if (variable.linkage === 'extern') continue;
    w.addSymbol({
      name: variable.name,
      section,
      value: v.offset,
      size: v.size,
      type: STT.OBJECT,
      bind: variable.linkage === 'global' ? STB.GLOBAL : STB.LOCAL,
    });
  }
  b.replace({ ...sec, size, vars });
}

/** `.maps`: one BTF definition per map, its symbol, and `.values` relocations for initial slots. */
function writeMaps(w: ElfWriter, b: BtfBuilder, maps: MapSpec[], programs: Map<string, SymbolHandle>): Map<string, SymbolHandle> {
  const symbols = new Map<string, SymbolHandle>();
  if (maps.length === 0) return symbols;
  const placed = maps.map((m) => ({ m, varId: mapDefinitionVar(b, m) }));
  let size = 0;
  const vars = placed.map(({ m, varId }) => {
    const bytes = definitionSize(b, varId, m);
    const offset = align(size, 8);
    size = offset + bytes;
    return { m, varId, offset, bytes };
  });
  const index = w.addSection({ name: '.maps', type: SHT.PROGBITS, flags: SHF.ALLOC | SHF.WRITE, align: 8, data: new Uint8Array(align(size, 8)) });
  for (const v of vars)
    symbols.set(v.m.name, w.addSymbol({ name: v.m.name, section: index, value: v.offset, size: v.bytes, type: STT.OBJECT, bind: STB.GLOBAL }));
  for (const v of vars) {
    const values = valuesOffset(b, v.varId);
    for (const e of v.m.contents) {
      if (values === undefined || e.value instanceof Uint8Array) {
        throw new XdpchainError('EINVAL', `map ${v.m.name}: initial values can only be written as .values slots naming programs or maps`, { map: v.m.name });
      }
      const target = 'program' in e.value ? programs.get(e.value.program) : symbols.get(e.value.map);
      if (!target)
        throw new XdpchainError(
          'EINVAL',
          `map ${v.m.name}: a .values slot names ${'program' in e.value ? `program ${e.value.program}` : `map ${e.value.map}`}, which the collection does not have`,
          { map: v.m.name },
        );
      w.addRelocation(index, { offset: v.offset + values + 8 * slotIndex(e.key), type: R_BPF_64_ABS64, symbol: target });
    }
  }
  const datasec = b.datasec('.maps');
  const entries = vars.map((v) => ({ type: v.varId, offset: v.offset, size: v.bytes }));
  if (datasec) b.replace({ ...datasec, size: align(size, 8), vars: entries });
  else b.add({ kind: 'datasec', name: '.maps', size: align(size, 8), vars: entries });
  return symbols;
}
