import { MalformedInputError, XdpchainError } from '../errors/index.js';
import { resolveType, typeSize } from '../btf/query.js';
import type { Btf, BtfType } from '../btf/types.js';
import { mapTypeName, type MapEntrySpec, type MapSpec, type MapTypeName } from '../object-spec/map-spec.js';
import { ByteReader } from '../binary/reader.js';
import { SHT, STT, type ElfFile, type ElfSection } from './elf-file.js';

const LIBBPF_PIN_BY_NAME = 1;
/** Largest global-data section accepted (the kernel caps array values far below this too). */
const MAX_GLOBAL_DATA = 64 * 1024 * 1024;

/** Sections libbpf turns into single-entry array maps holding global variables. */
export function isGlobalDataSection(name: string): boolean {
  return (
    name === '.data' ||
    name === '.bss' ||
    name === '.rodata' ||
    name === '.kconfig' ||
    name.startsWith('.data.') ||
    name.startsWith('.rodata.') ||
    name.startsWith('.bss.')
  );
}

export function globalDataMaps(elf: ElfFile, btf: Btf | undefined): MapSpec[] {
  return elf.sections
    .filter((s) => (s.type === SHT.PROGBITS || s.type === SHT.NOBITS) && isGlobalDataSection(s.name) && s.size > 0)
    .map((s) => {
      if (s.size > MAX_GLOBAL_DATA) {
        throw new XdpchainError('E2BIG', `${elf.file}: section ${s.name} holds ${s.size} bytes of global data; at most ${MAX_GLOBAL_DATA} are supported`, {
          section: s.name,
          offset: s.offset,
        });
      }
      const readOnly = s.name.startsWith('.rodata') || s.name === '.kconfig';
      const datasec = btf?.types.find((t) => t?.kind === 'datasec' && t.name === s.name);
      return {
        name: s.name,
        type: 'array' as const,
        keySize: 4,
        valueSize: s.size,
        maxEntries: 1,
        flags: readOnly ? 1 << 7 : 0, // BPF_F_RDONLY_PROG
        pinning: 'none' as const,
        contents: [],
        initialData: s.type === SHT.NOBITS ? new Uint8Array(s.size) : Uint8Array.from(s.data),
        frozen: readOnly,
        keyTypeId: 0,
        valueTypeId: datasec?.id ?? 0,
        ...(btf ? { btf } : {}),
      };
    });
}

/**
 * `extern ... __kconfig` variables: clang lists them in a `.kconfig` DATASEC; like libbpf, lay
 * them out (sorted by alignment, then name) in one frozen array map whose values the loader fills.
 */
export function kconfigMap(elf: ElfFile, btf: Btf | undefined): MapSpec | undefined {
  const sec = btf?.types.find((t) => t?.kind === 'datasec' && t.name === '.kconfig');
  if (!btf || !sec || sec.kind !== 'datasec' || sec.vars.length === 0) return undefined;
  const vars = sec.vars
    .map((v) => {
      const variable = btf.types[v.type];
      if (variable?.kind !== 'var') throw new MalformedInputError(`${elf.file}: .kconfig`, `entry refers to type ${v.type}, which is not a variable`);
      const size = typeSize(btf, variable.type) ?? v.size;
      if (!size || size > 8)
        throw new MalformedInputError(`${elf.file}: .kconfig`, `extern ${variable.name} has size ${size}; kconfig values are 1 to 8 bytes`);
      const sym = elf.symbols.find((s) => s.name === variable.name && s.section === 0);
      return { name: variable.name, size, weak: sym?.bind === 2 };
    })
    .sort((a, b) => b.size - a.size || (a.name < b.name ? -1 : 1));
  let offset = 0;
  const kconfig = vars.map((v) => {
    offset = Math.ceil(offset / v.size) * v.size;
    const e = { ...v, offset };
    offset += v.size;
    return e;
  });
  return {
    name: '.kconfig',
    type: 'array',
    keySize: 4,
    valueSize: Math.max(offset, 1),
    maxEntries: 1,
    flags: 1 << 7,
    pinning: 'none',
    contents: [],
    initialData: new Uint8Array(Math.max(offset, 1)),
    frozen: true,
    keyTypeId: 0,
    valueTypeId: sec.id,
    btf,
    kconfig,
  };
}

