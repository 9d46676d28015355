import type { ConntrackEntry } from '../conntrack/entry.js';
import { setNatInfo } from '../conntrack/nat.js';
import {
  DEFAULT_ZONE,
  invertTuple,
  IP_CT_DIR_ORIGINAL,
  IPPROTO_TCP,
  IPPROTO_UDP,
  NFPROTO_IPV4,
  NFPROTO_IPV6,
  ZONE_DIR_BOTH,
  type ConntrackTuple,
  type ConntrackZone,
} from '../conntrack/tuple.js';
import { ERRNO } from '../errors/errno.js';
import type { HelperCall } from '../vm/helper.js';
import { kt, type KfuncSpec } from './kfunc.js';
import type { HelperServices } from './services.js';

/** opts__sz the kernel takes: struct bpf_ct_opts with the zone fields, or the 12 bytes before them. */
const OPTS_SIZE = 16;
const OPTS_OLD_SIZE = 12;
/** sizeof(bpf_tuple->ipv4), sizeof(bpf_tuple->ipv6). */
const TUPLE_IPV4_SIZE = 12;
const TUPLE_IPV6_SIZE = 36;
/** BPF_F_CURRENT_NETNS: the namespace of the device the packet came in on. */
const CURRENT_NETNS = -1;
/** Seconds bpf_xdp_ct_alloc gives a new entry. */
const ALLOC_TIMEOUT_S = 10;

/** struct bpf_ct_opts: s32 netns_id, s32 error, u8 l4proto, u8 dir, u16 ct_zone_id, u8 ct_zone_dir, u8 reserved[3]. */
const OPT = { netnsId: 0, error: 4, l4proto: 8, dir: 9, zoneId: 10, zoneDir: 12, reserved: 13 } as const;

/** What the lookup and alloc kfuncs were asked for, once their arguments passed the kernel's checks. */
interface CtRequest {
  original: ConntrackTuple;
  zone: ConntrackZone;
}

/**
 * The netfilter conntrack kfuncs (net/netfilter/nf_conntrack_bpf.c, nf_nat_bpf.c) over the
 * runtime's conntrack table. Errors of lookup and alloc go to opts->error with a NULL result;
 * entries are regions laid out like the kernel's struct nf_conn.
 *
 * The kernel's verifier makes sure a program only passes entries it holds, of the right kind
 * (nf_conn___init from alloc to the set_* kfuncs and insert, nf_conn to the others), and releases
 * each one. xdpchain checks the same at the call and ends the run with a fault naming the kfunc,
 * and counts references (`ConntrackTable.references`) so a test can check they balance.
 */
