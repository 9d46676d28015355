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
      out.push(describeSlot(m.btf, variable.name, m.name, v.offset, variable.type, v.size));
    }
  }
  return out;
}

function describeSlot(btf: Btf, name: string, map: string, offset: number, typeId: number, size?: number): GlobalVariable {
  const t = resolveType(btf, typeId);
  const int =
    t?.kind === 'int' || t?.kind === 'enum' || t?.kind === 'enum64'
      ? { size: t.size, signed: t.signed, bigEndian: isBigEndianTypedef(btf, typeId) }
      : undefined;
  return { name, map, offset, size: size || (typeSize(btf, typeId) ?? 0), type: formatBtfType(btf, typeId), ...(int ? { int } : {}) };
}

/**
 * A global variable, or a part of one by a C-like path as a skeleton user writes it
 * (`cfg.port`, `ports[2]`, `cfg.addrs[1].v4`): where its bytes are and what type they hold.
 */
export function globalSlot(spec: CollectionSpec, path: string): GlobalVariable {
  const [, root, rest] = /^([A-Za-z_][\w]*)(.*)$/.exec(path) ?? [];
  const all = globalVariables(spec);
  const matches = all.filter((v) => v.name === root);
  if (matches.length === 0) {
    throw new XdpchainError(
      'ENOENT',
      `${spec.source ?? 'the object'} has no global variable ${root ?? path} (globals: ${all.map((v) => v.name).join(', ') || 'none'})`,
    );
  }
  if (matches.length > 1) throw new XdpchainError('EINVAL', `global ${root} is defined in ${matches.map((v) => v.map).join(' and ')}; the object is ambiguous`);
  const v = matches[0];
  if (!rest) return v;
  const m = spec.maps.get(v.map)!;
  const btf = m.btf!;
  const sec = btf.types[m.valueTypeId];
  const variable = sec?.kind === 'datasec' ? sec.vars.map((x) => btf.types[x.type]).find((t) => t?.name === root) : undefined;
  let typeId = variable?.kind === 'var' ? variable.type : 0;
  let offset = v.offset;
  const fail = (why: string): never => {
    throw new XdpchainError('EINVAL', `global ${path}: ${why}`);
  };
  for (const step of rest.match(/\.[A-Za-z_]\w*|\[\d+\]|[^.[]+/g) ?? []) {
    const t = resolveType(btf, typeId);
    if (step.startsWith('[')) {
      const index = Number(step.slice(1, -1));
      if (t?.kind !== 'array') fail(`${formatBtfType(btf, typeId)} is not an array`);
      const arr = t as Extract<typeof t, { kind: 'array' }>;
      if (index >= arr.nelems) fail(`index ${index} is past the ${arr.nelems} elements of ${formatBtfType(btf, typeId)}`);
      offset += index * (typeSize(btf, arr.elemType) ?? 0);
      typeId = arr.elemType;
    } else if (step.startsWith('.')) {
      if (t?.kind !== 'struct' && t?.kind !== 'union') fail(`${formatBtfType(btf, typeId)} has no members`);
      const found = findMember(btf, typeId, step.slice(1));
      if (!found) fail(`${formatBtfType(btf, typeId)} has no member ${step.slice(1)}`);
      if (found!.bitSize || found!.bitOffset % 8) fail(`${step.slice(1)} is a bitfield; set the whole variable`);
      offset += found!.bitOffset / 8;
      typeId = found!.type;
    } else fail(`"${step}" is not .member or [index]`);
  }
  return describeSlot(btf, path, v.map, offset, typeId);
}

/** A member by name, looking through anonymous structs and unions; its bit offset from the outer type's start. */
function findMember(btf: Btf, typeId: number, name: string): { type: number; bitOffset: number; bitSize: number } | undefined {
  const t = resolveType(btf, typeId);
  if (t?.kind !== 'struct' && t?.kind !== 'union') return undefined;
  for (const mem of t.members) {
    if (mem.name === name) return { type: mem.type, bitOffset: mem.bitOffset, bitSize: mem.bitSize };
    if (mem.name === '') {
      const inner = findMember(btf, mem.type, name);
      if (inner) return { ...inner, bitOffset: inner.bitOffset + mem.bitOffset };
    }
  }
  return undefined;
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

/**
 * Give a global variable (or a part of one: `cfg.port`, `ports[2]`) new bytes before load, as a
 * skeleton's `rodata->cfg.port = …` does.
 */
export function setGlobal(spec: CollectionSpec, path: string, value: Uint8Array): void {
  const v = globalSlot(spec, path);
  if (value.length !== v.size) {
    throw new XdpchainError('EINVAL', `global ${path} is ${v.type} (${v.size} bytes, in ${v.map}); the value given has ${value.length} bytes`);
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
