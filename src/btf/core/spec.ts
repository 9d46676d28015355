import type { CoreRelocationKind } from './relocation.js';
import type { Btf } from '../types.js';
import { kindFamily } from './kinds.js';
import { CoreProblem, describeType, isAnyEnum, isComposite, resolveSize, skipModsAndTypedefs } from './types.js';

/** Access strings longer than this are refused, as libbpf does (BPF_CORE_SPEC_MAX_LEN). */
export const MAX_ACCESS_LENGTH = 64;

/**
 * One meaningful step of an access: a named member of the struct/union `typeId`, or (no name)
 * element `idx` of an array whose element type is `typeId` (the first step indexes the root).
 * For enumerator relocations the one step names enumerator `idx` of enum `typeId`.
 */
export interface Accessor {
  typeId: number;
  idx: number;
  name?: string;
}

/**
 * An access path resolved in one BTF: `accessors` keeps the named members and array indices,
 * `raw` every step including anonymous structs and unions on the way, `bitOffset` where the
 * field starts from the root.
 */
export interface AccessSpec {
  btf: Btf;
  rootTypeId: number;
  kind: CoreRelocationKind;
  accessors: Accessor[];
  raw: number[];
  bitOffset: number;
}

/** Parse a relocation's access string against the program's own BTF (libbpf's bpf_core_parse_spec). */
export function parseAccessSpec(btf: Btf, rootTypeId: number, accessString: string, kind: CoreRelocationKind): AccessSpec {
  const spec: AccessSpec = { btf, rootTypeId, kind, accessors: [], raw: [], bitOffset: 0 };
  const family = kindFamily(kind);
  if (family === 'type') {
    if (accessString !== '0') throw new CoreProblem(`a type relocation's access string must be "0", not "${accessString}"`);
    return spec;
  }
  if (!/^\d+(:\d+)*$/.test(accessString)) throw new CoreProblem(`access string "${accessString}" is not a list of indices like 0:1:2`);
  spec.raw = accessString.split(':').map(Number);
  if (spec.raw.length > MAX_ACCESS_LENGTH) throw new CoreProblem(`access string "${accessString}" has more than ${MAX_ACCESS_LENGTH} steps`, 'E2BIG');
  let { id, t } = skipModsAndTypedefs(btf, rootTypeId);
  if (!t) throw new CoreProblem(`root type ${describeType(btf, rootTypeId)} is void or a typedef cycle`);
  const first: Accessor = { typeId: id, idx: spec.raw[0] };
  spec.accessors.push(first);

  if (family === 'enumval') {
    if (!isAnyEnum(t) || spec.raw.length > 1 || first.idx >= t.values.length) {
      throw new CoreProblem(`enumerator access "${accessString}" does not name an enumerator of ${describeType(btf, rootTypeId)}`);
    }
    first.name = t.values[first.idx].name;
    return spec;
  }

  spec.bitOffset = first.idx * resolveSize(btf, id) * 8;
  for (let i = 1; i < spec.raw.length; i++) {
    ({ id, t } = skipModsAndTypedefs(btf, id));
    const idx = spec.raw[i];
    if (isComposite(t)) {
      const m = t.members[idx];
      if (!m) throw new CoreProblem(`step ${i} of "${accessString}" names member ${idx} of ${describeType(btf, id)}, which has ${t.members.length}`);
      spec.bitOffset += m.bitOffset;
      if (m.name) spec.accessors.push({ typeId: id, idx, name: m.name });
      id = m.type;
    } else if (t?.kind === 'array') {
      const elem = skipModsAndTypedefs(btf, t.elemType);
      if (!elem.t) throw new CoreProblem(`array ${describeType(btf, id)} has no element type`);
      if (!isFlexibleArray(btf, spec.accessors[spec.accessors.length - 1], t.nelems) && idx >= t.nelems) {
        throw new CoreProblem(`step ${i} of "${accessString}" indexes element ${idx} of an array of ${t.nelems}`);
      }
      id = elem.id;
      spec.accessors.push({ typeId: id, idx });
      spec.bitOffset += idx * resolveSize(btf, id) * 8;
    } else {
      throw new CoreProblem(`step ${i} of "${accessString}" reaches ${describeType(btf, id)}, which is neither a struct, a union nor an array`);
    }
  }
  return spec;
}

/** A zero-length array that is the last member of its struct: any index is allowed. */
export function isFlexibleArray(btf: Btf, parent: Accessor | undefined, nelems: number): boolean {
  if (!parent?.name || nelems > 0) return false;
  const t = btf.types[parent.typeId];
  return isComposite(t) && parent.idx === t.members.length - 1;
}

/** `struct iphdr.saddr (0:9:0:0 @ offset 12)`, `enum xdp_action::XDP_PASS`, `struct ethhdr`: for messages. */
export function formatAccessSpec(spec: AccessSpec): string {
  const root = describeType(spec.btf, spec.rootTypeId);
  const family = kindFamily(spec.kind);
  if (family === 'type') return root;
  if (family === 'enumval') return `${root}::${spec.accessors[0]?.name ?? '?'}`;
  const path = spec.accessors.map((a, i) => (a.name ? `.${a.name}` : i > 0 || a.idx > 0 ? `[${a.idx}]` : '')).join('');
  const bits = spec.bitOffset % 8 ? `.${spec.bitOffset % 8}` : '';
  return `${root}${path} (${spec.raw.join(':')} @ offset ${Math.floor(spec.bitOffset / 8)}${bits})`;
}
