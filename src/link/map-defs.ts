import { XdpchainError } from '../errors/index.js';
import { resolveType, typeSize } from '../btf/query.js';
import type { BtfMember, BtfType } from '../btf/types.js';
import { MapType, type MapSpec } from '../object-spec/map-spec.js';
import type { BtfBuilder } from './btf-builder.js';

const LIBBPF_PIN_BY_NAME = 1;

/** What a BTF map definition struct says, read the way libbpf reads it. */
interface DefinitionFields {
  type?: number;
  keySize?: number;
  valueSize?: number;
  maxEntries?: number;
  flags?: number;
  pinning?: number;
  hasValues: boolean;
}

/** `__uint(name, N)` is `int (*name)[N]`; `__type(name, T)` is `T *name`. */
function readDefinition(b: BtfBuilder, def: BtfType): DefinitionFields | undefined {
  if (def.kind !== 'struct') return undefined;
  const btf = b.build();
  const out: DefinitionFields = { hasValues: false };
  const uint = (m: BtfMember): number | undefined => {
    const ptr = resolveType(btf, m.type);
    const arr = ptr?.kind === 'ptr' ? resolveType(btf, ptr.type) : undefined;
    return arr?.kind === 'array' ? arr.nelems : undefined;
  };
  const pointeeSize = (m: BtfMember): number | undefined => {
    const ptr = resolveType(btf, m.type);
    return ptr?.kind === 'ptr' ? typeSize(btf, ptr.type) : undefined;
  };
  for (const m of def.members) {
    switch (m.name) {
      case 'type':
        out.type = uint(m);
        break;
      case 'max_entries':
        out.maxEntries = uint(m);
        break;
      case 'map_flags':
        out.flags = uint(m);
        break;
      case 'key_size':
        out.keySize = uint(m);
        break;
      case 'value_size':
        out.valueSize = uint(m);
        break;
      case 'pinning':
        out.pinning = uint(m);
        break;
      case 'key':
        out.keySize = pointeeSize(m);
        break;
      case 'value':
        out.valueSize = pointeeSize(m);
        break;
      case 'values':
        out.hasValues = true;
        break;
    }
  }
  return out;
}

/** Whether a definition describes exactly this spec (an edited spec needs a new definition). */
function definitionMatches(b: BtfBuilder, def: BtfType, m: MapSpec): boolean {
  const d = readDefinition(b, def);
  if (!d || d.type !== MapType[m.type] || (d.maxEntries ?? 0) !== m.maxEntries || (d.flags ?? 0) !== m.flags) return false;
  if ((d.pinning === LIBBPF_PIN_BY_NAME) !== (m.pinning === 'by-name')) return false;
  if (d.keySize !== undefined && d.keySize !== m.keySize) return false;
  if (d.valueSize !== undefined && d.valueSize !== m.valueSize) return false;
  if (m.contents.length > 0 && !d.hasValues) return false;
  return !m.innerMap || d.hasValues;
}

/**
 * The BTF VAR describing map `m` in `.maps`: the object's own definition when it still matches
 * the spec, else a new definition struct built from the spec (`__uint` attributes, `__type` key
 * and value when their BTF types are known, `__array(values, …)` for inner maps and initial slots).
 */
export function mapDefinitionVar(b: BtfBuilder, m: MapSpec): number {
  const sec = b.datasec('.maps');
  for (const v of sec?.vars ?? []) {
    const variable = b.get(v.type);
    if (variable?.kind !== 'var' || variable.name !== m.name) continue;
    const def = resolveType(b.build(), variable.type);
    if (def && definitionMatches(b, def, m)) return variable.id;
  }
  return b.add({ kind: 'var', name: m.name, type: definitionStruct(b, m), linkage: 'global' });
}

function definitionStruct(b: BtfBuilder, m: MapSpec): number {
  const members: { name: string; type: number }[] = [];
  const uint = (name: string, n: number): void => {
    const arr = b.add({ kind: 'array', name: '', elemType: b.intType(), indexType: b.indexType(), nelems: n });
    members.push({ name, type: b.add({ kind: 'ptr', name: '', type: arr }) });
  };
  const typed = (name: string, typeId: number, size: number): boolean => {
    if (typeId === 0 || typeSize(b.build(), typeId) !== size) return false;
    members.push({ name, type: b.add({ kind: 'ptr', name: '', type: typeId }) });
    return true;
  };
  uint('type', MapType[m.type]);
  if (!typed('key', m.keyTypeId, m.keySize)) uint('key_size', m.keySize);
  if (!typed('value', m.valueTypeId, m.valueSize)) uint('value_size', m.valueSize);
  uint('max_entries', m.maxEntries);
  if (m.flags !== 0) uint('map_flags', m.flags);
  if (m.pinning === 'by-name') uint('pinning', LIBBPF_PIN_BY_NAME);
  if (m.innerMap || m.contents.length > 0) {
    let element: number;
    if (m.innerMap) element = definitionStruct(b, m.innerMap);
    else if (m.type === 'prog_array')
      element = b.add({ kind: 'func_proto', name: '', returnType: b.intType(), params: [{ name: '', type: b.add({ kind: 'ptr', name: '', type: 0 }) }] });
    else throw new XdpchainError('EINVAL', `map ${m.name}: initial contents can only be written for prog_array and maps of maps`, { map: m.name });
    const arr = b.add({ kind: 'array', name: '', elemType: b.add({ kind: 'ptr', name: '', type: element }), indexType: b.indexType(), nelems: 0 });
    members.push({ name: 'values', type: arr });
  }
  // `values` is a flexible array member: it adds nothing to the struct's size.
  const size = members.filter((x) => x.name !== 'values').length * 8;
  return b.add({ kind: 'struct', name: '', size, members: members.map((x, i) => ({ ...x, bitOffset: i * 64, bitSize: 0 })) });
}

/** Byte offset of the `values` member inside a definition struct, when it has one. */
export function valuesOffset(b: BtfBuilder, varId: number): number | undefined {
  const variable = b.get(varId);
  if (variable?.kind !== 'var') return undefined;
  const def = resolveType(b.build(), variable.type);
  const member = def?.kind === 'struct' ? def.members.find((x) => x.name === 'values') : undefined;
  return member ? member.bitOffset / 8 : undefined;
}

/** Bytes a map's definition takes in `.maps`: the struct, plus the initialised `values` slots. */
export function definitionSize(b: BtfBuilder, varId: number, m: MapSpec): number {
  const variable = b.get(varId);
  const size = variable?.kind === 'var' ? typeSize(b.build(), variable.type) : undefined;
  if (size === undefined) throw new XdpchainError('EINVAL', `map ${m.name}: its BTF definition has no size`, { map: m.name });
  const values = valuesOffset(b, varId);
  if (values === undefined || m.contents.length === 0) return size;
  const lastSlot = Math.max(...m.contents.map((e) => slotIndex(e.key)));
  return Math.max(size, values + 8 * (lastSlot + 1));
}

/** The u32 index a `.values` entry's key holds. */
export function slotIndex(key: Uint8Array): number {
  return new DataView(key.buffer, key.byteOffset, key.byteLength).getUint32(0, true);
}
