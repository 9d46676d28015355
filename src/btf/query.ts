import { essentialName, typeIdsByEssentialName } from './names.js';
import type { Btf, BtfType } from './types.js';

/** How deep a chain of typedefs/modifiers/arrays may go before we call the BTF cyclic. */
const MAX_DEPTH = 64;

export function btfType(btf: Btf, id: number): BtfType | undefined {
  return btf.types[id];
}

/** Skip typedef, const, volatile, restrict and type tags. */
export function resolveType(btf: Btf, id: number): BtfType | undefined {
  let t = btf.types[id];
  for (let depth = 0; t && depth < MAX_DEPTH; depth++) {
    if (t.kind === 'typedef' || t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'type_tag') t = btf.types[t.type];
    else return t;
  }
  return undefined;
}

/** Size in bytes of a type, or undefined for void, functions and cyclic/invalid chains. */
export function typeSize(btf: Btf, id: number, depth = 0): number | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const t = resolveType(btf, id);
  if (!t) return undefined;
  switch (t.kind) {
    case 'int':
    case 'struct':
    case 'union':
    case 'enum':
    case 'enum64':
    case 'float':
    case 'datasec':
      return t.size;
    case 'ptr':
      return 8;
    case 'array': {
      const e = typeSize(btf, t.elemType, depth + 1);
      return e === undefined ? undefined : e * t.nelems;
    }
    default:
      return undefined;
  }
}

/** The first type named exactly `name` (of kind `kind`, when given), looked up by typeIdsByEssentialName. */
export function findType(btf: Btf, name: string, kind?: BtfType['kind']): BtfType | undefined {
  for (const id of typeIdsByEssentialName(btf, essentialName(name))) {
    const t = btf.types[id];
    if (t !== undefined && t.name === name && (kind === undefined || t.kind === kind)) return t;
  }
  return undefined;
}

/** kfuncs are externs listed in the `.ksyms` DATASEC (`__ksym`); other extern functions are BPF functions of another object. */
export function isKsymFunction(btf: Btf | undefined, name: string): boolean {
  const sec = btf?.types.find((t) => t?.kind === 'datasec' && t.name === '.ksyms');
  return sec?.kind === 'datasec' && sec.vars.some((v) => btf!.types[v.type]?.name === name);
}

/**
 * Where a member reached by a dotted path lies in a struct or union: `memberLocation(btf, id,
 * 'tuplehash.tuple.dst.u3')` gives its byte offset from the start of type `id` and its type.
 * Names are looked up through anonymous members, as C does; an array member is entered at
 * element 0. Undefined when a name is missing or a member is a bitfield.
 */
export function memberLocation(btf: Btf, typeId: number, path: string): { offset: number; type: number } | undefined {
  let offset = 0;
  let type = typeId;
  for (const name of path.split('.')) {
    const found = findMember(btf, type, name, 0);
    if (!found) return undefined;
    offset += found.offset;
    type = found.type;
  }
  return { offset, type };
}

function findMember(btf: Btf, typeId: number, name: string, depth: number): { offset: number; type: number } | undefined {
  let t = resolveType(btf, typeId);
  while (t?.kind === 'array') t = resolveType(btf, t.elemType);
  if (!t || (t.kind !== 'struct' && t.kind !== 'union') || depth > MAX_DEPTH) return undefined;
  for (const m of t.members) {
    if (m.bitSize !== 0 || m.bitOffset % 8 !== 0) continue;
    if (m.name === name) return { offset: m.bitOffset / 8, type: m.type };
    if (m.name === '') {
      const inner = findMember(btf, m.type, name, depth + 1);
      if (inner) return { offset: m.bitOffset / 8 + inner.offset, type: inner.type };
    }
  }
  return undefined;
}
