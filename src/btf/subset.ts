import { XdpchainError } from '../errors/index.js';
import { renumberType } from './renumber.js';
import type { Btf, BtfType } from './types.js';

/** Which types a subset starts from: named types (any kind but fwd) and functions. */
export interface BtfSubsetRoots {
  /** Names of structs, unions, enums and typedefs to keep whole. */
  types: readonly string[];
  /** Names of FUNCs (e.g. kfuncs) to keep with their prototypes. */
  functions: readonly string[];
}

/**
 * A small BTF cut out of a large one (a kernel's): the named roots, every type they hold by value
 * (members, array elements, typedef targets, prototypes) and, through pointers, only a forward
 * declaration of a struct or union that is not kept whole. Type ids are renumbered; decl tags
 * on kept functions stay. Names not found are listed in `missing`.
 */
export function btfSubset(btf: Btf, roots: BtfSubsetRoots): { btf: Btf; missing: string[] } {
  const byName = new Map<string, number[]>();
  btf.types.forEach((t, id) => {
    if (t && t.name && t.kind !== 'fwd') byName.set(t.name, [...(byName.get(t.name) ?? []), id]);
  });
  const missing: string[] = [];
  const rootIds: number[] = [];
  for (const name of roots.types) {
    const ids = (byName.get(name) ?? []).filter((id) => btf.types[id]!.kind !== 'func' && btf.types[id]!.kind !== 'var');
    if (ids.length === 0) missing.push(name);
    rootIds.push(...ids);
  }
  for (const name of roots.functions) {
    const ids = (byName.get(name) ?? []).filter((id) => btf.types[id]!.kind === 'func');
    if (ids.length === 0) missing.push(name);
    rootIds.push(...ids);
  }

  const whole = new Set<number>();
  const stack = [...rootIds];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === 0 || whole.has(id)) continue;
    const t = btf.types[id];
    if (!t) throw new XdpchainError('EINVAL', `BTF subset: type ${id} is missing`);
    whole.add(id);
    for (const ref of byValue(btf, t)) stack.push(ref);
  }
  for (const t of btf.types) if (t?.kind === 'decl_tag' && whole.has(t.type) && btf.types[t.type]?.kind === 'func') whole.add(t.id);

  const newId = new Map<number, number>();
  const out: (BtfType | undefined)[] = [undefined];
  const kept = [...whole].sort((a, b) => a - b);
  kept.forEach((id, i) => newId.set(id, i + 1));
  const fwds = new Map<string, number>();
  const pointee = (id: number): number => {
    const mapped = newId.get(id);
    if (mapped !== undefined || id === 0) return mapped ?? 0;
    const t = btf.types[id]!;
    const union = t.kind === 'union';
    const key = `${union ? 'union' : 'struct'} ${t.name}`;
    let f = fwds.get(key);
    if (f === undefined) {
      f = kept.length + 1 + fwds.size;
      fwds.set(key, f);
    }
    return f;
  };
  const map = (id: number): number => (id === 0 ? 0 : newId.get(id)!);
  for (const id of kept) out.push(renumberType(btf.types[id]!, newId.get(id)!, map, pointee));
  for (const [key, id] of fwds) out.push({ kind: 'fwd', id, name: key.slice(key.indexOf(' ') + 1), union: key.startsWith('union ') });
  return { btf: { types: out, strings: new Uint8Array(0) }, missing };
}

/** Types a type needs whole: everything but a named struct or union behind a pointer. */
function byValue(btf: Btf, t: BtfType): number[] {
  switch (t.kind) {
    case 'ptr': {
      const p = btf.types[t.type];
      return (p?.kind === 'struct' || p?.kind === 'union') && p.name ? [] : [t.type];
    }
    case 'typedef':
    case 'const':
    case 'volatile':
    case 'restrict':
    case 'type_tag':
    case 'func':
    case 'var':
    case 'decl_tag':
      return [t.type];
    case 'array':
      return [t.elemType, t.indexType];
    case 'struct':
    case 'union':
      return t.members.map((m) => m.type);
    case 'func_proto':
      return [t.returnType, ...t.params.map((p) => p.type)];
    case 'datasec':
      return t.vars.map((v) => v.type);
    default:
      return [];
  }
}