export function conntrackKfuncs(s: HelperServices): Omit<KfuncSpec, 'id'>[] {
  const table = s.conntrack;
  const prepare = (): void => table.ensureMemory();
  const ctxArgs = [
    { name: 'xdp_ctx', type: kt.ptr('xdp_md') },
    { name: 'bpf_tuple', type: kt.ptr('bpf_sock_tuple') },
    { name: 'tuple__sz', type: kt.u32 },
    { name: 'opts', type: kt.ptr('bpf_ct_opts') },
    { name: 'opts__sz', type: kt.u32 },
  ];
  const ctInit = (name = 'nfct') => ({ name, type: kt.ptr('nf_conn___init') });
  const ct = { name: 'nfct', type: kt.ptr('nf_conn') };
  const msecs = (c: HelperCall): number => Math.ceil((c.lo(2) * table.hz) / 1000);

  return [
    {
      name: 'bpf_xdp_ct_lookup',
      prototype: { params: ctxArgs, returns: kt.ptr('nf_conn') },
      prepare,
      fn: (c) => {
        const req = ctRequest(c, 'lookup');
        if (typeof req === 'number') return failed(c, req);
        const h = table.lookup(req.original, req.zone);
        if (!h) return failed(c, -ERRNO.ENOENT);
        c.space.dv.setUint8(c.space.check(c.addr(4) + OPT.dir, 1, true), h.dir);
        return h.entry.address;
      },
    },
    {
      name: 'bpf_xdp_ct_alloc',
      prototype: { params: ctxArgs, returns: kt.ptr('nf_conn___init') },
      prepare,
      fn: (c) => {
        const req = ctRequest(c, 'alloc');
        if (typeof req === 'number') return failed(c, req);
        if (!table.hasMemory)
          return c.fault('bpf_xdp_ct_alloc: the conntrack table has no memory (the runtime prepares it when it loads a program calling a conntrack kfunc)');
        const e = table.alloc(req.original, invertTuple(req.original), req.zone, ALLOC_TIMEOUT_S * table.hz);
        return typeof e === 'number' ? failed(c, e) : e.address;
      },
    },
    {
      name: 'bpf_ct_insert_entry',
      prototype: { params: [ctInit('nfct_i')], returns: kt.ptr('nf_conn') },
      fn: (c) => table.insert(held(c, 'bpf_ct_insert_entry', 'allocated'))?.address ?? 0,
    },
    {
      name: 'bpf_ct_release',
      prototype: { params: [ct], returns: kt.void },
      fn: (c) => {
        table.release(held(c, 'bpf_ct_release', 'inserted'));
        return 0;
      },
    },
    {
      name: 'bpf_ct_set_timeout',
      prototype: { params: [ctInit(), { name: 'timeout', type: kt.u32 }], returns: kt.void },
      fn: (c) => {
        table.setTimeout(held(c, 'bpf_ct_set_timeout', 'allocated'), msecs(c));
        return 0;
      },
    },
    {
      name: 'bpf_ct_change_timeout',
      prototype: { params: [ct, { name: 'timeout', type: kt.u32 }], returns: kt.int },
      fn: (c) => table.changeTimeout(held(c, 'bpf_ct_change_timeout', 'inserted'), msecs(c)),
    },
    {
      name: 'bpf_ct_set_status',
      prototype: { params: [ctInit(), { name: 'status', type: kt.u32 }], returns: kt.int },
      fn: (c) => table.changeStatus(held(c, 'bpf_ct_set_status', 'allocated'), c.lo(2)),
    },
    {
      name: 'bpf_ct_change_status',
      prototype: { params: [ct, { name: 'status', type: kt.u32 }], returns: kt.int },
      fn: (c) => table.changeStatus(held(c, 'bpf_ct_change_status', 'inserted'), c.lo(2)),
    },
    {
      name: 'bpf_ct_set_nat_info',
      prototype: {
        params: [ctInit(), { name: 'addr', type: kt.ptr('nf_inet_addr') }, { name: 'port', type: kt.int }, { name: 'manip', type: kt.u32 }],
        returns: kt.int,
      },
      fn: (c) => {
        const e = held(c, 'bpf_ct_set_nat_info', 'allocated');
        return setNatInfo(table, e, c.space.bytes(c.addr(2), 16), c.lo(3) | 0, c.lo(4));
      },
    },
  ];

  /** The entry argument 1 points to, which the program must hold and which must be of the kind the kfunc takes. */
  function held(c: HelperCall, kfunc: string, kind: 'allocated' | 'inserted'): ConntrackEntry {
    const addr = c.addr(1);
    const e = table.entryAt(addr);
    if (!e || e.programRefs <= 0) {
      return c.fault(
        `${kfunc}: argument 1 (0x${addr.toString(16)}) is not a conntrack entry the program holds; the kernel's verifier refuses a pointer that was not acquired or was already released`,
      );
    }
    if (kind === 'allocated' && e.state !== 'allocated') {
      return c.fault(
        `${kfunc} takes an entry from bpf_xdp_ct_alloc (struct nf_conn___init), but entry ${e.id} is in the table; the kernel's verifier refuses the call`,
      );
    }
    if (kind === 'inserted' && e.state === 'allocated') {
      return c.fault(
        `${kfunc} takes a struct nf_conn (from bpf_xdp_ct_lookup or bpf_ct_insert_entry), but entry ${e.id} is from bpf_xdp_ct_alloc (struct nf_conn___init): insert it first; the kernel's verifier refuses the call`,
      );
    }
    return e;
  }
}