/** Legacy `maps` section: struct bpf_map_def { type, key_size, value_size, max_entries, map_flags } per symbol. */
export function legacyMaps(elf: ElfFile): MapSpec[] {
  const sec = elf.section('maps');
  if (!sec) return [];
  const syms = elf.symbols.filter((s) => s.section === sec.index && s.type !== STT.SECTION && s.name !== '');
  if (syms.length === 0) return [];
  const stride = Math.floor(sec.size / syms.length);
  if (stride < 20)
    throw new MalformedInputError(
      `${elf.file}: maps section`,
      `${syms.length} maps in ${sec.size} bytes leaves ${stride} bytes each; struct bpf_map_def needs 20`,
      sec.offset,
    );
  const r = new ByteReader(sec.data, elf.file, sec.offset);
  return syms.map((s) => {
    const what = `legacy map ${s.name}`;
    const type = r.u32(what, s.value);
    const name = mapTypeName(type);
    if (!name) r.fail(what, `unknown map type ${type}`, s.value);
    return {
      name: s.name,
      type: name!,
      keySize: r.u32(what, s.value + 4),
      valueSize: r.u32(what, s.value + 8),
      maxEntries: r.u32(what, s.value + 12),
      flags: r.u32(what, s.value + 16),
      pinning: 'none' as const,
      contents: [],
      frozen: false,
      keyTypeId: 0,
      valueTypeId: 0,
    };
  });
}

/** Members of a BTF map definition struct: `__uint(x, N)` is `int (*x)[N]`, `__type(x, T)` is `T *x`. */
interface MapDefinition {
  type?: number;
  keySize?: number;
  valueSize?: number;
  maxEntries?: number;
  flags?: number;
  pinning?: number;
  keyTypeId?: number;
  valueTypeId?: number;
  /** `__array(values, T)`: the element type (inner map definition or program prototype). */
  valuesType?: number;
}

function parseMapDefinition(btf: Btf, def: BtfType, mapName: string, file: string): MapDefinition {
  if (def.kind !== 'struct') throw new MalformedInputError(`${file}: map ${mapName}`, `definition is a ${def.kind}, not a struct`);
  const out: MapDefinition = {};
  const bad = (member: string, why: string): never => {
    throw new MalformedInputError(`${file}: map ${mapName}`, `member "${member}" ${why}`);
  };
  /** `int (*name)[N]` → N */
  const uintOf = (typeId: number, member: string): number => {
    const ptr = resolveType(btf, typeId);
    if (ptr?.kind !== 'ptr') return bad(member, 'is not declared with __uint()');
    const arr = resolveType(btf, ptr.type);
    if (arr?.kind !== 'array') return bad(member, 'is not declared with __uint()');
    return arr.nelems;
  };
  /** `T *name` → T */
  const pointee = (typeId: number, member: string): number => {
    const ptr = resolveType(btf, typeId);
    if (ptr?.kind !== 'ptr') return bad(member, 'is not declared with __type()');
    return ptr.type;
  };
  for (const m of def.members) {
    switch (m.name) {
      case 'type':
        out.type = uintOf(m.type, m.name);
        break;
      case 'max_entries':
        out.maxEntries = uintOf(m.type, m.name);
        break;
      case 'map_flags':
        out.flags = uintOf(m.type, m.name);
        break;
      case 'key_size':
        out.keySize = uintOf(m.type, m.name);
        break;
      case 'value_size':
        out.valueSize = uintOf(m.type, m.name);
        break;
      case 'pinning':
        out.pinning = uintOf(m.type, m.name);
        break;
      case 'numa_node':
      case 'map_extra':
        break;
      case 'key': {
        out.keyTypeId = pointee(m.type, m.name);
        out.keySize = typeSize(btf, out.keyTypeId) ?? bad(m.name, 'has a type without a size');
        break;
      }
      case 'value': {
        out.valueTypeId = pointee(m.type, m.name);
        out.valueSize = typeSize(btf, out.valueTypeId) ?? bad(m.name, 'has a type without a size');
        break;
      }
      case 'values': {
        const arr = resolveType(btf, m.type);
        if (arr?.kind !== 'array') return bad(m.name, 'is not declared with __array()');
        const ptr = resolveType(btf, arr.elemType);
        if (ptr?.kind !== 'ptr') return bad(m.name, 'is not an array of pointers');
        out.valuesType = ptr.type;
        break;
      }
      default:
        bad(m.name, 'is not a map attribute libbpf knows');
    }
  }
  return out;
}

