import type { BtfType } from './types.js';

/**
 * A copy of `t` as type `id` of another table, every type it refers to passed through `map`
 * (a pointer's target through `pointee`, which may stand in a forward declaration).
 */
export function renumberType(t: BtfType, id: number, map: (old: number) => number, pointee: (old: number) => number = map): BtfType {
  switch (t.kind) {
    case 'ptr':
      return { ...t, id, type: pointee(t.type) };
    case 'typedef':
    case 'volatile':
    case 'const':
    case 'restrict':
    case 'type_tag':
    case 'func':
    case 'var':
    case 'decl_tag':
      return { ...t, id, type: map(t.type) };
    case 'array':
      return { ...t, id, elemType: map(t.elemType), indexType: map(t.indexType) };
    case 'struct':
    case 'union':
      return { ...t, id, members: t.members.map((m) => ({ ...m, type: map(m.type) })) };
    case 'func_proto':
      return { ...t, id, returnType: map(t.returnType), params: t.params.map((p) => ({ ...p, type: map(p.type) })) };
    case 'datasec':
      return { ...t, id, vars: t.vars.map((v) => ({ ...v, type: map(v.type) })) };
    default:
      return { ...t, id };
  }
}
