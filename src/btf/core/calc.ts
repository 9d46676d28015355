import type { CoreRelocationKind } from './relocation.js';
import { kindFamily } from './kinds.js';
import type { AccessSpec } from './spec.js';
import { CoreProblem, isAnyEnum, isComposite, resolveSize, skipModsAndTypedefs } from './types.js';

/**
 * What a relocation comes to against one target (or none): the value the compiler put in the
 * instruction (`original`, checked when `validate`), the value to patch in (`value`), or
 * `poison` when there is nothing to patch with. For field offsets, the sizes of the field on
 * both sides decide whether a load or store changes width (`badSizeChange`: it may not).
 */
export interface CoreValue {
  original: bigint;
  value: bigint;
  poison: boolean;
  validate: boolean;
  originalSize: number;
  newSize: number;
  badSizeChange: boolean;
}

interface FieldValue {
  value: bigint;
  /** Bytes a load/store of the field moves (byte offsets of non-bitfields only), else 0. */
  size: number;
  /** The field's type id (with the size), to judge whether a width change is safe. */
  typeId: number;
  validate: boolean;
}

/** A field relocation's value in one spec (libbpf's bpf_core_calc_field_relo); undefined spec → poison. */
function fieldValue(kind: CoreRelocationKind, spec: AccessSpec | undefined): FieldValue | 'poison' {
  if (kind === 'field_exists') return { value: spec ? 1n : 0n, size: 0, typeId: 0, validate: true };
  if (!spec) return 'poison';
  const acc = spec.accessors[spec.accessors.length - 1];
  if (!acc.name) {
    // The access ends in an array element: only its offset and size are defined.
    const size = resolveSize(spec.btf, acc.typeId);
    // Whole bytes, as libbpf's integer division gives them: a hostile BTF can place the array at any bit.
    if (kind === 'field_byte_offset') return { value: BigInt(Math.floor(spec.bitOffset / 8)), size, typeId: acc.typeId, validate: true };
    if (kind === 'field_byte_size') return { value: BigInt(size), size: 0, typeId: 0, validate: true };
    throw new CoreProblem(`${kind} cannot be applied to an array element`);
  }
  const parent = spec.btf.types[acc.typeId];
  if (!isComposite(parent)) throw new CoreProblem(`accessor type ${acc.typeId} is not a struct or union`);
  const member = parent.members[acc.idx];
  const { id: fieldTypeId, t: mt } = skipModsAndTypedefs(spec.btf, member.type);
  const bitOff = spec.bitOffset;
  let bitSize = member.bitSize;
  const bitfield = bitSize > 0;
  let byteSize: number;
  let byteOff: number;
  if (bitfield) {
    byteSize = mt && 'size' in mt ? mt.size : 0;
    if (byteSize === 0) throw new CoreProblem(`bitfield ${member.name} has a type without a size`);
    byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
    // The smallest aligned load that holds the whole bitfield.
    while (bitOff + bitSize - byteOff * 8 > byteSize * 8) {
      if (byteSize >= 8) throw new CoreProblem(`bitfield ${member.name} cannot be read with one 64-bit load`, 'E2BIG');
      byteSize *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
    }
  } else {
    byteSize = resolveSize(spec.btf, fieldTypeId);
    byteOff = Math.floor(bitOff / 8);
    bitSize = byteSize * 8;
  }
  // Bitfield offsets and sizes are the compiler's choice, so only signedness and the right shift are checked.
  const checked = { validate: !bitfield, size: 0, typeId: 0 };
  switch (kind) {
    case 'field_byte_offset':
      return { value: BigInt(byteOff), validate: !bitfield, size: bitfield ? 0 : byteSize, typeId: bitfield ? 0 : fieldTypeId };
    case 'field_byte_size':
      return { ...checked, value: BigInt(byteSize) };
    case 'field_signed':
      return { ...checked, validate: true, value: (isAnyEnum(mt) && mt.signed) || (mt?.kind === 'int' && mt.signed) ? 1n : 0n };
    case 'field_lshift_u64':
      return { ...checked, value: BigInt(64 - (bitOff + bitSize - byteOff * 8)) };
    case 'field_rshift_u64':
      return { ...checked, validate: true, value: BigInt(64 - bitSize) };
    default:
      throw new CoreProblem(`${kind} is not a field relocation`, 'EOPNOTSUPP');
  }
}

