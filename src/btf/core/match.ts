import { essentialName, typeIdsByEssentialName } from '../names.js';
import type { Btf } from '../types.js';
import { isFlexibleArray, MAX_ACCESS_LENGTH, type AccessSpec } from './spec.js';
import { CoreProblem, isAnyEnum, isComposite, kindsCompatible, resolveSize, skipModsAndTypedefs } from './types.js';
import { kindFamily } from './kinds.js';

/** How deep type comparisons recurse before the types are called cyclic (libbpf's limit). */
const MAX_DEPTH = 32;

/**
 * Target types that may stand for a local root type: same kind (enum and enum64 count as one)
 * and same essential name, so `iphdr___v2` finds `iphdr` (libbpf's bpf_core_add_cands).
 */
export function findCandidates(local: Btf, localId: number, target: Btf): number[] {
  const lt = local.types[localId];
  const name = essentialName(lt?.name ?? '');
  if (!name) return [];
  return typeIdsByEssentialName(target, name).filter((id) => kindsCompatible(target.types[id], lt));
}

/**
 * Match a local access to one candidate root type: the target's spec when every named member,
 * array index and enumerator has a compatible counterpart, undefined when not.
 */
export function matchSpec(local: AccessSpec, target: Btf, targetId: number): AccessSpec | undefined {
  const out: AccessSpec = { btf: target, rootTypeId: targetId, kind: local.kind, accessors: [], raw: [], bitOffset: 0 };
  const family = kindFamily(local.kind);
  if (family === 'type') {
    const ok =
      local.kind === 'type_matches'
        ? typesMatch(local.btf, local.rootTypeId, target, targetId, false, MAX_DEPTH)
        : typesAreCompatible(local.btf, local.rootTypeId, target, targetId, MAX_DEPTH);
    return ok ? out : undefined;
  }
  if (family === 'enumval') {
    const { id, t } = skipModsAndTypedefs(target, targetId);
    if (!isAnyEnum(t)) return undefined;
    const want = essentialName(local.accessors[0].name ?? '');
    const idx = t.values.findIndex((v) => essentialName(v.name) === want);
    if (idx < 0) return undefined;
    out.accessors.push({ typeId: id, idx, name: t.values[idx].name });
    out.raw.push(idx);
    return out;
  }
  let id = targetId;
  for (const [i, acc] of local.accessors.entries()) {
    const skipped = skipModsAndTypedefs(target, id);
    if (!skipped.t) throw new CoreProblem(`target type ${id} is void or a typedef cycle`);
    id = skipped.id;
    if (acc.name) {
      const next = matchMember(local, acc, target, id, out);
      if (next === undefined) return undefined;
      id = next;
      continue;
    }
    if (i > 0) {
      const t = skipped.t;
      if (t.kind !== 'array') return undefined;
      if (!isFlexibleArray(target, out.accessors[out.accessors.length - 1], t.nelems) && acc.idx >= t.nelems) return undefined;
      id = skipModsAndTypedefs(target, t.elemType).id;
    }
    if (out.raw.length === MAX_ACCESS_LENGTH) throw new CoreProblem('the target nests structs, unions and arrays too deep', 'E2BIG');
    out.accessors.push({ typeId: id, idx: acc.idx });
    out.raw.push(acc.idx);
    out.bitOffset += acc.idx * resolveSize(target, id) * 8;
  }
  return out;
}

/**
 * Find the member `acc` names in target struct/union `id`, looking through anonymous members;
 * extends `spec` with the steps taken and returns the member's type id, or undefined.
 */
function matchMember(local: AccessSpec, acc: { typeId: number; idx: number }, target: Btf, id: number, spec: AccessSpec): number | undefined {
  const { id: tid, t } = skipModsAndTypedefs(target, id);
  if (!isComposite(t)) return undefined;
  const lt = local.btf.types[acc.typeId];
  if (!isComposite(lt)) throw new CoreProblem(`local accessor type ${acc.typeId} is not a struct or union`);
  const lm = lt.members[acc.idx];
  for (const [i, m] of t.members.entries()) {
    if (spec.raw.length === MAX_ACCESS_LENGTH) throw new CoreProblem('the target nests structs, unions and arrays too deep', 'E2BIG');
    spec.bitOffset += m.bitOffset;
    spec.raw.push(i);
    if (!m.name) {
      const found = matchMember(local, acc, target, m.type, spec);
      if (found !== undefined) return found;
    } else if (m.name === lm.name) {
      if (!fieldsAreCompatible(local.btf, lm.type, target, m.type)) {
        spec.bitOffset -= m.bitOffset;
        spec.raw.pop();
        return undefined;
      }
      spec.accessors.push({ typeId: tid, idx: i, name: m.name });
      return m.type;
    }
    spec.bitOffset -= m.bitOffset;
    spec.raw.pop();
  }
  return undefined;
}

/**
 * Whether a local field's type can be read as the target's: any two structs/unions, pointers or
 * floats; ints unless bitfield-like; enums and fwds of the same essential name (or anonymous);
 * arrays whose element types are compatible.
 */
