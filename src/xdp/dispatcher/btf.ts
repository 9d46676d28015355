import type { Btf, BtfType } from '../../btf/types.js';

/** BTF ids of the hand-built type table every generated XDP program shares. */
export const XdpBtfIds = { int: 1, u32: 2, unsignedInt: 3, xdpMd: 4, xdpMdPtr: 5, proto: 6, firstFunc: 7 } as const;

/**
 * A BTF table for generated XDP code: `int`, `__u32`, `struct xdp_md`, `struct xdp_md *` and
 * `int (struct xdp_md *ctx)`, followed by one global FUNC per name. freplace checks compare
 * replacement prototypes against these.
 */
export function xdpFunctionsBtf(functionNames: readonly string[]): Btf {
  const fields = ['data', 'data_end', 'data_meta', 'ingress_ifindex', 'rx_queue_index', 'egress_ifindex'];
  const types: (BtfType | undefined)[] = [
    undefined,
    { kind: 'int', id: 1, name: 'int', size: 4, bits: 32, bitOffset: 0, signed: true, char: false, bool: false },
    { kind: 'typedef', id: 2, name: '__u32', type: 3 },
    { kind: 'int', id: 3, name: 'unsigned int', size: 4, bits: 32, bitOffset: 0, signed: false, char: false, bool: false },
    { kind: 'struct', id: 4, name: 'xdp_md', size: 24, members: fields.map((name, i) => ({ name, type: 2, bitOffset: i * 32, bitSize: 0 })) },
    { kind: 'ptr', id: 5, name: '', type: 4 },
    { kind: 'func_proto', id: 6, name: '', returnType: 1, params: [{ name: 'ctx', type: 5 }] },
  ];
  functionNames.forEach((name, i) => types.push({ kind: 'func', id: XdpBtfIds.firstFunc + i, name, type: XdpBtfIds.proto, linkage: 'global' }));
  return { types, strings: new Uint8Array(0) };
}