/** Report an error through opts->error and return NULL, as the kfuncs do. */
function failed(c: HelperCall, errno: number): number {
  c.space.dv.setInt32(c.space.check(c.addr(4) + OPT.error, 4, true), errno, true);
  return 0;
}

/**
 * The tuple and zone a lookup or alloc call asks for, or the negative errno the kernel reports,
 * checked in the kernel's order (__bpf_nf_ct_lookup, __bpf_nf_ct_alloc_entry). Memory the
 * verifier would have refused (tuple__sz or opts__sz bytes not readable) ends the run.
 */
function ctRequest(c: HelperCall, call: 'lookup' | 'alloc'): CtRequest | number {
  const space = c.space;
  const tupleAddr = c.addr(2);
  const tupleSize = c.lo(3);
  const opts = c.addr(4);
  const optsSize = c.lo(5);
  if (tupleSize > 0) space.check(tupleAddr, tupleSize);
  if (optsSize > 0) space.check(opts, optsSize);
  const dv = space.dv;
  if (optsSize !== OPTS_SIZE && optsSize !== OPTS_OLD_SIZE) return -ERRNO.EINVAL;
  if (optsSize === OPTS_SIZE) {
    for (let i = 0; i < 3; i++) if (dv.getUint8(opts + OPT.reserved + i) !== 0) return -ERRNO.EINVAL;
  } else if (dv.getUint16(opts + OPT.zoneId, true) !== 0) {
    return -ERRNO.EINVAL;
  }
  const l4proto = dv.getUint8(opts + OPT.l4proto);
  if (call === 'lookup' && l4proto !== IPPROTO_TCP && l4proto !== IPPROTO_UDP) return -ERRNO.EPROTO;
  const netnsId = dv.getInt32(opts + OPT.netnsId, true);
  if (netnsId < CURRENT_NETNS) return -ERRNO.EINVAL;
  const original = parseTuple(c, tupleAddr, tupleSize, l4proto);
  if (typeof original === 'number') return original;
  // No other namespace has an id in the runtime's one namespace (get_net_ns_by_id finds none).
  if (netnsId >= 0) return -ERRNO.ENONET;
  let zone = DEFAULT_ZONE;
  if (optsSize === OPTS_SIZE) {
    let dir = dv.getUint8(opts + OPT.zoneDir);
    if (dir === 0) {
      dir = ZONE_DIR_BOTH;
      dv.setUint8(space.check(opts + OPT.zoneDir, 1, true), dir);
    }
    zone = { id: dv.getUint16(opts + OPT.zoneId, true), flags: 0, dir };
  }
  return { original, zone };
}

/** bpf_nf_ct_tuple_parse for the original direction: TCP or UDP, an IPv4 or IPv6 struct bpf_sock_tuple. */
function parseTuple(c: HelperCall, addr: number, size: number, l4proto: number): ConntrackTuple | number {
  if (l4proto !== IPPROTO_TCP && l4proto !== IPPROTO_UDP) return -ERRNO.EPROTO;
  const width = size === TUPLE_IPV4_SIZE ? 4 : size === TUPLE_IPV6_SIZE ? 16 : 0;
  if (width === 0) return -ERRNO.EAFNOSUPPORT;
  const bytes = c.space.bytes(addr, size);
  const src = new Uint8Array(16);
  const dst = new Uint8Array(16);
  src.set(bytes.subarray(0, width));
  dst.set(bytes.subarray(width, 2 * width));
  const ports = 2 * width;
  return {
    l3num: width === 4 ? NFPROTO_IPV4 : NFPROTO_IPV6,
    protonum: l4proto,
    src,
    dst,
    sport: (bytes[ports] << 8) | bytes[ports + 1],
    dport: (bytes[ports + 2] << 8) | bytes[ports + 3],
    dir: IP_CT_DIR_ORIGINAL,
  };
}
