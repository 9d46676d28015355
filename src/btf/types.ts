/** BTF type model (kernel include/uapi/linux/btf.h), as plain data. Type id 0 is void. */

export type BtfKind =
  | 'int'
  | 'ptr'
  | 'array'
  | 'struct'
  | 'union'
  | 'enum'
  | 'fwd'
  | 'typedef'
  | 'volatile'
  | 'const'
  | 'restrict'
  | 'func'
  | 'func_proto'
  | 'var'
  | 'datasec'
  | 'float'
  | 'decl_tag'
  | 'type_tag'
  | 'enum64';

export const BTF_KIND_NUMBERS: Record<BtfKind, number> = {
  int: 1,
  ptr: 2,
  array: 3,
  struct: 4,
  union: 5,
  enum: 6,
  fwd: 7,
  typedef: 8,
  volatile: 9,
  const: 10,
  restrict: 11,
  func: 12,
  func_proto: 13,
  var: 14,
  datasec: 15,
  float: 16,
  decl_tag: 17,
  type_tag: 18,
  enum64: 19,
};

export interface BtfMember {
  name: string;
  type: number;
  /** Offset in bits from the start of the struct. */
  bitOffset: number;
  /** Bitfield width in bits, 0 when not a bitfield. */
  bitSize: number;
}

export interface BtfParam {
  name: string;
  type: number;
}

export interface BtfEnumValue {
  name: string;
  value: bigint;
}

export interface BtfVarSecInfo {
  type: number;
  offset: number;
  size: number;
}

export type BtfType =
  | { kind: 'int'; id: number; name: string; size: number; bits: number; bitOffset: number; signed: boolean; char: boolean; bool: boolean }
  | { kind: 'ptr' | 'typedef' | 'volatile' | 'const' | 'restrict' | 'type_tag'; id: number; name: string; type: number }
  | { kind: 'array'; id: number; name: string; elemType: number; indexType: number; nelems: number }
  | { kind: 'struct' | 'union'; id: number; name: string; size: number; members: BtfMember[] }
  | { kind: 'enum' | 'enum64'; id: number; name: string; size: number; signed: boolean; values: BtfEnumValue[] }
  | { kind: 'fwd'; id: number; name: string; union: boolean }
  | { kind: 'func'; id: number; name: string; type: number; linkage: 'static' | 'global' | 'extern' }
  | { kind: 'func_proto'; id: number; name: string; returnType: number; params: BtfParam[] }
  | { kind: 'var'; id: number; name: string; type: number; linkage: 'static' | 'global' | 'extern' }
  | { kind: 'datasec'; id: number; name: string; size: number; vars: BtfVarSecInfo[] }
  | { kind: 'float'; id: number; name: string; size: number }
  | { kind: 'decl_tag'; id: number; name: string; type: number; componentIdx: number };

/** A parsed BTF blob: the type table (index = type id, entry 0 is void) and its string section. */
export interface Btf {
  readonly types: readonly (BtfType | undefined)[];
  readonly strings: Uint8Array;
  /** Where a BTF read on its own came from (a file, the bundled types), for messages. */
  readonly source?: string;
}
