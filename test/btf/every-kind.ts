/** A BTF type table with one type of every kind, for encoder and parser tests. */
import type { Btf, BtfType } from '../../src/btf/types.js';

/** One type of every kind the model has, referring to each other. */
export function everyKind(): Btf {
  const types: (BtfType | undefined)[] = [
    undefined,
    { kind: 'int', id: 1, name: 'int', size: 4, bits: 32, bitOffset: 0, signed: true, char: false, bool: false },
    { kind: 'int', id: 2, name: '_Bool', size: 1, bits: 8, bitOffset: 0, signed: false, char: false, bool: true },
    { kind: 'ptr', id: 3, name: '', type: 5 },
    { kind: 'array', id: 4, name: '', elemType: 1, indexType: 1, nelems: 7 },
    {
      kind: 'struct',
      id: 5,
      name: 'flags',
      size: 8,
      members: [
        { name: 'a', type: 1, bitOffset: 0, bitSize: 3 },
        { name: 'b', type: 1, bitOffset: 3, bitSize: 29 },
        { name: 'c', type: 1, bitOffset: 32, bitSize: 0 },
      ],
    },
    {
      kind: 'union',
      id: 6,
      name: 'u',
      size: 28,
      members: [
        { name: 'x', type: 1, bitOffset: 0, bitSize: 0 },
        { name: 'arr', type: 4, bitOffset: 0, bitSize: 0 },
      ],
    },
    {
      kind: 'enum',
      id: 7,
      name: 'color',
      size: 4,
      signed: true,
      values: [
        { name: 'RED', value: -1n },
        { name: 'BLUE', value: 2n },
      ],
    },
    { kind: 'enum', id: 8, name: 'ucolor', size: 4, signed: false, values: [{ name: 'BIG', value: 0xfffffff0n }] },
    { kind: 'enum64', id: 9, name: 'wide', size: 8, signed: false, values: [{ name: 'HUGE', value: 0xfedcba9876543210n }] },
    { kind: 'enum64', id: 10, name: 'swide', size: 8, signed: true, values: [{ name: 'NEG', value: -5n }] },
    { kind: 'fwd', id: 11, name: 'later', union: true },
    { kind: 'typedef', id: 12, name: 'u32_t', type: 1 },
    { kind: 'volatile', id: 13, name: '', type: 12 },
    { kind: 'const', id: 14, name: '', type: 13 },
    { kind: 'restrict', id: 15, name: '', type: 3 },
    {
      kind: 'func_proto',
      id: 16,
      name: '',
      returnType: 1,
      params: [
        { name: 'p', type: 3 },
        { name: '', type: 0 },
      ],
    },
    { kind: 'func', id: 17, name: 'f', type: 16, linkage: 'global' },
    { kind: 'func', id: 18, name: 'g', type: 16, linkage: 'extern' },
    { kind: 'var', id: 19, name: 'v', type: 14, linkage: 'global' },
    { kind: 'var', id: 20, name: 's', type: 1, linkage: 'static' },
    {
      kind: 'datasec',
      id: 21,
      name: '.data',
      size: 8,
      vars: [
        { type: 19, offset: 0, size: 4 },
        { type: 20, offset: 4, size: 4 },
      ],
    },
    { kind: 'float', id: 22, name: 'double', size: 8 },
    { kind: 'decl_tag', id: 23, name: 'tag', type: 17, componentIdx: -1 },
    { kind: 'type_tag', id: 24, name: 'user', type: 1 },
  ];
  return { types, strings: new Uint8Array(0) };
}
