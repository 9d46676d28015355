import type { CoreRelocationKind } from './relocation.js';

/** Relocation kinds by their number in `.BTF.ext` (uapi enum bpf_core_relo_kind). */
export const CORE_RELOCATION_KINDS: readonly CoreRelocationKind[] = [
  'field_byte_offset',
  'field_byte_size',
  'field_exists',
  'field_signed',
  'field_lshift_u64',
  'field_rshift_u64',
  'type_id_local',
  'type_id_target',
  'type_exists',
  'type_size',
  'enumval_exists',
  'enumval_value',
  'type_matches',
];

/** The kind a `.BTF.ext` record's number stands for, or undefined for a number libbpf does not know. */
export function coreRelocationKind(n: number): CoreRelocationKind | undefined {
  return CORE_RELOCATION_KINDS[n];
}

/** The three families of relocation: how the access string is read and what is computed. */
export type CoreKindFamily = 'field' | 'type' | 'enumval';

export function kindFamily(kind: CoreRelocationKind): CoreKindFamily {
  if (kind.startsWith('field_')) return 'field';
  if (kind.startsWith('enumval_')) return 'enumval';
  return 'type';
}
