import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../../src/btf/parse.js';
import { memberLocation } from '../../src/btf/query.js';
import type { Btf, BtfType } from '../../src/btf/types.js';
import { NF_CONN_LAYOUT_6_18, nfConnLayout } from '../../src/conntrack/layout.js';
import { bundledKernelBtf, VMLINUX_BTF_PATH as HOST_KERNEL_BTF } from '../../src/btf/bundled.js';
import { errorOf } from '../error-of.js';

/** A BTF of: int; struct inner { int a; int b; }; struct outer { int x; struct { int y; }; struct inner in[2]; }. */
function synthetic(withB = true): Btf {
  const int = { kind: 'int', id: 1, name: 'int', size: 4, bits: 32, bitOffset: 0, signed: true, char: false, bool: false } as const;
  const types: BtfType[] = [
    int,
    {
      kind: 'struct',
      id: 2,
      name: 'inner',
      size: 8,
      members: [{ name: 'a', type: 1, bitOffset: 0, bitSize: 0 }, ...(withB ? [{ name: 'b', type: 1, bitOffset: 32, bitSize: 0 }] : [])],
    },
    { kind: 'struct', id: 3, name: '', size: 4, members: [{ name: 'y', type: 1, bitOffset: 0, bitSize: 0 }] },
    { kind: 'array', id: 4, name: '', elemType: 2, indexType: 1, nelems: 2 },
    {
      kind: 'struct',
      id: 5,
      name: 'outer',
      size: 24,
      members: [
        { name: 'x', type: 1, bitOffset: 0, bitSize: 0 },
        { name: '', type: 3, bitOffset: 32, bitSize: 0 },
        { name: 'in', type: 4, bitOffset: 64, bitSize: 0 },
      ],
    },
  ];
  return { types: [undefined, ...types], strings: new Uint8Array() };
}

describe('struct nf_conn layout from BTF', () => {
  it('memberLocation follows dotted paths through anonymous members and into array element 0', () => {
    const btf = synthetic();
    expect(memberLocation(btf, 5, 'y')).toEqual({ offset: 4, type: 1 });
    expect(memberLocation(btf, 5, 'in.b')).toEqual({ offset: 12, type: 1 });
    expect(memberLocation(btf, 5, 'in.c')).toBeUndefined();
  });

  it.skipIf(!existsSync(HOST_KERNEL_BTF))(`the running kernel's BTF (${HOST_KERNEL_BTF}) gives the 6.18 table`, () => {
    expect(nfConnLayout(parseBtf(new Uint8Array(readFileSync(HOST_KERNEL_BTF))))).toEqual(NF_CONN_LAYOUT_6_18);
  });

  it('the bundled kernel BTF (used where /sys/kernel/btf/vmlinux is missing) gives the 6.18 table', () => {
    expect(nfConnLayout(bundledKernelBtf())).toEqual(NF_CONN_LAYOUT_6_18);
  });

  it('a kernel without conntrack is refused with what it lacks', () => {
    expect(errorOf(() => nfConnLayout(synthetic())).message).toBe(
      'the kernel BTF has no struct nf_conn: conntrack needs a kernel built with CONFIG_NF_CONNTRACK',
    );
  });
});