export function fieldsAreCompatible(local: Btf, localId: number, target: Btf, targetId: number): boolean {
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const l = skipModsAndTypedefs(local, localId);
    const r = skipModsAndTypedefs(target, targetId);
    if (!l.t || !r.t) return false;
    if (isComposite(l.t) && isComposite(r.t)) return true;
    if (!kindsCompatible(l.t, r.t)) return false;
    switch (l.t.kind) {
      case 'ptr':
      case 'float':
        return true;
      case 'fwd':
      case 'enum':
      case 'enum64': {
        const a = essentialName(l.t.name);
        const b = essentialName(r.t.name);
        return a === '' || b === '' || a === b;
      }
      case 'int':
        return l.t.bitOffset === 0 && r.t.kind === 'int' && r.t.bitOffset === 0;
      case 'array':
        if (r.t.kind !== 'array') return false;
        localId = l.t.elemType;
        targetId = r.t.elemType;
        continue;
      default:
        return false;
    }
  }
  throw new CoreProblem('field types nest too deep to compare');
}

/**
 * Compatibility of a type relocation's root with a candidate (TYPE_EXISTS, TYPE_SIZE,
 * TYPE_ID_TARGET): kinds agree; pointers, arrays and function prototypes compare what they
 * refer to; names below the root are not compared.
 */
export function typesAreCompatible(local: Btf, localId: number, target: Btf, targetId: number, level: number): boolean {
  if (!kindsCompatible(local.types[localId], target.types[targetId])) return false;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const l = skipModsAndTypedefs(local, localId);
    const r = skipModsAndTypedefs(target, targetId);
    if (l.id < 0 || r.id < 0) throw new CoreProblem('a typedef chain never ends');
    if (!l.t || !r.t) return !l.t && !r.t;
    if (!kindsCompatible(l.t, r.t)) return false;
    switch (l.t.kind) {
      case 'struct':
      case 'union':
      case 'enum':
      case 'enum64':
      case 'fwd':
        return true;
      case 'int':
        return l.t.bitOffset === 0 && r.t.kind === 'int' && r.t.bitOffset === 0;
      case 'ptr':
        if (r.t.kind !== 'ptr') return false;
        localId = l.t.type;
        targetId = r.t.type;
        continue;
      case 'array':
        if (r.t.kind !== 'array') return false;
        localId = l.t.elemType;
        targetId = r.t.elemType;
        continue;
      case 'func_proto': {
        const rt = r.t;
        if (rt.kind !== 'func_proto') return false;
        if (l.t.params.length !== rt.params.length) return false;
        if (level <= 0) throw new CoreProblem('function prototypes nest too deep to compare');
        for (const [i, p] of l.t.params.entries()) {
          if (!typesAreCompatible(local, skipModsAndTypedefs(local, p.type).id, target, skipModsAndTypedefs(target, rt.params[i].type).id, level - 1))
            return false;
        }
        localId = l.t.returnType;
        targetId = rt.returnType;
        continue;
      }
      default:
        return false;
    }
  }
  throw new CoreProblem('types nest too deep to compare');
}

/** Essential names equal; an anonymous target matches only an anonymous local. */
function namesMatch(a: string, b: string): boolean {
  if (b === '') return a === '';
  return essentialName(a) === essentialName(b);
}

/**
 * TYPE_MATCHES (libbpf's bpf_core_types_match): same kinds (a struct or union behind a pointer
 * may be a forward declaration), ints of equal size and signedness, arrays of equal length,
 * every local member or enumerator present by name in the target, function prototypes with the
 * same parameters; names compared at every level once typedefs are skipped.
 */
export function typesMatch(local: Btf, localId: number, target: Btf, targetId: number, behindPointer: boolean, level: number): boolean {
  if (level <= 0) throw new CoreProblem('types nest too deep to match');
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const l = skipModsAndTypedefs(local, localId);
    const r = skipModsAndTypedefs(target, targetId);
    if (l.id < 0 || r.id < 0) throw new CoreProblem('a typedef chain never ends');
    if (!l.t || !r.t) return !l.t && !r.t;
    if (!namesMatch(l.t.name, r.t.name)) return false;
    const lt = l.t;
    const rt = r.t;
    switch (lt.kind) {
      case 'fwd':
        if (behindPointer && rt.kind !== 'fwd') return (rt.kind === 'struct' && !lt.union) || (rt.kind === 'union' && lt.union);
        return rt.kind === 'fwd' && rt.union === lt.union;
      case 'enum':
      case 'enum64':
        return (
          isAnyEnum(rt) &&
          lt.size === rt.size &&
          lt.values.length <= rt.values.length &&
          lt.values.every((v) => rt.values.some((w) => namesMatch(v.name, w.name)))
        );
      case 'struct':
      case 'union':
        if (behindPointer) return lt.kind === rt.kind || (rt.kind === 'fwd' && rt.union === (lt.kind === 'union'));
        if (lt.kind !== rt.kind) return false;
        if (lt.members.length > rt.members.length) return false;
        return lt.members.every((m) =>
          rt.members.some((n) => namesMatch(m.name, n.name) && typesMatch(local, m.type, target, n.type, behindPointer, level - 1)),
        );
      case 'int':
        return rt.kind === 'int' && lt.size === rt.size && lt.signed === rt.signed;
      case 'ptr':
        if (rt.kind !== 'ptr') return false;
        behindPointer = true;
        localId = lt.type;
        targetId = rt.type;
        continue;
      case 'array':
        if (rt.kind !== 'array' || lt.nelems !== rt.nelems) return false;
        localId = lt.elemType;
        targetId = rt.elemType;
        continue;
      case 'func_proto':
        if (rt.kind !== 'func_proto' || lt.params.length !== rt.params.length) return false;
        if (!lt.params.every((p, i) => typesMatch(local, p.type, target, rt.params[i].type, behindPointer, level - 1))) return false;
        localId = lt.returnType;
        targetId = rt.returnType;
        continue;
      default:
        return false;
    }
  }
  throw new CoreProblem('types nest too deep to match');
}