/** A type relocation's value in one spec; a missing target gives 0 (no poison). */
function typeValue(kind: CoreRelocationKind, spec: AccessSpec | undefined): bigint {
  if (!spec) return 0n;
  switch (kind) {
    case 'type_id_target':
      return BigInt(spec.rootTypeId);
    case 'type_exists':
    case 'type_matches':
      return 1n;
    case 'type_size':
      return BigInt(resolveSize(spec.btf, spec.rootTypeId));
    default:
      throw new CoreProblem(`${kind} is not computed per target`, 'EOPNOTSUPP');
  }
}

/** An enumerator relocation's value in one spec; a missing enumerator's value is poison. */
function enumValue(kind: CoreRelocationKind, spec: AccessSpec | undefined): bigint | 'poison' {
  if (kind === 'enumval_exists') return spec ? 1n : 0n;
  if (!spec) return 'poison';
  const acc = spec.accessors[0];
  const t = spec.btf.types[acc.typeId];
  if (!isAnyEnum(t)) throw new CoreProblem(`type ${acc.typeId} is not an enum`);
  const v = t.values[acc.idx].value;
  // A 32-bit enumerator is a signed 32-bit number in BTF; libbpf widens it with its sign.
  return BigInt.asUintN(64, t.kind === 'enum' ? BigInt.asIntN(32, v) : v);
}

/** Compute a relocation against a matched target spec, or none (libbpf's bpf_core_calc_relo). */
export function computeRelocation(kind: CoreRelocationKind, local: AccessSpec, target: AccessSpec | undefined): CoreValue {
  const out: CoreValue = { original: 0n, value: 0n, poison: false, validate: true, originalSize: 0, newSize: 0, badSizeChange: false };
  switch (kindFamily(kind)) {
    case 'field': {
      const orig = fieldValue(kind, local);
      const next = fieldValue(kind, target);
      if (orig === 'poison' || next === 'poison') return { ...out, poison: true };
      Object.assign(out, { original: orig.value, validate: orig.validate, value: next.value, originalSize: orig.size, newSize: next.size });
      if (orig.size !== next.size) out.badSizeChange = !sizeChangeIsSafe(local, orig.typeId, target!, next.typeId);
      return out;
    }
    case 'type':
      return { ...out, original: typeValue(kind, local), value: typeValue(kind, target), validate: kind !== 'type_id_target' };
    case 'enumval': {
      const orig = enumValue(kind, local);
      const next = enumValue(kind, target);
      if (orig === 'poison' || next === 'poison') return { ...out, poison: true };
      return { ...out, original: orig, value: next };
    }
  }
}

/**
 * A load or store may change width for pointers (read as u64 either way) and integers that are
 * not plain signed ones (zero-extended). As in libbpf, only an encoding of exactly "signed"
 * counts as signed: a signed char may change width.
 */
function sizeChangeIsSafe(local: AccessSpec, localTypeId: number, target: AccessSpec, targetTypeId: number): boolean {
  const a = local.btf.types[localTypeId];
  const b = target.btf.types[targetTypeId];
  if (a?.kind === 'ptr' && b?.kind === 'ptr') return true;
  const plainSigned = (t: { signed: boolean; char: boolean; bool: boolean }): boolean => t.signed && !t.char && !t.bool;
  return a?.kind === 'int' && b?.kind === 'int' && !plainSigned(a) && !plainSigned(b);
}
