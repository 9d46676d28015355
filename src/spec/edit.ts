import { formatBtfType } from '../btf/format.js';
import { resolveType, typeSize } from '../btf/query.js';
import type { Btf } from '../btf/types.js';
import { XdpchainError } from '../errors/index.js';
import type { CollectionSpec } from './collection-spec.js';
import type { MapSpec } from './map-spec.js';
import { fromHex } from '../packet/bytes.js';

/**
 * What a loader changes in a parsed object before loading it, as libbpf's open → configure →
 * load lets it: map sizes (`bpf_map__set_max_entries`), global variables (a skeleton's
 * `skel->rodata->x = …`) and the type of programs whose section libbpf does not know (bpftool's
 * `type` argument). Plain data, so a state directory can keep it and apply it again.
 */
export interface LoadEdits {
  /** Map name → max_entries. */
  mapSizes?: Record<string, number>;
  /** Global variable name → its new bytes, as hex. */
  globals?: Record<string, string>;
  /** Load programs whose section name libbpf does not know as this type. */
  programType?: 'xdp';
}

/** A global variable of `.data`, `.rodata`, `.bss` or a named `.data.*` / `.rodata.*` section. */
export interface GlobalVariable {
  name: string;
  /** The map (ELF section) holding it. */
  map: string;
  offset: number;
  size: number;
  /** Its type in C terms, e.g. `const volatile __u32`. */
  type: string;
  /** The integer it is, when it is one (for typing plain numbers); `__be16`/`__be32`/`__be64` are big-endian. */
  int?: { size: number; signed: boolean; bigEndian: boolean };
}

/** Every global variable a loader may set, in section order. */
export function globalVariables(spec: CollectionSpec): GlobalVariable[] {
  const out: GlobalVariable[] = [];
  for (const m of spec.maps.values()) {
    if (!m.initialData || m.kconfig || !m.btf) continue;
    const sec = m.btf.types[m.valueTypeId];
    if (sec?.kind !== 'datasec') continue;
    for (const v of sec.vars) {
      const variable = m.btf.types[v.type];
      if (variable?.kind !== 'var') continue;
      const t = resolveType(m.btf, variable.type);
      const bigEndian = isBigEndianTypedef(m.btf, variable.type);
      const int = t?.kind === 'int' || t?.kind === 'enum' || t?.kind === 'enum64' ? { size: t.size, signed: t.signed, bigEndian } : undefined;
      out.push({
        name: variable.name,
        map: m.name,
        offset: v.offset,
        size: v.size || (typeSize(m.btf, variable.type) ?? 0),
        type: formatBtfType(m.btf, variable.type),
        ...(int ? { int } : {}),
      });
    }
  }
  return out;
}

/** Whether a type is (a qualified) `__be16`, `__be32` or `__be64`: network byte order by the kernel's convention. */
function isBigEndianTypedef(btf: Btf, id: number): boolean {
  for (let t = btf.types[id], depth = 0; t && depth < 16; depth++) {
    if (t.kind === 'typedef' && /^__be(16|32|64)$/.test(t.name)) return true;
    if (t.kind !== 'typedef' && t.kind !== 'const' && t.kind !== 'volatile' && t.kind !== 'restrict' && t.kind !== 'type_tag') return false;
    t = btf.types[t.type];
  }
  return false;
}

/** Set map `name`'s max_entries, as bpf_map__set_max_entries does before load. */
export function setMapSize(spec: CollectionSpec, name: string, maxEntries: number): void {
  const m = spec.maps.get(name);
  if (!m) throw new XdpchainError('ENOENT', `${spec.source ?? 'the object'} has no map ${name} (maps: ${[...spec.maps.keys()].join(', ') || 'none'})`);
  if (m.initialData || m.kconfig) throw new XdpchainError('EINVAL', `map ${name} holds global variables; its size is the section's, not a loader's choice`);
  if (!Number.isInteger(maxEntries) || maxEntries <= 0 || maxEntries > 0xffffffff) {
    throw new XdpchainError('EINVAL', `map ${name}: max_entries must be an integer from 1 to 4294967295, not ${maxEntries}`);
  }
  m.maxEntries = maxEntries;
}

/** Give global variable `name` new bytes before load, as a skeleton's `rodata->name = …` does. */
export function setGlobal(spec: CollectionSpec, name: string, value: Uint8Array): void {
  const all = globalVariables(spec);
  const matches = all.filter((v) => v.name === name);
  if (matches.length === 0) {
    throw new XdpchainError('ENOENT', `${spec.source ?? 'the object'} has no global variable ${name} (globals: ${all.map((v) => v.name).join(', ') || 'none'})`);
  }
  if (matches.length > 1) throw new XdpchainError('EINVAL', `global ${name} is defined in ${matches.map((v) => v.map).join(' and ')}; the object is ambiguous`);
  const v = matches[0];
  if (value.length !== v.size) {
    throw new XdpchainError('EINVAL', `global ${name} is ${v.type} (${v.size} bytes, in ${v.map}); the value given has ${value.length} bytes`);
  }
  const m = spec.maps.get(v.map)!;
  const data = new Uint8Array(m.initialData!);
  data.set(value, v.offset);
  m.initialData = data;
}

/**
 * Apply a loader's edits to a spec (in place), in libbpf's order: program types, then map sizes,
 * then globals. Every name must exist.
 */
export function applyLoadEdits(spec: CollectionSpec, edits: LoadEdits): CollectionSpec {
  if (edits.programType) {
    for (const p of spec.programs.values()) {
      if (p.type !== 'unspec') continue;
      p.type = edits.programType;
      p.attachType = 'xdp';
      p.warnings = p.warnings.filter((w) => !w.includes('does not name a program type'));
    }
  }
  for (const [name, n] of Object.entries(edits.mapSizes ?? {})) setMapSize(spec, name, n);
  for (const [name, hex] of Object.entries(edits.globals ?? {})) setGlobal(spec, name, fromHex(hex));
  return spec;
}

/** A map of 0 entries as libbpf creates it: a perf event array gets one slot per possible CPU. */
export function sizedAsLibbpfDoes(m: MapSpec, possibleCpus: number): MapSpec {
  return m.type === 'perf_event_array' && m.maxEntries === 0 ? { ...m, maxEntries: possibleCpus } : m;
}
