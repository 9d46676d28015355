import { typeSize } from '../query.js';
import type { Btf, BtfType } from '../types.js';

/** How deep typedef and modifier chains may go before a BTF is called cyclic. */
const MAX_CHAIN = 64;

/** A relocation that cannot be computed: the message says why; apply.ts adds which relocation. */
export class CoreProblem extends Error {
  constructor(
    message: string,
    readonly errno: 'EINVAL' | 'E2BIG' | 'ERANGE' | 'EOPNOTSUPP' = 'EINVAL',
  ) {
    super(message);
  }
}

/**
 * Skip typedefs, const, volatile, restrict and type tags: the type and its id (libbpf's
 * skip_mods_and_typedefs). Void comes back as id 0 without a type; a cycle as no type at all.
 */
export function skipModsAndTypedefs(btf: Btf, id: number): { id: number; t: BtfType | undefined } {
  let t = btf.types[id];
  for (let depth = 0; t && depth < MAX_CHAIN; depth++) {
    if (t.kind !== 'typedef' && t.kind !== 'const' && t.kind !== 'volatile' && t.kind !== 'restrict' && t.kind !== 'type_tag') return { id, t };
    id = t.type;
    t = btf.types[id];
  }
  return { id: t ? -1 : id, t: undefined };
}

/** Size in bytes of a type (btf__resolve_size); a type without one fails the relocation. */
export function resolveSize(btf: Btf, id: number): number {
  const size = typeSize(btf, id);
  if (size === undefined) throw new CoreProblem(`type ${describeType(btf, id)} has no size`);
  return size;
}

export const isComposite = (t: BtfType | undefined): t is Extract<BtfType, { kind: 'struct' | 'union' }> => t?.kind === 'struct' || t?.kind === 'union';
export const isAnyEnum = (t: BtfType | undefined): t is Extract<BtfType, { kind: 'enum' | 'enum64' }> => t?.kind === 'enum' || t?.kind === 'enum64';

/** Kinds CO-RE treats as the same: equal kinds, or enum and enum64. */
export function kindsCompatible(a: BtfType | undefined, b: BtfType | undefined): boolean {
  if (!a || !b) return a === b;
  return a.kind === b.kind || (isAnyEnum(a) && isAnyEnum(b));
}

/** `struct iphdr`, `enum xdp_action`, `typedef __u32`, `[12] struct (anon)`: for messages. */
export function describeType(btf: Btf, id: number): string {
  const t = btf.types[id];
  if (!t) return id === 0 ? 'void' : `[${id}] (missing)`;
  return `${t.kind} ${t.name || '(anon)'}`;
}
