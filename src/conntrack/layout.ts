import { memberLocation, findType, typeSize } from '../btf/query.js';
import type { Btf } from '../btf/types.js';
import { XdpchainError } from '../errors/index.js';

/** Byte offsets of the members of `struct nf_conntrack_tuple` that conntrack writes. */
export interface TupleLayout {
  readonly srcAddr: number;
  readonly srcPort: number;
  readonly l3num: number;
  readonly dstAddr: number;
  readonly dstPort: number;
  readonly protonum: number;
  readonly dir: number;
}

/**
 * Where the members of `struct nf_conn` that programs read lie, in the kernel whose BTF gave
 * them. Programs compiled against that kernel's vmlinux.h read these offsets directly, so every
 * entry the conntrack kfuncs return is a region laid out like this.
 */
export interface NfConnLayout {
  readonly size: number;
  /** ct_general.use: the reference count. */
  readonly use: number;
  readonly timeout: number;
  readonly zoneId: number;
  readonly zoneFlags: number;
  readonly zoneDir: number;
  /** tuplehash[0].tuple; tuplehash[1].tuple is `tuplehashStride` further. */
  readonly tuple: number;
  readonly tuplehashStride: number;
  readonly tupleFields: TupleLayout;
  /** `unsigned long status`: 8 bytes. */
  readonly status: number;
  /** The one member BPF programs may write (the kernel's btf_struct_access for nf_conn). */
  readonly mark: number;
  /** proto.tcp.state. */
  readonly tcpState: number;
}

/** The 6.18 kernel's layout (x86-64, CONFIG_NF_CONNTRACK_MARK and _ZONES on), for when no BTF is at hand. */
export const NF_CONN_LAYOUT_6_18: NfConnLayout = {
  size: 248,
  use: 0,
  timeout: 8,
  zoneId: 12,
  zoneFlags: 14,
  zoneDir: 15,
  tuple: 32,
  tuplehashStride: 56,
  tupleFields: { srcAddr: 0, srcPort: 16, l3num: 18, dstAddr: 20, dstPort: 36, protonum: 38, dir: 39 },
  status: 128,
  mark: 168,
  tcpState: 224,
};

/** The layout of `struct nf_conn` in a kernel's BTF (e.g. /sys/kernel/btf/vmlinux). */
export function nfConnLayout(btf: Btf): NfConnLayout {
  const struct = (name: string): number => {
    const t = findType(btf, name, 'struct');
    if (!t) throw new XdpchainError('EINVAL', `the kernel BTF has no struct ${name}: conntrack needs a kernel built with CONFIG_NF_CONNTRACK`);
    return t.id;
  };
  const at = (typeId: number, typeName: string, path: string): number => {
    const loc = memberLocation(btf, typeId, path);
    if (!loc)
      throw new XdpchainError(
        'EINVAL',
        `the kernel BTF's struct ${typeName} has no member ${path} (the conntrack kfuncs need CONFIG_NF_CONNTRACK_MARK and CONFIG_NF_CONNTRACK_ZONES)`,
      );
    return loc.offset;
  };
  const conn = struct('nf_conn');
  const tuple = struct('nf_conntrack_tuple');
  const hash = struct('nf_conntrack_tuple_hash');
  return {
    size: typeSize(btf, conn) ?? 0,
    use: at(conn, 'nf_conn', 'ct_general.use.refs.counter'),
    timeout: at(conn, 'nf_conn', 'timeout'),
    zoneId: at(conn, 'nf_conn', 'zone.id'),
    zoneFlags: at(conn, 'nf_conn', 'zone.flags'),
    zoneDir: at(conn, 'nf_conn', 'zone.dir'),
    tuple: at(conn, 'nf_conn', 'tuplehash.tuple'),
    tuplehashStride: typeSize(btf, hash) ?? 0,
    tupleFields: {
      srcAddr: at(tuple, 'nf_conntrack_tuple', 'src.u3'),
      srcPort: at(tuple, 'nf_conntrack_tuple', 'src.u.all'),
      l3num: at(tuple, 'nf_conntrack_tuple', 'src.l3num'),
      dstAddr: at(tuple, 'nf_conntrack_tuple', 'dst.u3'),
      dstPort: at(tuple, 'nf_conntrack_tuple', 'dst.u.all'),
      protonum: at(tuple, 'nf_conntrack_tuple', 'dst.protonum'),
      dir: at(tuple, 'nf_conntrack_tuple', 'dst.dir'),
    },
    status: at(conn, 'nf_conn', 'status'),
    mark: at(conn, 'nf_conn', 'mark'),
    tcpState: at(conn, 'nf_conn', 'proto.tcp.state'),
  };
}
