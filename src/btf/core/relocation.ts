import type { RawInstruction } from '../../isa/raw.js';
import type { Btf } from '../types.js';

/**
 * What a CO-RE relocation asks (uapi enum bpf_core_relo_kind, in its order): a field's offset,
 * size, existence, signedness or bitfield shifts; a type's id, existence, size or match; an
 * enumerator's existence or value.
 */
export type CoreRelocationKind =
  | 'field_byte_offset'
  | 'field_byte_size'
  | 'field_exists'
  | 'field_signed'
  | 'field_lshift_u64'
  | 'field_rshift_u64'
  | 'type_id_local'
  | 'type_id_target'
  | 'type_exists'
  | 'type_size'
  | 'enumval_exists'
  | 'enumval_value'
  | 'type_matches';

/**
 * A CO-RE relocation (`.BTF.ext` core_relo record) of the instruction at `slot`: loading computes
 * its value against a target BTF (src/btf/core) and patches the instruction.
 */
export interface CoreRelocation {
  slot: number;
  /** Root type in the program's own BTF (its BTF): the struct, typedef or enum the access starts from. */
  typeId: number;
  /**
   * Field relocations: "0:1:2" (index into the root pointer, then member or array indices);
   * type relocations: "0"; enumerator relocations: the enumerator's index.
   */
  accessString: string;
  kind: CoreRelocationKind;
}

/** What relocating needs of a program: its instructions, relocations and own BTF (a ProgramSpec has them). */
export interface CoreRelocatable {
  name: string;
  instructions: readonly RawInstruction[];
  coreRelocations?: readonly CoreRelocation[];
  btf?: Btf;
}