function toMapSpec(name: string, d: MapDefinition, btf: Btf, file: string, inner?: MapSpec): MapSpec {
  const typeName: MapTypeName | undefined = d.type === undefined ? undefined : mapTypeName(d.type);
  if (!typeName) throw new MalformedInputError(`${file}: map ${name}`, d.type === undefined ? 'has no type' : `has unknown map type ${d.type}`);
  const isMapInMap = typeName === 'array_of_maps' || typeName === 'hash_of_maps';
  const isFdMap = isMapInMap || typeName === 'prog_array' || typeName === 'perf_event_array';
  const spec: MapSpec = {
    name,
    type: typeName,
    keySize: d.keySize ?? (isFdMap || typeName === 'devmap' || typeName === 'cpumap' || typeName === 'xskmap' ? 4 : 0),
    valueSize: d.valueSize ?? (isFdMap ? 4 : 0),
    maxEntries: d.maxEntries ?? 0,
    flags: d.flags ?? 0,
    pinning: d.pinning === LIBBPF_PIN_BY_NAME ? 'by-name' : 'none',
    contents: [],
    frozen: false,
    keyTypeId: d.keyTypeId ?? 0,
    valueTypeId: d.valueTypeId ?? 0,
    btf,
  };
  if (inner) spec.innerMap = inner;
  return spec;
}

/** BTF-defined maps: every variable of the `.maps` DATASEC, with `.values` slots from `.rel.maps`. */
export function btfMaps(elf: ElfFile, btf: Btf | undefined): MapSpec[] {
  const sec = elf.section('.maps');
  if (!sec) return [];
  if (!btf) throw new MalformedInputError(`${elf.file}: .maps`, 'BTF-defined maps need a .BTF section');
  const datasec = btf.types.find((t) => t?.kind === 'datasec' && t.name === '.maps');
  if (!datasec || datasec.kind !== 'datasec') throw new MalformedInputError(`${elf.file}: .maps`, 'no .maps DATASEC in BTF');
  const symbols = elf.symbols.filter((s) => s.section === sec.index && s.type !== STT.SECTION && s.name !== '');
  const relocs = elf.relocations.get(sec.index) ?? [];
  return datasec.vars.map((v) => {
    const variable = btf.types[v.type];
    if (variable?.kind !== 'var') throw new MalformedInputError(`${elf.file}: .maps`, `DATASEC entry refers to type ${v.type}, which is not a variable`);
    const name = variable.name;
    const sym = symbols.find((s) => s.name === name);
    if (!sym) throw new MalformedInputError(`${elf.file}: map ${name}`, 'has no ELF symbol in .maps');
    const defType = resolveType(btf, variable.type);
    if (!defType) throw new MalformedInputError(`${elf.file}: map ${name}`, 'has no definition type');
    const def = parseMapDefinition(btf, defType, name, elf.file);
    let inner: MapSpec | undefined;
    const type = def.type === undefined ? undefined : mapTypeName(def.type);
    if (type === 'array_of_maps' || type === 'hash_of_maps') {
      const innerDef = def.valuesType === undefined ? undefined : resolveType(btf, def.valuesType);
      if (!innerDef) throw new MalformedInputError(`${elf.file}: map ${name}`, 'a map of maps needs __array(values, struct {...}) describing the inner map');
      inner = toMapSpec(`${name}.inner`, parseMapDefinition(btf, innerDef, `${name}.inner`, elf.file), btf, elf.file);
    }
    const spec = toMapSpec(name, def, btf, elf.file, inner);
    const valuesMember = defType.kind === 'struct' ? defType.members.find((m) => m.name === 'values') : undefined;
    spec.contents = valuesMember ? initialSlots(elf, sec, sym.value, valuesMember.bitOffset / 8, relocs, spec) : [];
    return spec;
  });
}

/** `.values = { [2] = &prog_or_map }`: relocations inside the definition's trailing `values` array. */
function initialSlots(
  elf: ElfFile,
  sec: ElfSection,
  start: number,
  valuesOffset: number,
  relocs: { offset: number; symbol: number }[],
  spec: MapSpec,
): MapEntrySpec[] {
  const entries: MapEntrySpec[] = [];
  const first = start + valuesOffset;
  const end = start + valuesOffset + 8 * spec.maxEntries;
  for (const rel of relocs) {
    if (rel.offset < first || rel.offset >= end) continue;
    const index = (rel.offset - first) / 8;
    if (!Number.isInteger(index) || index < 0) {
      throw new MalformedInputError(`${elf.file}: map ${spec.name}`, `relocation at ${rel.offset} is not inside its values array`, sec.offset + rel.offset);
    }
    const target = elf.symbols[rel.symbol];
    if (!target) throw new MalformedInputError(`${elf.file}: map ${spec.name}`, `relocation refers to missing symbol ${rel.symbol}`, sec.offset + rel.offset);
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, index, true);
    entries.push({ key, value: spec.type === 'prog_array' ? { program: target.name } : { map: target.name } });
  }
  return entries;
}
