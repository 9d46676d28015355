import { existsSync, readFileSync } from 'node:fs';
import { parseBtf } from '../btf/parse.js';
import type { Btf } from '../btf/types.js';
import { nfConnLayout, NF_CONN_LAYOUT_6_18, type NfConnLayout } from '../conntrack/layout.js';

/** Where the running kernel publishes its BTF. */
export const HOST_KERNEL_BTF = '/sys/kernel/btf/vmlinux';

let hostBtf: Btf | null | undefined;

/**
 * The BTF of the kernel whose struct layouts programs are compiled against. For now that is the
 * running kernel's (/sys/kernel/btf/vmlinux, parsed once per process: about half a second), or
 * none; this is the one place to hand in another target BTF (a bundled one, with CO-RE).
 */
export function targetKernelBtf(): Btf | undefined {
  if (hostBtf === undefined) hostBtf = existsSync(HOST_KERNEL_BTF) ? parseBtf(new Uint8Array(readFileSync(HOST_KERNEL_BTF)), HOST_KERNEL_BTF) : null;
  return hostBtf ?? undefined;
}

/** struct nf_conn as the target kernel lays it out: from its BTF, else the 6.18 offsets. */
export function targetNfConnLayout(): NfConnLayout {
  const btf = targetKernelBtf();
  return btf ? nfConnLayout(btf) : NF_CONN_LAYOUT_6_18;
}
